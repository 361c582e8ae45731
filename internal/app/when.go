package app

import (
	"errors"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// ErrFuture is returned by ParseWhen for a time after now.
var ErrFuture = errors.New("is in the future")

// ParseWhen reads a time a person typed, in the profile's zone loc: a time
// of day ("03:10", the most recent 03:10 that has passed), a date and time
// ("2026-11-28 03:10" or "2026-11-28T03:10"), or RFC 3339 (which carries
// its own offset). A time after now is refused with ErrFuture.
func ParseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	now = now.In(loc)
	var t time.Time
	if c, err := profile.ParseClockString(s); err == nil {
		t = plan.Resolve(loc, now.Year(), now.Month(), now.Day(), c.Hour(), c.Minute(), 0)
		if t.After(now) {
			t = plan.Resolve(loc, now.Year(), now.Month(), now.Day()-1, c.Hour(), c.Minute(), 0)
		}
	} else if rfc, err := time.Parse(time.RFC3339, s); err == nil {
		t = rfc.In(loc)
	} else if local, err := parseLocal(s, loc); err == nil {
		t = local
	} else {
		return time.Time{}, fmt.Errorf("%q is not a time: give HH:MM, \"YYYY-MM-DD HH:MM\" or RFC 3339", s)
	}
	if t.After(now) {
		return time.Time{}, fmt.Errorf("%s (%s) %w", s, t.Format("Mon 2006-01-02 15:04 MST"), ErrFuture)
	}
	return t, nil
}

// ParseDate reads a plain date ("2026-12-01") as its midnight in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation("2006-01-02", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-12-01", s)
	}
	return plan.Resolve(loc, d.Year(), d.Month(), d.Day(), 0, 0, 0), nil
}

// parseLocal reads a wall-clock date and time in loc, with the plan's rule
// for a time in a daylight-saving gap or repeated hour.
func parseLocal(s string, loc *time.Location) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if w, err := time.Parse(layout, s); err == nil {
			return plan.Resolve(loc, w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second()), nil
		}
	}
	return time.Time{}, errors.New("not a local date and time")
}
