package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// hours returns n forecast hours from start, each temp degrees warmer than
// the last, fetched at fetched.
func hours(start time.Time, n int, temp float64, fetched time.Time) []domain.WeatherHour {
	out := make([]domain.WeatherHour, n)
	for i := range out {
		out[i] = domain.WeatherHour{At: start.Add(time.Duration(i) * time.Hour), TempC: temp + float64(i), Humidity: 50,
			FetchedAt: fetched, Latitude: 40.71, Longitude: -74.01}
	}
	return out
}

func TestForecastLaterFetchReplacesTheHoursItCovers(t *testing.T) {
	s, dir := mustOpen(t)
	ctx := context.Background()
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, time.UTC)
	if err := s.SaveForecast(ctx, hours(day, 48, 20, day)); err != nil {
		t.Fatal(err)
	}
	// A later fetch covers the second day from noon, and starts its hours
	// half an hour off (a zone whose offset moved by 30 minutes).
	later := day.Add(30 * time.Hour)
	if err := s.SaveForecast(ctx, hours(later.Add(-30*time.Minute), 6, 30, later)); err != nil {
		t.Fatal(err)
	}
	got, err := s.Forecast(ctx, day, day.Add(72*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// 48 hours, less the 6 the second fetch spans (29:30 to 35:30 covers
	// the hours starting 30:00 to 35:00), plus its own 6.
	if len(got) != 48 {
		t.Fatalf("%d hours stored, want 48: %v", len(got), got)
	}
	for i, h := range got {
		if i > 0 && !got[i-1].At.Before(h.At) {
			t.Fatalf("hours out of order at %d: %s after %s", i, h.At, got[i-1].At)
		}
		fromLater := !h.At.Before(later.Add(-30*time.Minute)) && h.At.Before(later.Add(6*time.Hour))
		if fromLater != h.FetchedAt.Equal(later) {
			t.Errorf("hour %s fetched at %s", h.At, h.FetchedAt)
		}
	}
	if h := got[29]; !h.At.Equal(day.Add(29*time.Hour)) || h.TempC != 49 {
		t.Errorf("the hour before the later fetch was changed: %+v", h)
	}
	if h := got[30]; !h.At.Equal(later.Add(-30*time.Minute)) || h.TempC != 30 || h.Latitude != 40.71 || h.Longitude != -74.01 {
		t.Errorf("the later fetch's first hour reads back as %+v", h)
	}

	// A command without a daemon reads the same hours from a read-only
	// handle.
	ro, err := store.OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	again, err := ro.Forecast(ctx, day, day.Add(72*time.Hour))
	if err != nil || len(again) != len(got) {
		t.Fatalf("read-only: %d hours, %v", len(again), err)
	}
}

func TestCrampKeepsItsWeather(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	dayMax := 104.9
	with := domain.Cramp{At: t0, Severity: 5, Weather: &domain.Weather{TempC: 33.5, Humidity: 61, HeatIndexF: 97.2, DayMaxHeatIndexF: &dayMax}}
	hourOnly := domain.Cramp{At: t0.Add(time.Minute), Weather: &domain.Weather{TempC: 20, Humidity: 50, HeatIndexF: 67.3}}
	without := domain.Cramp{At: t0.Add(time.Hour), Severity: 3}
	for _, c := range []domain.Cramp{with, hourOnly, without} {
		if _, err := addCramp(s, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Cramps(ctx, t0, t0.Add(2*time.Hour))
	if err != nil || len(got) != 3 {
		t.Fatalf("cramps %v, %v", got, err)
	}
	if w := got[0].Weather; w == nil || w.TempC != 33.5 || w.Humidity != 61 || w.HeatIndexF != 97.2 || w.DayMaxHeatIndexF == nil || *w.DayMaxHeatIndexF != dayMax {
		t.Errorf("weather read back as %+v, want %+v", w, *with.Weather)
	}
	if w := got[1].Weather; w == nil || w.HeatIndexF != 67.3 || w.DayMaxHeatIndexF != nil {
		t.Errorf("weather without the day's maximum read back as %+v", w)
	}
	if got[2].Weather != nil {
		t.Errorf("a cramp logged without a forecast reads back with weather %+v", *got[2].Weather)
	}
}
