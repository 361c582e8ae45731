package plan

import "time"

// wall is a wall-clock date and time with no zone. Arithmetic on it is plain
// calendar arithmetic, so "every 2h from 07:00" stays on 09:00, 11:00... on
// the wall whatever daylight saving does underneath.
type wall struct {
	t time.Time // always in UTC, used only as a calendar container
}

func wallOf(y int, m time.Month, d, sec int) wall {
	return wall{time.Date(y, m, d, 0, 0, sec, 0, time.UTC)}
}

func (w wall) add(d time.Duration) wall { return wall{w.t.Add(d)} }

func (w wall) before(o wall) bool { return w.t.Before(o.t) }

// minuteOfDay returns the wall time's minutes since midnight.
func (w wall) minuteOfDay() int { return w.t.Hour()*60 + w.t.Minute() }

// Resolve turns a wall-clock time in loc into an instant, following RFC 5545
// (section 3.3.5) for times that daylight saving makes ambiguous:
//
//   - a time in a spring-forward gap does not exist; it is read with the UTC
//     offset in force before the gap, so 02:30 on a day New York skips from
//     02:00 to 03:00 becomes 03:30 EDT;
//   - a time in the repeated fall-back hour exists twice; the first (the
//     earlier instant) is taken.
//
// Go's time.Date leaves both cases unspecified, and cron libraries disagree,
// so the plan never relies on them.
func Resolve(loc *time.Location, y int, m time.Month, d, h, mi, s int) time.Time {
	return resolve(loc, wallOf(y, m, d, h*3600+mi*60+s))
}

func resolve(loc *time.Location, w wall) time.Time {
	naive := w.t.Unix()
	offsetAt := func(unix int64) int64 {
		_, off := time.Unix(unix, 0).In(loc).Zone()
		return int64(off)
	}
	// Offsets in force a day either side bracket any single transition
	// near w; zones do not change offset twice within a day.
	before := offsetAt(naive - 86400)
	candidates := []int64{before, offsetAt(naive), offsetAt(naive + 86400)}
	var best int64
	found := false
	for _, off := range candidates {
		u := naive - off
		if offsetAt(u) != off {
			continue
		}
		if !found || u < best {
			best, found = u, true
		}
	}
	if !found {
		// In a gap: use the offset from before it.
		best = naive - before
	}
	return time.Unix(best, int64(w.t.Nanosecond())).In(loc)
}
