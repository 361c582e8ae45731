package plan

import (
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// Inputs is everything a plan is a function of besides its window. The
// daemon and the commands that plan without it build the same Inputs, so
// they plan the same reminders with the same ids.
type Inputs struct {
	Profile *profile.Profile
	// Forecast is the stored weather forecast the hydration plan follows
	// in hot hours; the zero Forecast plans from the profile's climate.
	Forecast Forecast
}

// Build returns the occurrences due in [from, to), in time order.
func (in Inputs) Build(from, to time.Time) []domain.Occurrence {
	return build(in.Profile, in.Forecast, from, to)
}

// Days returns the occurrences in [from, from + days calendar days).
func (in Inputs) Days(from time.Time, days int) []domain.Occurrence {
	return in.Build(from, from.In(in.Profile.Location).AddDate(0, 0, days))
}

// Upcoming returns the next n occurrences after now (at most MaxDays
// ahead). It widens the window from an hour until it holds n, so that a
// profile with a reminder every few seconds is not planned days ahead to
// find the next one.
func (in Inputs) Upcoming(now time.Time, n int) []domain.Occurrence {
	from := now.Add(time.Nanosecond)
	limit := now.AddDate(0, 0, MaxDays)
	var out []domain.Occurrence
	for span := time.Hour; len(out) < n; span *= 2 {
		to := now.Add(span)
		if to.After(limit) {
			to = limit
		}
		out = append(out, in.Build(from, to)...)
		if !to.Before(limit) {
			break
		}
		from = to
	}
	return out[:min(n, len(out))]
}
