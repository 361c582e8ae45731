package weather_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/openmeteo"
	"github.com/crampd/crampd/internal/weather"
)

// newYork is where the fixtures' forecasts are for.
var newYork = mustZone("America/New_York")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func config(endpoint string) *profile.Weather {
	return &profile.Weather{Latitude: 40.71, Longitude: -74.01, URL: endpoint, Refresh: 3 * time.Hour}
}

func TestFetchReadsOpenMeteo(t *testing.T) {
	var got *http.Request
	api := openmeteo.New(t, "hot")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Clone(context.Background())
		api.Config.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	now := time.Date(2027, 7, 20, 6, 0, 0, 0, newYork)
	c := &weather.Client{HTTP: srv.Client()}
	hours, err := c.Fetch(context.Background(), config(srv.URL+"/v1/forecast"), newYork, now)
	if err != nil {
		t.Fatal(err)
	}
	q := got.URL.Query()
	for key, want := range map[string]string{
		"latitude": "40.71", "longitude": "-74.01", "hourly": "temperature_2m,relative_humidity_2m",
		"timezone": "America/New_York", "past_days": "1", "forecast_days": "3",
	} {
		if q.Get(key) != want {
			t.Errorf("query %s = %q, want %q (%s)", key, q.Get(key), want, got.URL)
		}
	}
	if got.URL.Path != "/v1/forecast" || !strings.HasPrefix(got.Header.Get("User-Agent"), "crampd") {
		t.Errorf("request %s with User-Agent %q", got.URL.Path, got.Header.Get("User-Agent"))
	}
	// Four days of hours, less the two the model has no value for yet.
	if len(hours) != 94 {
		t.Fatalf("%d hours, want 94", len(hours))
	}
	first, hottest := hours[0], hours[24+15]
	if want := time.Date(2027, 7, 19, 0, 0, 0, 0, newYork); !first.At.Equal(want) {
		t.Errorf("first hour at %s, want %s", first.At, want)
	}
	if want := time.Date(2027, 7, 20, 15, 0, 0, 0, newYork); !hottest.At.Equal(want) || hottest.TempC != 36 || hottest.Humidity != 48 {
		t.Errorf("the hottest hour reads %+v", hottest)
	}
	for _, h := range hours {
		if !h.FetchedAt.Equal(now) || h.Latitude != 40.71 || h.Longitude != -74.01 {
			t.Fatalf("hour %+v is not stamped with the fetch and the place asked for", h)
		}
	}
}

// Open-Meteo writes every local time with the offset in force when it
// answers, also past a change of daylight saving time: the offset, not the
// zone's rules, gives the instants.
func TestParseUsesTheAnswersOffsetAcrossDaylightSaving(t *testing.T) {
	body := []byte(`{"latitude":40.7,"longitude":-74.0,"utc_offset_seconds":-14400,"timezone":"America/New_York",
		"hourly_units":{"time":"iso8601","temperature_2m":"°C","relative_humidity_2m":"%"},
		"hourly":{"time":["2027-11-07T00:00","2027-11-07T01:00","2027-11-07T02:00"],
		"temperature_2m":[10.0,9.5,9.0],"relative_humidity_2m":[80,81,82]}}`)
	hours, err := weather.Parse(body, config("http://x"), time.Date(2027, 11, 7, 8, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"2027-11-07T04:00:00Z", "2027-11-07T05:00:00Z", "2027-11-07T06:00:00Z"} {
		if got := hours[i].At.UTC().Format(time.RFC3339); got != want {
			t.Errorf("hour %d at %s, want %s", i, got, want)
		}
	}
}

// Every way the answer can be wrong is an error that says what is wrong.
func TestFetchFailures(t *testing.T) {
	hot := openmeteo.Fixture(t, "hot")
	tests := []struct {
		name   string
		status int
		body   []byte
		want   string
	}{
		{name: "server error", status: 500, body: []byte("upstream down"), want: "answered 500 Internal Server Error"},
		{name: "the API's error object", status: 400,
			body: []byte(`{"error":true,"reason":"Cannot initialize WeatherVariable from invalid String value tempeture_2m for key hourly"}`),
			want: "answered 400 Bad Request: Cannot initialize WeatherVariable from invalid String value tempeture_2m"},
		{name: "rate limited", status: 429, body: []byte(`{"error":true,"reason":"Daily API request limit exceeded. Please try again tomorrow."}`),
			want: "answered 429 Too Many Requests: Daily API request limit exceeded"},
		{name: "malformed JSON", status: 200, body: hot[:len(hot)/2], want: "not the forecast API's JSON"},
		{name: "an HTML page", status: 200, body: []byte("<html><body>captive portal</body></html>"), want: "not the forecast API's JSON"},
		{name: "other coordinates", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { m["latitude"], m["longitude"] = 51.5, -0.12 }),
			want: "the answer is for 51.50, -0.12, not the profile's 40.71, -74.01"},
		{name: "no hourly object", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { delete(m, "hourly") }),
			want: "no hourly forecast in the answer"},
		{name: "no humidity", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { delete(m["hourly"].(map[string]any), "relative_humidity_2m") }),
			want: "no hourly relative_humidity_2m in the answer"},
		{name: "no temperature", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { delete(m["hourly"].(map[string]any), "temperature_2m") }),
			want: "no hourly temperature_2m in the answer"},
		{name: "no offset", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { delete(m, "utc_offset_seconds") }),
			want: "no utc_offset_seconds"},
		{name: "fahrenheit", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { m["hourly_units"].(map[string]any)["temperature_2m"] = "°F" }),
			want: `temperatures are in "°F", not °C`},
		{name: "fields of different lengths", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) {
			h := m["hourly"].(map[string]any)
			h["temperature_2m"] = h["temperature_2m"].([]any)[:10]
		}), want: "the hourly fields differ in length (96 times, 10 temperatures, 96 humidities)"},
		{name: "a time that is not one", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { m["hourly"].(map[string]any)["time"].([]any)[3] = "yesterday" }),
			want: `hourly time "yesterday" is not a time`},
		{name: "times out of order", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) {
			ts := m["hourly"].(map[string]any)["time"].([]any)
			ts[3], ts[4] = ts[4], ts[3]
		}), want: `hourly time "2027-07-19T03:00" does not follow "2027-07-19T04:00"`},
		{name: "implausible values", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) { m["hourly"].(map[string]any)["relative_humidity_2m"].([]any)[5] = 140 }),
			want: "implausible weather at 2027-07-19T05:00"},
		{name: "nothing but nulls", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) {
			h := m["hourly"].(map[string]any)
			h["temperature_2m"] = make([]any, 96)
		}), want: "no hour of the forecast has a value"},
		{name: "a huge answer", status: 200, body: bytes.Repeat([]byte(" "), 2<<20), want: "larger than 1024 KiB"},
		{name: "more hours than any forecast", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) {
			h := m["hourly"].(map[string]any)
			var ts, vs []any
			for i := range 3000 {
				ts = append(ts, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Hour).Format("2006-01-02T15:04"))
				vs = append(vs, 20)
			}
			h["time"], h["temperature_2m"], h["relative_humidity_2m"] = ts, vs, vs
		}), want: "the answer holds 3000 hours, more than any forecast"},
		{name: "a forecast for another year", status: 200, body: openmeteo.Edit(t, hot, func(m map[string]any) {
			ts := m["hourly"].(map[string]any)["time"].([]any)
			for i := range ts {
				ts[i] = strings.Replace(ts[i].(string), "2027", "2031", 1)
			}
		}), want: "no hour of the forecast has a value for the days around 2027-07-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := openmeteo.New(t, "hot")
			api.Answer(tt.status, tt.body)
			c := &weather.Client{HTTP: api.Client()}
			hours, err := c.Fetch(context.Background(), config(api.Endpoint()), newYork, time.Date(2027, 7, 20, 6, 0, 0, 0, newYork))
			if err == nil {
				t.Fatalf("no error; %d hours", len(hours))
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "latitude=") {
				t.Errorf("error %q repeats the request URL", err)
			}
		})
	}
}

func TestFetchTimesOut(t *testing.T) {
	api := openmeteo.New(t, "hot")
	api.Hang()
	c := &weather.Client{HTTP: api.Client(), Timeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := c.Fetch(context.Background(), config(api.Endpoint()), newYork, start)
	if err == nil || !strings.Contains(err.Error(), "no answer within 200ms") {
		t.Fatalf("error %v, want a timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the fetch took %s", took)
	}
}

func TestDefaultTimeoutIsTenSeconds(t *testing.T) {
	if weather.Timeout != 10*time.Second {
		t.Errorf("Timeout = %s", weather.Timeout)
	}
}
