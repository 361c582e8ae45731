// Package openmeteo is a forecast API for tests, shaped like Open-Meteo's:
// a local HTTP server that answers every request with a saved answer of
// the real API (testdata/, for New York around 2027-07-20), one bent into a
// way the API can go wrong, or no answer at all.
//
// The saved answers: hot.json holds four days (2027-07-19 to 22, hourly
// temperature_2m and relative_humidity_2m, the last two hours null, as the
// API sends hours its models do not cover yet) of a heat wave whose second
// day peaks at 36 °C and 48%, a heat index of about 108 °F (the NWS's
// Danger); cool.json the same days in the low 20s °C, never reaching 80 °F.
package openmeteo

import (
	"embed"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

//go:embed testdata/*.json
var saved embed.FS

// Fixture returns a saved answer: "hot" or "cool".
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := saved.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Edit decodes an answer, lets fn change it, and encodes it again.
func Edit(t testing.TB, body []byte, fn func(answer map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Server is the API; its URL (in the embedded httptest.Server) serves
// /v1/forecast and any other path alike.
type Server struct {
	*httptest.Server
	requests atomic.Int32

	mu     sync.Mutex
	status int
	body   []byte
	hang   bool
}

// New starts a Server answering 200 with the saved answer fixture; it is
// closed when the test ends.
func New(t testing.TB, fixture string) *Server {
	t.Helper()
	s := &Server{status: http.StatusOK, body: Fixture(t, fixture)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	s.mu.Lock()
	status, body, hang := s.status, s.body, s.hang
	s.mu.Unlock()
	if hang {
		<-r.Context().Done()
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
}

// Endpoint is the forecast URL a profile's [weather] url names.
func (s *Server) Endpoint() string { return s.URL + "/v1/forecast" }

// Answer makes the server answer status and body from now on.
func (s *Server) Answer(status int, body []byte) {
	s.mu.Lock()
	s.status, s.body, s.hang = status, body, false
	s.mu.Unlock()
}

// Hang makes the server take every request and never answer it.
func (s *Server) Hang() {
	s.mu.Lock()
	s.hang = true
	s.mu.Unlock()
}

// Requests counts the requests the server got.
func (s *Server) Requests() int { return int(s.requests.Load()) }

// Generate returns an answer shaped like the saved ones for the place
// (lat, lon): n hours from start, in the UTC offset of start's zone there
// and then (the API writes one offset for a whole answer), each with temp
// °C and humidity %. Tests that run in real time use it for a forecast
// around now.
func Generate(start time.Time, n int, lat, lon, temp, humidity float64) []byte {
	_, offset := start.Zone()
	times, temps, hums := make([]string, n), make([]float64, n), make([]float64, n)
	for i := range n {
		times[i] = start.Add(time.Duration(i) * time.Hour).UTC().Add(time.Duration(offset) * time.Second).Format("2006-01-02T15:04")
		temps[i], hums[i] = temp, humidity
	}
	b, _ := json.Marshal(map[string]any{
		"latitude": lat, "longitude": lon, "generationtime_ms": 0.05, "utc_offset_seconds": offset,
		"timezone": start.Location().String(), "timezone_abbreviation": "GMT", "elevation": 10.0,
		"hourly_units": map[string]string{"time": "iso8601", "temperature_2m": "°C", "relative_humidity_2m": "%"},
		"hourly":       map[string]any{"time": times, "temperature_2m": temps, "relative_humidity_2m": hums},
	})
	return b
}
