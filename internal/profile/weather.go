package profile

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"
)

// DefaultWeatherURL is Open-Meteo's forecast API: free for non-commercial
// use, with no key.
const DefaultWeatherURL = "https://api.open-meteo.com/v1/forecast"

// DefaultWeatherRefresh is how often the daemon fetches the forecast.
const DefaultWeatherRefresh = 3 * time.Hour

// DensestHeatCadence is the shortest hydration interval the heat can set
// (see package plan): half as often as NIOSH's "a cup every 15-20
// minutes" for work in the heat, so that a cup a reminder stays far below
// NIOSH's 48 oz (1.4 l) an hour.
const DensestHeatCadence = 30 * time.Minute

// Weather says where the person is, so that the daemon can fetch the
// forecast there and tighten the hydration plan in hot hours.
type Weather struct {
	// Latitude and Longitude are WGS84 degrees; they are sent to URL.
	Latitude, Longitude float64
	// URL is the forecast endpoint: Open-Meteo's, or any server with the
	// same API.
	URL string
	// Refresh is how often the forecast is fetched.
	Refresh time.Duration
}

// weather reads [weather], or returns nil when the profile has none.
func (d *decoder) weather(root *table) *Weather {
	v, ok := root.m["weather"]
	if !ok {
		root.forget("weather")
		return nil
	}
	t := root.sub("weather")
	if _, isTable := v.(map[string]any); !isTable {
		return nil // sub reported it
	}
	w := &Weather{URL: DefaultWeatherURL}
	if t.need("latitude", `latitude (latitude = 40.71, degrees north; south is negative)`) {
		w.Latitude = t.degrees("latitude", 90)
	}
	if t.need("longitude", `longitude (longitude = -74.01, degrees east; west is negative)`) {
		w.Longitude = t.degrees("longitude", 180)
	}
	if s, ok := t.str("url"); ok {
		if msg := checkWeatherURL(s); msg != "" {
			d.errorf(t.child("url"), "%s", msg)
		} else {
			w.URL = s
		}
	}
	w.Refresh = t.duration("refresh", DefaultWeatherRefresh, 30*time.Minute, 24*time.Hour)
	t.finish()
	return w
}

// degrees reads a coordinate: a number (integer or float) within ±limit.
func (t *table) degrees(key string, limit float64) float64 {
	v, _ := t.get(key)
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case int64:
		f = float64(x)
	default:
		t.d.errorf(t.child(key), "want a number of degrees, not %s", typeName(v))
		return 0
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || f < -limit || f > limit {
		t.d.errorf(t.child(key), "%v is out of range (want -%v to %v degrees)", f, limit, limit)
		return 0
	}
	return f
}

// checkWeatherURL describes what is wrong with a forecast URL, or returns
// "". crampd adds the query itself, and a URL in the profile may carry no
// credentials: any query value or user name may be a token.
func checkWeatherURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL: %v", s, unwrapURLError(err))
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q: want an http:// or https:// URL of a forecast API like %s", s, DefaultWeatherURL)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Sprintf("%q has no host", s)
	case u.User != nil:
		return fmt.Sprintf("%q carries a user name or password; the forecast API needs none", s)
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Sprintf("%q has a query; crampd adds the query (coordinates, fields, zone) itself", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("%q has a fragment (#...); remove it", s)
	}
	return ""
}

// unwrapURLError drops the "parse URL: " that *url.Error puts in front of
// the reason, which the message already names.
func unwrapURLError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		return ue.Err
	}
	return err
}
