package app_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// storeHeatWave stores a forecast, fetched at fetched, for the days from
// first (midnight in loc): days whose date is in hot peak at 36 °C and 50%
// in the afternoon (a heat index of about 108 °F), the others at 20 °C.
func storeHeatWave(t *testing.T, st *store.Store, loc *time.Location, first time.Time, days int, hot map[int]bool, fetched time.Time) {
	t.Helper()
	var hours []domain.WeatherHour
	for d := 0; d < days; d++ {
		midnight := time.Date(first.Year(), first.Month(), first.Day()+d, 0, 0, 0, 0, loc)
		for h := 0; h < 24; h++ {
			temp := 20.0
			if hot[first.Day()+d] && h >= 12 && h < 19 {
				temp = 36
			}
			hours = append(hours, domain.WeatherHour{At: midnight.Add(time.Duration(h) * time.Hour), TempC: temp, Humidity: 50,
				FetchedAt: fetched, Latitude: 52.52, Longitude: 13.41})
		}
	}
	if err := st.SaveForecast(context.Background(), hours); err != nil {
		t.Fatal(err)
	}
}

// A cramp logged on a day whose forecast is stored carries the weather of
// its hour and the day it followed; one without a forecast carries none;
// and stats counts the cramp nights after hot days beside the others.
func TestCrampCarriesTheWeatherAndStatsCountIt(t *testing.T) {
	for _, online := range []bool{true, false} {
		name := "without a daemon"
		if online {
			name = "with the daemon"
		}
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			svc := f.svc
			if !online {
				p, _ := profile.Parse("profile.toml", []byte(testProfile))
				svc = app.New(app.Config{Store: f.st, Clock: f.clock, Profile: p})
			}
			ctx := context.Background()
			berlin := f.eng.policy.Location()
			// start is Tue 2027-06-01 16:00 Berlin. Forecasts are stored
			// for May 29 to June 1, each day's fetched the morning
			// before; May 30 and June 1 are hot.
			for d := 29; d <= 32; d++ {
				day := time.Date(2027, 5, d, 0, 0, 0, 0, berlin)
				storeHeatWave(t, f.st, berlin, day, 1, map[int]bool{30: true, 1: true}, day.Add(-18*time.Hour))
			}
			// May 28's was fetched three days before: too old to trust,
			// as the plan would not.
			may28 := time.Date(2027, 5, 28, 0, 0, 0, 0, berlin)
			storeHeatWave(t, f.st, berlin, may28, 1, map[int]bool{28: true}, may28.AddDate(0, 0, -3))

			logAt := func(at time.Time) domain.Cramp {
				t.Helper()
				res, err := svc.LogCramp(ctx, domain.Cramp{At: at, Severity: 4})
				if err != nil {
					t.Fatal(err)
				}
				return res.Cramp
			}
			// In the night after the hot May 30: the hour is cool, the
			// day it followed was hot.
			night := logAt(time.Date(2027, 5, 31, 3, 10, 0, 0, berlin))
			w := night.Weather
			if w == nil || w.TempC != 20 || w.Humidity != 50 || w.DayMaxHeatIndexF == nil {
				t.Fatalf("night cramp weather %+v", w)
			}
			if want := heat.IndexC(20, 50); math.Abs(w.HeatIndexF-want) > 1e-9 {
				t.Errorf("heat index %v, want %v", w.HeatIndexF, want)
			}
			if heat.CategoryOf(*w.DayMaxHeatIndexF) != heat.Danger {
				t.Errorf("the day before peaked at %v °F, want a Danger day", *w.DayMaxHeatIndexF)
			}
			// In the afternoon of hot June 1: its own hour and day.
			afternoon := logAt(time.Date(2027, 6, 1, 14, 30, 0, 0, berlin))
			if w := afternoon.Weather; w == nil || w.TempC != 36 || w.DayMaxHeatIndexF == nil || *w.DayMaxHeatIndexF != w.HeatIndexF {
				t.Errorf("afternoon cramp weather %+v", w)
			}
			// Before any forecast was stored: no weather.
			if c := logAt(time.Date(2027, 5, 20, 23, 0, 0, 0, berlin)); c.Weather != nil {
				t.Errorf("a cramp without a stored forecast has weather %+v", *c.Weather)
			}
			// The journal keeps it.
			cs, err := svc.Cramps(ctx, 30)
			if err != nil || len(cs) != 3 || cs[1].Weather == nil || cs[1].Weather.TempC != 20 {
				t.Fatalf("journal %+v, %v", cs, err)
			}

			// A night after a stored cool day with a cramp, too.
			logAt(time.Date(2027, 5, 29, 23, 30, 0, 0, berlin))
			st, err := svc.Stats(ctx, 7)
			if err != nil {
				t.Fatal(err)
			}
			h := st.Heat
			if h == nil {
				t.Fatal("stats has no heat section with a forecast stored")
			}
			// Nights of May 25 to 31: after hot May 30 (a cramp), after
			// cool May 29 (a cramp) and May 31; May 28's forecast is too
			// old, and May 25-27 have none.
			want := [6]int{1, 1, 2, 1, 4, 0}
			got := [6]int{h.AfterHotNights, h.AfterHotCrampNights, h.AfterCoolNights, h.AfterCoolCrampNights, h.UnknownNights, h.UnknownCrampNights}
			if got != want {
				t.Errorf("heat nights (hot, hot with cramps, cool, cool with cramps, unknown, unknown with cramps) = %v, want %v", got, want)
			}
			if h.HotDayF != 80 || st.Nights != h.AfterHotNights+h.AfterCoolNights+h.UnknownNights {
				t.Errorf("hot from %d °F; %d nights in all, %+v", h.HotDayF, st.Nights, *h)
			}
		})
	}
}

// Without any stored forecast, stats has no heat section.
func TestStatsWithoutAForecast(t *testing.T) {
	f := newFixture(t)
	st, err := f.svc.Stats(context.Background(), 7)
	if err != nil || st.Heat != nil {
		t.Fatalf("stats %+v, %v", st, err)
	}
}

// Status says whether the plan follows a forecast this hour, and its heat.
func TestStatusNamesTheWeather(t *testing.T) {
	p, err := profile.Parse("profile.toml", []byte(testProfile+"[weather]\nlatitude = 52.52\nlongitude = 13.41\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := clockwork.NewFakeClockAt(start)
	hour := domain.WeatherHour{At: start.Truncate(time.Hour), TempC: 36, Humidity: 50, FetchedAt: start.Add(-time.Hour), Latitude: 52.52, Longitude: 13.41}
	tests := []struct {
		name     string
		forecast plan.Forecast
		want     app.WeatherStatus
	}{
		{name: "following a fresh forecast", forecast: plan.NewForecast([]domain.WeatherHour{hour}),
			want: app.WeatherStatus{Following: true, HeatIndexF: heat.IndexC(36, 50), Category: "Danger"}},
		{name: "nothing stored covers this hour", forecast: plan.Forecast{}, want: app.WeatherStatus{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := &fakeEngine{policy: rules.New(p), inputs: plan.Inputs{Profile: p, Forecast: tt.forecast}}
			svc := app.New(app.Config{Store: st, Clock: clock, Engine: eng, Host: fakeHost{}})
			got, err := svc.Status(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			w := got.Weather
			if w == nil || w.Following != tt.want.Following || w.HeatIndexF != tt.want.HeatIndexF || w.Category != tt.want.Category ||
				(w.Following && (w.FetchedAt == nil || !w.FetchedAt.Equal(hour.FetchedAt))) {
				t.Errorf("weather status %+v, want %+v", w, tt.want)
			}
		})
	}
	// Without [weather], status says nothing of it.
	f := newFixture(t)
	if got, err := f.svc.Status(context.Background()); err != nil || got.Weather != nil {
		t.Errorf("status without [weather]: %+v, %v", got.Weather, err)
	}
}
