package profile_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/profile"
)

func TestWeatherSection(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want *profile.Weather
	}{
		{name: "absent: nothing changes", toml: `timezone = "UTC"`, want: nil},
		{name: "coordinates only take the defaults", toml: "[weather]\nlatitude = 40.71\nlongitude = -74.01\n",
			want: &profile.Weather{Latitude: 40.71, Longitude: -74.01, URL: profile.DefaultWeatherURL, Refresh: 3 * time.Hour}},
		{name: "integers are degrees too", toml: "[weather]\nlatitude = 52\nlongitude = 13\n",
			want: &profile.Weather{Latitude: 52, Longitude: 13, URL: profile.DefaultWeatherURL, Refresh: 3 * time.Hour}},
		{name: "another server with the same API", toml: "[weather]\nlatitude = -90\nlongitude = 180\nurl = \"http://127.0.0.1:8080/v1/forecast\"\nrefresh = \"1h\"\n",
			want: &profile.Weather{Latitude: -90, Longitude: 180, URL: "http://127.0.0.1:8080/v1/forecast", Refresh: time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profile.Parse("weather.toml", []byte(tt.toml))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.want == nil && p.Weather != nil:
				t.Fatalf("Weather = %+v, want none", *p.Weather)
			case tt.want != nil && (p.Weather == nil || *p.Weather != *tt.want):
				t.Fatalf("Weather = %+v, want %+v", p.Weather, *tt.want)
			}
		})
	}
}

// Each fixture in testdata/weather holds mistakes in [weather]; every one is
// reported at its line and column.
func TestWeatherProblems(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{name: "bad", want: []string{
			"3:12: weather.latitude: 91.5 is out of range (want -90 to 90 degrees)",
			"4:13: weather.longitude: want a number of degrees, not a string",
			`5:7: weather.url: "ftp://api.open-meteo.com/v1/forecast": want an http:// or https:// URL of a forecast API like https://api.open-meteo.com/v1/forecast`,
			"6:11: weather.refresh: 5m is out of range (want 30m to 1d)",
			`7:1: weather.refesh: unknown key (did you mean "refresh"?)`,
		}},
		{name: "missing", want: []string{
			"1:1: weather: missing latitude (latitude = 40.71, degrees north; south is negative)",
			"1:1: weather: missing longitude (longitude = -74.01, degrees east; west is negative)",
			`2:7: weather.url: "https://user:pw@weather.example.com/v1/forecast" carries a user name or password; the forecast API needs none`,
		}},
		{name: "query", want: []string{
			"3:13: weather.longitude: +Inf is out of range (want -180 to 180 degrees)",
			`4:7: weather.url: "https://customer-api.open-meteo.com/v1/forecast?apikey=s3cret" has a query; crampd adds the query (coordinates, fields, zone) itself`,
		}},
		{name: "not-a-table", want: []string{
			"1:11: weather: want a table ([weather]), not a string",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(t, filepath.Join("testdata", "weather", tt.name+".toml"))
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
