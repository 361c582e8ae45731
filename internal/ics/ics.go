// Package ics writes planned occurrences as an iCalendar (RFC 5545) file, so
// that a plan can be imported into a phone or desktop calendar.
//
// Times are written as local wall times in the profile's zone with a TZID,
// and the file carries its own VTIMEZONE built from Go's zone data, so an
// importer shows the same wall times the daemon fires at and places them at
// the same instants, daylight saving included. A wall time that happens
// twice, in the hour repeated when clocks go back, is written in UTC
// instead: RFC 5545 says such a TZID time means the first of the two, but
// importers such as khal and python-icalendar take the second.
//
// Each event carries a display alarm at its start, so an imported plan
// alerts on a phone the way the daemon's notifications do.
package ics

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// ProdID identifies crampd as the producer of a calendar.
const ProdID = "-//crampd//crampd//EN"

// Duration is how long each event lasts. A reminder is a moment, but
// calendars draw zero-length events badly or not at all.
const Duration = 5 * time.Minute

const (
	localFormat = "20060102T150405"
	utcFormat   = "20060102T150405Z"
)

// Options tunes what Write puts in a calendar. The zero value is the usual
// calendar.
type Options struct {
	// NoAlarms leaves out the alarm each event otherwise carries, for
	// users who want the plan on their calendar without a second alert
	// beside the daemon's own notifications.
	NoAlarms bool
}

// Write writes occs as one VCALENDAR to w, every event in loc. stamp is the
// DTSTAMP of every event, the moment the calendar was made; it is passed in
// so that output is reproducible. Each event's UID is the occurrence ID, so
// importing a later plan updates events rather than duplicating them.
//
// The calendar always defines loc in a VTIMEZONE, even with no event or in
// UTC: RFC 5545 requires at least one component, and a window with no
// reminders must still import.
//
// DATE-TIME has whole seconds, so sub-second parts of an occurrence's
// instant are dropped.
func Write(w io.Writer, loc *time.Location, occs []domain.Occurrence, stamp time.Time, opts Options) error {
	if loc == nil {
		return errors.New("write calendar: no time zone")
	}
	for i, o := range occs {
		if o.ID == "" {
			return fmt.Errorf("write calendar: occurrence %d (%s at %s) has no id", i, o.Rule, o.At.Format(time.RFC3339))
		}
	}
	bw := bufio.NewWriter(w)
	lw := &lineWriter{w: bw}
	tzid := loc.String()
	utc := isUTC(loc)

	lw.prop("BEGIN", "VCALENDAR")
	lw.prop("VERSION", "2.0")
	lw.text("PRODID", ProdID)
	lw.prop("CALSCALE", "GREGORIAN")
	lw.text("X-WR-CALNAME", "crampd")
	// Go names the machine's zone "Local" when it cannot find its IANA
	// name; importers would take that for a zone name, so say nothing and
	// let the VTIMEZONE speak.
	if tzid != "Local" {
		lw.text("X-WR-TIMEZONE", tzid)
	}
	switch {
	case len(occs) == 0:
		// No event refers to the zone, but a calendar needs a component;
		// the zone as it is now is the one the user would see.
		writeVTimezone(lw, tzid, observances(loc, stamp, stamp))
	case !utc:
		first, last := span(occs)
		writeVTimezone(lw, tzid, observances(loc, first, last))
	}
	dtstamp := stamp.UTC().Format(utcFormat)
	for _, o := range occs {
		writeEvent(lw, loc, tzid, utc, o, dtstamp, !opts.NoAlarms)
	}
	lw.prop("END", "VCALENDAR")

	if lw.err == nil {
		lw.err = bw.Flush()
	}
	if lw.err != nil {
		return fmt.Errorf("write calendar: %w", lw.err)
	}
	return nil
}

func writeEvent(lw *lineWriter, loc *time.Location, tzid string, utc bool, o domain.Occurrence, dtstamp string, alarm bool) {
	lw.prop("BEGIN", "VEVENT")
	lw.text("UID", o.ID)
	lw.prop("DTSTAMP", dtstamp)
	at := o.At.In(loc)
	if utc || repeated(at) {
		// A wall time in a repeated hour means its first instance by RFC
		// 5545 (3.3.5), but khal and python-icalendar read it as the
		// second. UTC names the instant the same way for every reader.
		lw.prop("DTSTART", at.UTC().Format(utcFormat))
	} else {
		lw.propTZID("DTSTART", tzid, at.Format(localFormat))
	}
	lw.prop("DURATION", fmt.Sprintf("PT%dM", int(Duration/time.Minute)))
	lw.text("SUMMARY", o.Title)
	lw.text("DESCRIPTION", description(o))
	lw.text("CATEGORIES", string(o.Kind))
	// Reminders should not mark the user busy.
	lw.prop("TRANSP", "TRANSPARENT")
	if alarm {
		// A display alarm at the start, worded like the notification's
		// title: DISPLAY requires a DESCRIPTION (RFC 5545, 3.6.6).
		lw.prop("BEGIN", "VALARM")
		lw.prop("ACTION", "DISPLAY")
		lw.prop("TRIGGER", "PT0S")
		lw.text("DESCRIPTION", cmp.Or(strings.TrimSpace(o.Title), "crampd reminder"))
		lw.prop("END", "VALARM")
	}
	lw.prop("END", "VEVENT")
}

// description joins the reminder's body and the reason for it, the two
// things the daemon's notifications show.
func description(o domain.Occurrence) string {
	var parts []string
	for _, s := range []string{o.Body, o.Why} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "\n\n")
}

// span returns the earliest and latest instants among occs, which the plan
// sorts but a caller need not.
func span(occs []domain.Occurrence) (first, last time.Time) {
	first, last = occs[0].At, occs[0].At
	for _, o := range occs[1:] {
		if o.At.Before(first) {
			first = o.At
		}
		if o.At.After(last) {
			last = o.At
		}
	}
	return first, last
}

// isUTC reports whether loc is UTC by name, the one zone importers agree on
// without a VTIMEZONE.
func isUTC(loc *time.Location) bool {
	return loc == time.UTC || loc.String() == "UTC"
}

// repeated reports whether t's wall clock reading names two instants in
// t's zone: t lies in the hour (or half hour) that repeats when the clocks
// go back, as its first or its second instance.
func repeated(t time.Time) bool {
	start, end := t.ZoneBounds()
	_, off := t.Zone()
	wall := t.Format(localFormat)
	// sameWallUnder reports whether the instant that reads the same wall
	// time under offset other really has that offset.
	sameWallUnder := func(other int) bool {
		if other == off {
			return false
		}
		return t.Add(time.Duration(off-other)*time.Second).Format(localFormat) == wall
	}
	if !start.IsZero() {
		if _, before := start.Add(-time.Nanosecond).Zone(); sameWallUnder(before) {
			return true
		}
	}
	if !end.IsZero() {
		if _, after := end.Zone(); sameWallUnder(after) {
			return true
		}
	}
	return false
}
