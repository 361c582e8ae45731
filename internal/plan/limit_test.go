package plan_test

import (
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// Planning day by day gives exactly the occurrences of one window, across
// daylight-saving changes too.
func TestLimitedMatchesDays(t *testing.T) {
	tests := []struct {
		name, profile string
		from          time.Time
		days          int
	}{
		{"new york across spring forward", "newyork", time.Date(2027, 3, 10, 15, 30, 0, 0, time.UTC), 10},
		{"new york across fall back", "newyork", time.Date(2027, 11, 1, 4, 0, 0, 0, time.UTC), 14},
		{"lord howe across spring forward", "lordhowe", time.Date(2027, 9, 30, 0, 0, 0, 0, time.UTC), 7},
		{"london for a month", "london", time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), 31},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, tt.profile)
			want := plan.Days(p, tt.from, tt.days)
			got, err := plan.Limited(p, tt.from, tt.days, plan.MaxOccurrences)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(got, want, func(a, b domain.Occurrence) bool { return a.ID == b.ID && a.At.Equal(b.At) }) {
				t.Fatalf("Limited gave %d occurrences, Days %d, or in another order", len(got), len(want))
			}
		})
	}
}

// A year of a dense profile is refused with how many days fit, without
// building the year.
func TestLimitedRefusesAWindowTooLarge(t *testing.T) {
	p, err := profile.Parse("dense.toml", []byte(`timezone = "UTC"
[[custom]]
name = "every two seconds"
cron = "*/2 * * * * *"
title = "Dense"
`))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = plan.Limited(p, from, 366, plan.MaxOccurrences)
	runtime.ReadMemStats(&after)
	var tm *plan.TooManyError
	if !errors.As(err, &tm) || tm.Limit != plan.MaxOccurrences || tm.Fit != 2 {
		t.Fatalf("Limited = %v, want too many with two days fitting", err)
	}
	if want := "the window holds more than 100000 reminders, the most crampd plans at once; ask for at most 2 days from that start"; err.Error() != want {
		t.Errorf("message %q\nwant %q", err, want)
	}
	// Three days are built, 366 would take gigabytes.
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<20 {
		t.Errorf("refusing the year allocated %d MB", n>>20)
	}
	if occs, err := plan.Limited(p, from, 2, plan.MaxOccurrences); err != nil || len(occs) < 2*43200 {
		t.Errorf("two days: %d occurrences, %v", len(occs), err)
	}
}
