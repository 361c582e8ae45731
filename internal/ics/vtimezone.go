package ics

import (
	"fmt"
	"time"
)

// observance is one STANDARD or DAYLIGHT sub-component: the zone switches
// from offset from to offset to (seconds east of UTC) at instant onset.
type observance struct {
	daylight bool
	// onset is zero for a zone that never changed offset.
	onset    time.Time
	from, to int
	name     string
}

// observances lists the zone periods of loc that overlap [first, last], one
// observance per period, each starting at the transition that opened it.
// Every onset is a real transition from Go's zone data, so the VTIMEZONE
// says exactly what Go says and needs no RRULE that could drift from it.
func observances(loc *time.Location, first, last time.Time) []observance {
	t := first.In(loc)
	start, end := t.ZoneBounds()
	name, off := t.Zone()
	o := observance{daylight: t.IsDST(), onset: start, from: off, to: off, name: name}
	if !start.IsZero() {
		_, o.from = start.Add(-time.Nanosecond).In(loc).Zone()
	}
	out := []observance{o}
	for !end.IsZero() && !end.After(last) {
		prev := off
		t = end.In(loc)
		start, end = t.ZoneBounds()
		name, off = t.Zone()
		out = append(out, observance{daylight: t.IsDST(), onset: start, from: prev, to: off, name: name})
		if !end.IsZero() && !end.After(start) {
			break // defensive: zone data that does not move forward
		}
	}
	return out
}

// writeVTimezone writes the VTIMEZONE that defines tzid over the
// observances.
func writeVTimezone(lw *lineWriter, tzid string, obs []observance) {
	lw.prop("BEGIN", "VTIMEZONE")
	lw.text("TZID", tzid)
	for _, o := range obs {
		kind := "STANDARD"
		if o.daylight {
			kind = "DAYLIGHT"
		}
		lw.prop("BEGIN", kind)
		// DTSTART of an observance is the onset as local time under the
		// offset in force just before it (RFC 5545, 3.6.5).
		dtstart := "19700101T000000"
		if !o.onset.IsZero() {
			dtstart = o.onset.In(time.FixedZone("", o.from)).Format(localFormat)
		}
		lw.prop("DTSTART", dtstart)
		lw.prop("TZOFFSETFROM", utcOffset(o.from))
		lw.prop("TZOFFSETTO", utcOffset(o.to))
		if o.name != "" {
			lw.text("TZNAME", o.name)
		}
		lw.prop("END", kind)
	}
	lw.prop("END", "VTIMEZONE")
}

// utcOffset formats seconds east of UTC as a UTC-OFFSET value. Seconds are
// written only when non-zero, as the grammar requires; historical local mean
// times have them.
func utcOffset(secs int) string {
	sign := '+'
	if secs < 0 {
		sign, secs = '-', -secs
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	if s != 0 {
		return fmt.Sprintf("%c%02d%02d%02d", sign, h, m, s)
	}
	return fmt.Sprintf("%c%02d%02d", sign, h, m)
}
