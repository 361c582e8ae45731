package weather_test

import (
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/openmeteo"
	"github.com/crampd/crampd/internal/weather"
)

// FuzzForecast feeds Parse whatever a forecast server might send. It must
// never panic, and what it accepts is hours in time order, for the place
// asked for, with plausible values, around the fetch.
func FuzzForecast(f *testing.F) {
	f.Add(openmeteo.Fixture(f, "hot"))
	f.Add(openmeteo.Fixture(f, "cool"))
	f.Add([]byte(`{"error":true,"reason":"Parameter 'latitude' and 'longitude' must have the same number of elements"}`))
	f.Add([]byte(`{"latitude":40.7,"longitude":-74,"utc_offset_seconds":-14400,"hourly":{"time":["2027-07-20T00:00"],"temperature_2m":[null],"relative_humidity_2m":[50]}}`))
	now := time.Date(2027, 7, 20, 6, 0, 0, 0, time.UTC)
	cfg := config("http://127.0.0.1/v1/forecast")
	f.Fuzz(func(t *testing.T, body []byte) {
		hours, err := weather.Parse(body, cfg, now)
		if err != nil {
			return
		}
		for i, h := range hours {
			if i > 0 && !hours[i-1].At.Before(h.At) {
				t.Fatalf("hours out of order at %d", i)
			}
			if h.Latitude != cfg.Latitude || h.Longitude != cfg.Longitude || !h.FetchedAt.Equal(now) {
				t.Fatalf("hour %+v not stamped with the request", h)
			}
			if h.TempC < -90 || h.TempC > 60 || h.Humidity < 0 || h.Humidity > 100 {
				t.Fatalf("implausible hour accepted: %+v", h)
			}
			if h.At.Before(now.AddDate(0, 0, -3)) || h.At.After(now.AddDate(0, 0, 8)) {
				t.Fatalf("hour %s far from the fetch accepted", h.At)
			}
		}
	})
}
