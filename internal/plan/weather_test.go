package plan_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// hotProfile has no exercise, so the cadence alone shows; water every two
// hours from 07:00 to 23:00 outside the heat.
const hotProfile = `timezone = "America/New_York"
[sleep]
wake = "07:00"
bed = "23:00"
[food]
enabled = false
[weather]
latitude = 40.71
longitude = -74.01
`

func parse(t testing.TB, text string) *profile.Profile {
	t.Helper()
	p, err := profile.Parse("hot.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// flat returns days of hours from midnight of day in loc, each at tempC and
// humidity, fetched at fetched.
func flat(day time.Time, days int, tempC, humidity float64, fetched time.Time) []domain.WeatherHour {
	var out []domain.WeatherHour
	for at := day; at.Before(day.AddDate(0, 0, days)); at = at.Add(time.Hour) {
		out = append(out, domain.WeatherHour{At: at, TempC: tempC, Humidity: humidity, FetchedAt: fetched, Latitude: 40.71, Longitude: -74.01})
	}
	return out
}

func TestHeatCadence(t *testing.T) {
	tests := []struct {
		name  string
		c     heat.Category
		every time.Duration
		want  time.Duration
	}{
		{name: "below Caution keeps the climate's", c: heat.None, every: 2 * time.Hour, want: 2 * time.Hour},
		{name: "Caution", c: heat.Caution, every: 2 * time.Hour, want: 90 * time.Minute},
		{name: "Extreme caution", c: heat.ExtremeCaution, every: 2 * time.Hour, want: time.Hour},
		{name: "Danger", c: heat.Danger, every: 2 * time.Hour, want: 45 * time.Minute},
		{name: "Extreme danger", c: heat.ExtremeDanger, every: 2 * time.Hour, want: 30 * time.Minute},
		{name: "never sparser than the profile's own", c: heat.Caution, every: 40 * time.Minute, want: 40 * time.Minute},
		{name: "the profile's own may be denser still", c: heat.ExtremeDanger, every: 15 * time.Minute, want: 15 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := plan.HeatCadence(tt.c, tt.every); got != tt.want {
				t.Errorf("HeatCadence(%s, %s) = %s, want %s", tt.c, tt.every, got, tt.want)
			}
		})
	}
}

// cadence returns the wall times ("15:04") of the regular water reminders.
func cadence(occs []domain.Occurrence) []string {
	var out []string
	for _, o := range occs {
		if o.Rule == "hydration/cadence" {
			out = append(out, o.At.Format("15:04"))
		}
	}
	return out
}

func TestHeatCategorySetsTheCadence(t *testing.T) {
	p := parse(t, hotProfile)
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, p.Location)
	tests := []struct {
		name           string
		tempC, humid   float64
		category       heat.Category
		first, between string
		count          int
	}{
		{name: "Caution every 90 minutes", tempC: 28, humid: 50, category: heat.Caution, first: "07:00", between: "08:30", count: 11},
		{name: "Extreme caution every hour", tempC: 33, humid: 40, category: heat.ExtremeCaution, first: "07:00", between: "08:00", count: 16},
		{name: "Danger every 45 minutes", tempC: 35, humid: 55, category: heat.Danger, first: "07:00", between: "07:45", count: 22},
		{name: "Extreme danger every 30 minutes", tempC: 41, humid: 55, category: heat.ExtremeDanger, first: "07:00", between: "07:30", count: 32},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hours := flat(day, 1, tt.tempC, tt.humid, day)
			if c := heat.CategoryOf(heat.IndexC(tt.tempC, tt.humid)); c != tt.category {
				t.Fatalf("%v °C at %v%% is %s, not %s", tt.tempC, tt.humid, c, tt.category)
			}
			got := cadence(plan.Inputs{Profile: p, Forecast: plan.NewForecast(hours)}.Days(day, 1))
			if len(got) != tt.count || got[0] != tt.first || got[1] != tt.between {
				t.Errorf("water at %v, want %d from %s, %s", got, tt.count, tt.first, tt.between)
			}
		})
	}
}

// A forecast more than two days old at the hour it describes is not
// followed: the plan is the climate's.
func TestStaleForecastFallsBackToTheClimate(t *testing.T) {
	p := parse(t, hotProfile)
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, p.Location)
	climate := plan.Inputs{Profile: p}.Days(day, 1)
	tests := []struct {
		name    string
		fetched time.Time
		follows bool
	}{
		{name: "fetched that morning", fetched: day.Add(6 * time.Hour), follows: true},
		{name: "fetched two days before the day", fetched: day.Add(-24 * time.Hour), follows: true},
		{name: "fetched three days before", fetched: day.AddDate(0, 0, -3), follows: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hot := plan.Inputs{Profile: p, Forecast: plan.NewForecast(flat(day, 1, 35, 55, tt.fetched))}.Days(day, 1)
			if same := reflect.DeepEqual(hot, climate); same == tt.follows {
				t.Errorf("the plan follows the forecast: %v, want %v", !same, tt.follows)
			}
		})
	}
	// Fetched at 06:00 the day before: followed up to 06:00 the day after
	// the day, not past it.
	fc := plan.NewForecast(flat(day, 3, 35, 55, day.Add(-18*time.Hour)))
	if _, ok := fc.At(day.Add(30 * time.Hour)); !ok {
		t.Error("an hour 48 hours after the fetch is not followed")
	}
	if _, ok := fc.At(day.Add(31 * time.Hour)); ok {
		t.Error("an hour 49 hours after the fetch is followed")
	}
	if _, ok := fc.At(day.AddDate(0, 0, 4)); ok {
		t.Error("an hour the forecast does not hold is followed")
	}
}

// The plan is the same whatever window asks for it, with a forecast too:
// the daemon plans short windows often.
func TestShortWindowsFollowTheForecastAlike(t *testing.T) {
	p := parse(t, hotProfile)
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, p.Location)
	// Cool mornings, a hot afternoon.
	var hours []domain.WeatherHour
	for _, h := range flat(day, 2, 20, 60, day) {
		if hr := h.At.In(p.Location).Hour(); hr >= 11 && hr < 20 {
			h.TempC = 36
		}
		hours = append(hours, h)
	}
	in := plan.Inputs{Profile: p, Forecast: plan.NewForecast(hours)}
	whole := in.Build(day, day.Add(48*time.Hour))
	var parts []domain.Occurrence
	for f := day; f.Before(day.Add(48 * time.Hour)); f = f.Add(7 * time.Minute) {
		parts = append(parts, in.Build(f, f.Add(7*time.Minute))...)
	}
	if !slices.EqualFunc(whole, parts, func(a, b domain.Occurrence) bool { return a.ID == b.ID && a.Why == b.Why }) {
		t.Errorf("short windows give %d occurrences, the whole window %d", len(parts), len(whole))
	}
	if got := cadence(whole); !slices.Contains(got, "11:45") {
		t.Errorf("the afternoon heat does not tighten the cadence: %v", got)
	}
}

// NIOSH's guidance for drinking in the heat bounds what the plan asks: the
// water cadence is never denser than its cup every 15-20 minutes, and all
// the drinks asked for (water, before workouts, electrolytes) never add up
// to more than its 48 oz (1.4 l, six cups) in an hour, whatever the heat
// and the workouts.
func TestHeatNeverAsksMoreThanNIOSH(t *testing.T) {
	p := parse(t, hotProfile+`
[[exercise]]
name = "Run"
days = "daily"
start = "12:00"
duration = "30m"
[[exercise]]
name = "Swim"
days = "daily"
start = "16:00"
duration = "45m"
`)
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, p.Location)
	occs := plan.Inputs{Profile: p, Forecast: plan.NewForecast(flat(day, 1, 45, 70, day))}.Days(day, 1)
	var drinks, water []time.Time
	for _, o := range occs {
		if o.Kind == domain.KindHydration || o.Kind == domain.KindElectrolytes {
			drinks = append(drinks, o.At)
		}
		if o.Rule == "hydration/cadence" {
			water = append(water, o.At)
		}
	}
	if len(water) < 25 {
		t.Fatalf("only %d water reminders on an Extreme danger day", len(water))
	}
	for i := 1; i < len(water); i++ {
		if gap := water[i].Sub(water[i-1]); gap < 20*time.Minute {
			t.Errorf("water reminders %s apart at %s", gap, water[i].Format("15:04"))
		}
	}
	for i, at := range drinks {
		n := 0
		for _, other := range drinks[i:] {
			if other.Sub(at) < time.Hour {
				n++
			}
		}
		if n*8 > 48 {
			t.Errorf("%d cups (%d oz) in the hour from %s", n, n*8, at.Format("15:04"))
		}
	}
}

func TestDangerDayElectrolytes(t *testing.T) {
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, time.UTC) // a Tuesday
	tests := []struct {
		name      string
		extra     string
		nightOwl  bool
		tempC     float64
		afternoon bool
	}{
		{name: "a Danger day without a workout", tempC: 35, afternoon: true},
		{name: "an Extreme caution day", tempC: 32, afternoon: false},
		{name: "a workout prompt near 17:00 stands for it", tempC: 35, afternoon: false,
			extra: "[[exercise]]\nname = \"Ride\"\ndays = \"daily\"\nstart = \"15:30\"\nduration = \"1h\"\n"},
		{name: "electrolyte prompts turned off", tempC: 35, afternoon: false, extra: "[electrolytes]\nenabled = false\n"},
		{name: "asleep at 17:00", tempC: 35, afternoon: false, nightOwl: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := hotProfile + tt.extra
			if tt.nightOwl {
				text = strings.Replace(text, "wake = \"07:00\"\nbed = \"23:00\"", "wake = \"19:00\"\nbed = \"11:00\"", 1)
			}
			p := parse(t, text)
			d := day.In(p.Location)
			d = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, p.Location)
			occs := plan.Inputs{Profile: p, Forecast: plan.NewForecast(flat(d, 2, tt.tempC, 55, d))}.Days(d, 1)
			var got bool
			for _, o := range occs {
				if o.Rule == "electrolytes/heat" {
					got = true
					if o.At.In(p.Location).Format("15:04") != "17:00" {
						t.Errorf("hot day electrolytes at %s", o.At)
					}
				}
			}
			if got != tt.afternoon {
				t.Errorf("17:00 electrolyte prompt: %v, want %v", got, tt.afternoon)
			}
		})
	}
}
