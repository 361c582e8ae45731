"""Reads an iCalendar file on stdin with python-icalendar and prints what an
importer built on it sees, as JSON: each event's UID, its start as a UTC
instant, and its alarms; and the calendar's components.

python-icalendar resolves a TZID through pytz, which puts a wall time in a
repeated hour at its second instance, unlike RFC 5545; the test that runs
this script checks that crampd's calendars leave it nothing to guess.
"""
import datetime
import json
import sys

import icalendar


def main():
    cal = icalendar.Calendar.from_ical(sys.stdin.buffer.read())
    out = {"components": [c.name for c in cal.subcomponents], "events": []}
    for ev in cal.walk("VEVENT"):
        start = ev.decoded("DTSTART")
        if start.tzinfo is None:
            raise SystemExit("DTSTART %s has no zone" % ev["DTSTART"].to_ical())
        alarms = []
        for alarm in ev.walk("VALARM"):
            alarms.append({
                "action": str(alarm["ACTION"]),
                "trigger_seconds": alarm.decoded("TRIGGER").total_seconds(),
                "description": str(alarm["DESCRIPTION"]),
            })
        out["events"].append({
            "uid": str(ev["UID"]),
            "start": start.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "alarms": alarms,
        })
    json.dump(out, sys.stdout)


main()
