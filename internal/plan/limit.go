package plan

import (
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// MaxOccurrences is the most occurrences Limited returns for one window. A
// profile may yield up to profile.MaxPerDay reminders a day, so a year of a
// dense profile is millions of them (6.9 GB to list as JSON); no person
// reads that many, and a calendar refuses them.
const MaxOccurrences = 100_000

// TooManyError reports a window that holds more occurrences than a limit.
type TooManyError struct {
	// Limit is the cap the window exceeded.
	Limit int
	// Fit is how many whole days from the window's start stay within it.
	Fit int
}

func (e *TooManyError) Error() string {
	if e.Fit == 0 {
		return fmt.Sprintf("the first day of the window already holds more than %d reminders, the most crampd plans at once", e.Limit)
	}
	return fmt.Sprintf("the window holds more than %d reminders, the most crampd plans at once; ask for at most %d days from that start", e.Limit, e.Fit)
}

// Limited returns the occurrences in [from, from + days calendar days), as
// Days does, or a *TooManyError once they number more than limit. It plans
// one day at a time and stops at the day that crosses the limit, so a
// window far too large costs no more than one that just fits.
func Limited(p *profile.Profile, from time.Time, days, limit int) ([]domain.Occurrence, error) {
	return Inputs{Profile: p}.Limited(from, days, limit)
}

// Limited returns the occurrences in [from, from + days calendar days), as
// Days does, or a *TooManyError once they number more than limit; see the
// package function Limited.
func (in Inputs) Limited(from time.Time, days, limit int) ([]domain.Occurrence, error) {
	p := in.Profile
	var out []domain.Occurrence
	start := from
	for d := 1; d <= days; d++ {
		// Days end at the same wall time as from, in the profile's zone,
		// exactly where Days's window ends.
		end := from.In(p.Location).AddDate(0, 0, d)
		day := in.Build(start, end)
		if len(out)+len(day) > limit {
			return nil, &TooManyError{Limit: limit, Fit: d - 1}
		}
		out = append(out, day...)
		start = end
	}
	return out, nil
}
