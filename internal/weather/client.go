// Package weather fetches the hourly forecast where the person is, from
// Open-Meteo's forecast API (or any server with the same API), and keeps it
// in the state database for the plan, the journal and the stats. Its
// Fetcher is one of the daemon's components: it fetches on start and every
// refresh, retries a failed fetch a few times, and never lets a failure
// reach the schedule, which keeps following the last stored forecast (or
// the profile's climate once that is older than two days).
//
// Open-Meteo's data are offered under CC BY 4.0; the README credits them.
package weather

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// Request bounds.
const (
	// Timeout bounds one fetch, from dialling to the last byte.
	Timeout = 10 * time.Second
	// maxBody is the most of a response crampd reads: four days of two
	// hourly fields take about 3 KiB.
	maxBody = 1 << 20
	// pastDays and forecastDays are the days asked for around today:
	// yesterday, for the weather beside a cramp logged late, and the two
	// days ahead a forecast may be used for.
	pastDays, forecastDays = 1, 3
	// maxHours is the most hours an answer may hold: Open-Meteo forecasts
	// at most 16 days, with up to 92 past ones.
	maxHours = 24 * (16 + 92)
	// keepBefore and keepAfter bound the hours kept around the fetch:
	// those asked for, with room for a server whose clock is off. A
	// server cannot fill the state database with hours nobody asked for.
	keepBefore, keepAfter = 3 * 24 * time.Hour, 8 * 24 * time.Hour
	// placeTolerance is how far, in degrees, the grid cell a forecast
	// describes may lie from the place asked for. Open-Meteo answers for
	// the centre of a model cell, a few kilometres away; half a degree is
	// about 50 km.
	placeTolerance = 0.5
)

// The hourly fields crampd asks for.
const (
	fieldTemperature = "temperature_2m"
	fieldHumidity    = "relative_humidity_2m"
)

// userAgent names crampd to the forecast API.
const userAgent = "crampd (+https://github.com/crampd/crampd)"

// Client fetches forecasts over HTTP.
type Client struct {
	// HTTP sends the requests (http.DefaultClient when nil).
	HTTP *http.Client
	// Timeout bounds each fetch; Timeout (the constant) when zero.
	Timeout time.Duration
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return Timeout
}

// requestURL adds the query to the configured endpoint: the coordinates,
// the two hourly fields, and the profile's zone, in which Open-Meteo starts
// its days.
func requestURL(w *profile.Weather, zone *time.Location) string {
	q := url.Values{}
	q.Set("latitude", strconv.FormatFloat(w.Latitude, 'f', -1, 64))
	q.Set("longitude", strconv.FormatFloat(w.Longitude, 'f', -1, 64))
	q.Set("hourly", fieldTemperature+","+fieldHumidity)
	name := zone.String()
	if name == "" || name == "Local" {
		// No IANA name to send: let the API take the zone of the
		// coordinates. The hours' instants do not depend on it.
		name = "auto"
	}
	q.Set("timezone", name)
	q.Set("past_days", strconv.Itoa(pastDays))
	q.Set("forecast_days", strconv.Itoa(forecastDays))
	return w.URL + "?" + q.Encode()
}

// Fetch asks w's forecast API for the hourly forecast at w's coordinates
// and returns its hours, stamped as fetched at now. Every way the answer
// can be wrong (a status other than 200, a body that is not the API's JSON,
// a forecast for another place, missing fields) is an error that says so.
func (c *Client) Fetch(ctx context.Context, w *profile.Weather, zone *time.Location, now time.Time) ([]domain.WeatherHour, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, requestURL(w, zone), nil)
	if err != nil {
		return nil, fmt.Errorf("build forecast request: %w", err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "application/json")
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("ask %s: no answer within %s", host(w.URL), c.timeout())
		}
		return nil, fmt.Errorf("ask %s: %w", host(w.URL), unwrapURL(err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		if ctx.Err() == context.DeadlineExceeded {
			return nil, fmt.Errorf("read the forecast from %s: no whole answer within %s", host(w.URL), c.timeout())
		}
		return nil, fmt.Errorf("read the forecast from %s: %w", host(w.URL), err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("the forecast from %s is larger than %d KiB; crampd reads no more", host(w.URL), maxBody>>10)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, statusError(w.URL, resp.StatusCode, body)
	}
	hours, err := Parse(body, w, now)
	if err != nil {
		return nil, fmt.Errorf("the forecast from %s: %w", host(w.URL), err)
	}
	return hours, nil
}

// response is the part of Open-Meteo's JSON crampd reads.
type response struct {
	Latitude         *float64          `json:"latitude"`
	Longitude        *float64          `json:"longitude"`
	UTCOffsetSeconds *int              `json:"utc_offset_seconds"`
	HourlyUnits      map[string]string `json:"hourly_units"`
	Hourly           *struct {
		Time        []string   `json:"time"`
		Temperature []*float64 `json:"temperature_2m"`
		Humidity    []*float64 `json:"relative_humidity_2m"`
	} `json:"hourly"`
}

// Parse reads an Open-Meteo forecast response for the place w names and
// returns its hours, stamped as fetched at now. Hours the API has no value
// for yet (null) are left out; everything else that is not as asked is an
// error.
func Parse(body []byte, w *profile.Weather, now time.Time) ([]domain.WeatherHour, error) {
	var r response
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not the forecast API's JSON: %w", err)
	}
	switch {
	case r.Latitude == nil || r.Longitude == nil:
		return nil, errors.New("no latitude and longitude in the answer")
	case !near(*r.Latitude, w.Latitude) || !near(*r.Longitude, w.Longitude):
		return nil, fmt.Errorf("the answer is for %.2f, %.2f, not the profile's %.2f, %.2f", *r.Latitude, *r.Longitude, w.Latitude, w.Longitude)
	case r.UTCOffsetSeconds == nil:
		return nil, errors.New("no utc_offset_seconds in the answer")
	case r.Hourly == nil:
		return nil, errors.New("no hourly forecast in the answer")
	case r.Hourly.Time == nil:
		return nil, errors.New("no hourly time in the answer")
	case r.Hourly.Temperature == nil:
		return nil, fmt.Errorf("no hourly %s in the answer", fieldTemperature)
	case r.Hourly.Humidity == nil:
		return nil, fmt.Errorf("no hourly %s in the answer", fieldHumidity)
	case len(r.Hourly.Time) > maxHours:
		return nil, fmt.Errorf("the answer holds %d hours, more than any forecast (%d)", len(r.Hourly.Time), maxHours)
	case len(r.Hourly.Temperature) != len(r.Hourly.Time) || len(r.Hourly.Humidity) != len(r.Hourly.Time):
		return nil, fmt.Errorf("the hourly fields differ in length (%d times, %d temperatures, %d humidities)",
			len(r.Hourly.Time), len(r.Hourly.Temperature), len(r.Hourly.Humidity))
	}
	if u, ok := r.HourlyUnits[fieldTemperature]; ok && u != "°C" {
		return nil, fmt.Errorf("temperatures are in %q, not °C", clip(u))
	}
	if u, ok := r.HourlyUnits[fieldHumidity]; ok && u != "%" {
		return nil, fmt.Errorf("humidity is in %q, not %%", clip(u))
	}
	// Open-Meteo writes local times with one UTC offset for the whole
	// answer (the one in force when it answers, even across a change of
	// daylight saving time), so the offset, not the zone's rules, turns
	// them back into instants.
	offset := time.Duration(*r.UTCOffsetSeconds) * time.Second
	var out []domain.WeatherHour
	var last time.Time
	for i, s := range r.Hourly.Time {
		local, err := time.Parse("2006-01-02T15:04", s)
		if err != nil {
			return nil, fmt.Errorf("hourly time %q is not a time like 2027-07-20T14:00", clip(s))
		}
		at := local.Add(-offset)
		if i > 0 && !at.After(last) {
			return nil, fmt.Errorf("hourly time %q does not follow %q", clip(s), clip(r.Hourly.Time[i-1]))
		}
		last = at
		temp, humidity := r.Hourly.Temperature[i], r.Hourly.Humidity[i]
		if temp == nil || humidity == nil {
			continue // not forecast yet
		}
		if at.Before(now.Add(-keepBefore)) || at.After(now.Add(keepAfter)) {
			continue // not asked for
		}
		if *temp < -90 || *temp > 60 || *humidity < 0 || *humidity > 100 {
			return nil, fmt.Errorf("implausible weather at %s: %v °C, %v%% humidity", s, *temp, *humidity)
		}
		out = append(out, domain.WeatherHour{At: at, TempC: *temp, Humidity: *humidity, FetchedAt: now,
			Latitude: w.Latitude, Longitude: w.Longitude})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no hour of the forecast has a value for the days around %s", now.Format(time.DateOnly))
	}
	return out, nil
}

// near reports whether two coordinates are within placeTolerance degrees,
// across the antimeridian too.
func near(a, b float64) bool {
	d := math.Abs(a - b)
	return math.Min(d, 360-d) <= placeTolerance
}

// statusError describes an answer other than 200, with the reason the API
// gave in its JSON error object when it gave one.
func statusError(endpoint string, code int, body []byte) error {
	var e struct {
		Error  bool   `json:"error"`
		Reason string `json:"reason"`
	}
	reason := ""
	if json.Unmarshal(body, &e) == nil && e.Reason != "" {
		reason = ": " + clip(e.Reason)
	}
	return fmt.Errorf("%s answered %d %s%s", host(endpoint), code, http.StatusText(code), reason)
}

// clip makes text from the answer fit for one log line: printable and
// short.
func clip(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if r := []rune(s); len(r) > 120 {
		s = string(r[:120]) + "..."
	}
	return s
}

// host names the API in messages by its host: the path adds nothing.
func host(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" {
		return u.Host
	}
	return "the forecast API"
}

// unwrapURL drops the method and the full URL a *url.Error repeats.
func unwrapURL(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
