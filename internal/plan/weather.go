package plan

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/profile"
)

// Forecast is the stored weather forecast a plan follows: hourly
// temperature and humidity where the person is. The zero Forecast has no
// hours, and the plan follows the profile's climate alone.
type Forecast struct {
	// hours are in time order.
	hours []domain.WeatherHour
}

// NewForecast returns the forecast of hours, in any order.
func NewForecast(hours []domain.WeatherHour) Forecast {
	return Forecast{hours: slices.SortedStableFunc(slices.Values(hours), func(a, b domain.WeatherHour) int { return a.At.Compare(b.At) })}
}

// Hours returns the forecast's hours in time order.
func (f Forecast) Hours() []domain.WeatherHour { return slices.Clone(f.hours) }

// Len returns how many hours the forecast holds.
func (f Forecast) Len() int { return len(f.hours) }

// At returns the hour of the forecast that t falls in, when there is one
// and it is fresh: fetched at most domain.MaxForecastAge before that hour.
func (f Forecast) At(t time.Time) (domain.WeatherHour, bool) {
	// The last hour starting at or before t.
	i := sort.Search(len(f.hours), func(i int) bool { return f.hours[i].At.After(t) }) - 1
	if i < 0 {
		return domain.WeatherHour{}, false
	}
	h := f.hours[i]
	if !t.Before(h.At.Add(time.Hour)) || !h.Fresh() {
		return domain.WeatherHour{}, false
	}
	return h, true
}

// HeatIndexAt returns the heat index, in °F, of the hour t falls in, when
// the forecast has a fresh hour for it.
func (f Forecast) HeatIndexAt(t time.Time) (float64, bool) {
	h, ok := f.At(t)
	if !ok {
		return 0, false
	}
	return heat.IndexC(h.TempC, h.Humidity), true
}

// heatCadence is the hydration interval each heat index category sets,
// never sparser than the profile's own. The densest, every 30 minutes, is
// half as often as NIOSH's "a cup every 15-20 minutes" for work in the
// heat: at a cup a reminder, far below its 48 oz (1.4 l) an hour.
var heatCadence = map[heat.Category]time.Duration{
	heat.Caution:        90 * time.Minute,
	heat.ExtremeCaution: time.Hour,
	heat.Danger:         45 * time.Minute,
	heat.ExtremeDanger:  profile.DensestHeatCadence,
}

// HeatCadence returns the hydration interval an hour of category c sets
// for a profile whose own is every: every itself below Caution.
func HeatCadence(c heat.Category, every time.Duration) time.Duration {
	if d, ok := heatCadence[c]; ok && d < every {
		return d
	}
	return every
}

// heatElectrolytesAt is the late afternoon, when a day in the Danger
// category gets an electrolyte prompt even without a workout.
var heatElectrolytesAt = profile.NewClock(17, 0)

// heatElectrolytesNear is how close to a workout's electrolyte prompt the
// hot day's may fall before it is left out as a repeat.
const heatElectrolytesNear = 90 * time.Minute

// heatAt returns the heat index and category of the hour wall time w falls
// in, in the profile's zone.
func (b *builder) heatAt(w wall) (float64, heat.Category, bool) {
	if b.fc.Len() == 0 {
		return 0, heat.None, false // spare resolving w
	}
	index, ok := b.fc.HeatIndexAt(resolve(b.p.Location, w))
	if !ok {
		return 0, heat.None, false
	}
	return index, heat.CategoryOf(index), true
}

// dayMaxHeat returns the highest heat index of the waking hours from wake
// to bed, when the forecast covers any of them.
func (b *builder) dayMaxHeat(wake, bed wall) (float64, bool) {
	if b.fc.Len() == 0 {
		return 0, false
	}
	var (
		hottest float64
		found   bool
	)
	// One sample an hour lands in every forecast hour the day overlaps.
	for w := wake; w.before(bed); w = w.add(time.Hour) {
		if index, _, ok := b.heatAt(w); ok && (!found || index > hottest) {
			hottest, found = index, true
		}
	}
	return hottest, found
}

// heatElectrolytes adds the late-afternoon electrolyte prompt of a day in
// the Danger category or hotter, unless a workout's prompt comes near it or
// it falls outside the waking day or in quiet hours.
func (b *builder) heatElectrolytes(d, wake, bed wall, hottest float64, workoutPrompts []wall) {
	w := at(d, heatElectrolytesAt)
	if w.before(wake) || !w.before(bed) || b.quiet(w) {
		return
	}
	for _, e := range workoutPrompts {
		if w.t.Sub(e.t).Abs() < heatElectrolytesNear {
			return
		}
	}
	p := b.p
	b.emit(p.Location, w, domain.KindElectrolytes, "electrolytes/heat", func() advice.Text {
		snacks := advice.FoodTexts(advice.FoodsFor(advice.Potassium, p.Diet.Avoid))
		return advice.HeatElectrolytes(hottest, heat.CategoryOf(hottest), snacks[:min(len(snacks), 2)])
	})
}

// fmtMinutes writes an interval for a reminder's text: "90 minutes".
func fmtMinutes(d time.Duration) string {
	return fmt.Sprintf("%d minutes", int(d/time.Minute))
}

// FetchedAt returns when the newest of the forecast's hours was fetched;
// the zero time for an empty forecast.
func (f Forecast) FetchedAt() time.Time {
	var last time.Time
	for _, h := range f.hours {
		if h.FetchedAt.After(last) {
			last = h.FetchedAt
		}
	}
	return last
}
