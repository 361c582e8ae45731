package daemon_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/testutil/openmeteo"
	"github.com/crampd/crampd/internal/weather"
)

// weatherProfile is a New Yorker with water every two hours outside the
// heat, whose forecast comes from endpoint.
func weatherProfile(endpoint string) string {
	return `timezone = "America/New_York"
[sleep]
wake = "07:00"
bed = "23:00"
[food]
enabled = false
[weather]
latitude = 40.71
longitude = -74.01
url = "` + endpoint + `"
[[channel]]
type = "stdout"
`
}

// settleAll waits until the fetcher, the schedule loop and the outbox have
// done everything due by the fake clock's time. The fetcher goes first: a
// forecast it stores re-plans the loop.
func (h *harness) settleAll() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.d.Weather().HandledThrough(ctx, h.clock.Now()); err != nil {
		h.t.Fatalf("%v\nlogs:\n%s", err, h.logs.String())
	}
	h.settle()
}

func (h *harness) advanceAll(t time.Time) {
	h.t.Helper()
	h.settleAll()
	h.clock.Advance(t.Sub(h.clock.Now()))
	h.settleAll()
}

// runThrough moves the clock through every instant of want and of also up
// to end, and checks that exactly want fired, each at its instant.
func (h *harness) runThrough(want, also []domain.Occurrence, end time.Time) {
	h.t.Helper()
	byInstant := map[time.Time]int{}
	var instants []time.Time
	for _, o := range append(slices.Clone(want), also...) {
		at := o.At.UTC()
		if _, ok := byInstant[at]; !ok {
			instants = append(instants, at)
			byInstant[at] = 0
		}
	}
	for _, o := range want {
		byInstant[o.At.UTC()]++
	}
	slices.SortFunc(instants, func(a, b time.Time) int { return a.Compare(b) })
	wantIDs := map[string]bool{}
	for _, o := range want {
		wantIDs[o.ID] = true
	}
	for _, at := range instants {
		h.advanceAll(at)
		for _, o := range h.waitFired(byInstant[at]) {
			if !wantIDs[o.ID] {
				h.t.Errorf("%s fired at %s; not in the plan", o.ID, h.clock.Now())
			}
			delete(wantIDs, o.ID)
		}
		h.noneFired("fired beyond the plan at " + at.String())
	}
	// Up to end, not through it: the plans' windows end there.
	h.advanceAll(end.Add(-time.Second))
	h.noneFired("fired beyond the plan before " + end.String())
	if len(wantIDs) > 0 {
		h.t.Errorf("never fired: %v", wantIDs)
	}
}

func (h *harness) profile() *profile.Profile {
	h.t.Helper()
	p, err := profile.Load(h.path)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// parsed fetches a saved answer as the daemon would, at fetched.
func parsed(t *testing.T, p *profile.Profile, name string, fetched time.Time) plan.Forecast {
	t.Helper()
	hours, err := weather.Parse(openmeteo.Fixture(t, name), p.Weather, fetched)
	if err != nil {
		t.Fatal(err)
	}
	return plan.NewForecast(hours)
}

// A heat wave forecast arriving at noon re-plans the rest of the day: what
// already fired never fires again, reminders the new plan puts before noon
// do not fire late, those it drops do not fire, and the new ones fire at
// their instants. A restart then follows the stored forecast even while the
// API is down.
func TestForecastArrivingMidDayReplans(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	start := time.Date(2027, 7, 20, 6, 0, 0, 0, ny)
	noon := start.Add(6 * time.Hour)
	api := openmeteo.New(t, "cool")
	h := newHarness(t, weatherProfile(api.Endpoint()), start)
	h.start()
	h.settleAll()
	p := h.profile()

	// The morning follows the cool forecast, which is the climate's plan;
	// the fetch every three hours changes nothing.
	cool := plan.Inputs{Profile: p, Forecast: parsed(t, p, "cool", start)}
	morning := cool.Build(start, noon)
	if climate := (plan.Inputs{Profile: p}).Build(start, noon); !slices.EqualFunc(morning, climate, func(a, b domain.Occurrence) bool { return a.ID == b.ID }) {
		t.Fatalf("the cool morning is not the climate's plan")
	}
	h.runThrough(morning, nil, noon)

	// Now a heat wave is forecast; the noon refresh fetches it.
	api.Answer(200, openmeteo.Fixture(t, "hot"))
	h.advanceAll(noon)
	h.noneFired("the new plan's reminders before noon fired late")
	if !strings.Contains(h.logs.String(), "weather forecast stored") {
		t.Fatalf("the noon refresh stored nothing:\n%s", h.logs.String())
	}

	hot := plan.Inputs{Profile: p, Forecast: parsed(t, p, "hot", noon)}
	end := start.Add(10 * time.Hour) // 16:00
	afternoon := hot.Build(noon, end)
	dropped := cool.Build(noon, end)
	if slices.EqualFunc(afternoon, dropped, func(a, b domain.Occurrence) bool { return a.ID == b.ID }) {
		t.Fatal("the heat does not change the afternoon")
	}
	h.runThrough(afternoon, dropped, end)
	for _, o := range afternoon {
		if o.Rule == "hydration/cadence" && !strings.Contains(o.Why, "Heat index") {
			t.Errorf("%s: why %q does not name the heat index", o.At, o.Why)
		}
	}

	// Everything fired once, and went out once.
	printed := map[string]int{}
	for _, l := range h.stdoutLines() {
		printed[l["id"].(string)]++
	}
	for id, n := range printed {
		if n != 1 {
			t.Errorf("%s printed %d times", id, n)
		}
	}
	if len(printed) != len(morning)+len(afternoon) {
		t.Errorf("%d reminders printed, want %d", len(printed), len(morning)+len(afternoon))
	}

	// A restart while the API is down plans from the stored heat wave.
	h.stop()
	api.Answer(500, []byte("down"))
	h.start()
	h.settleAll()
	h.noneFired("a restart fired something again")
	evening := hot.Build(end, end.Add(3*time.Hour))
	h.runThrough(evening, cool.Build(end, end.Add(3*time.Hour)), end.Add(3*time.Hour))
}

// Whatever goes wrong with the forecast, the daemon logs it once and plans
// from the climate; the schedule keeps firing.
func TestForecastFailuresFallBackToTheClimate(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	start := time.Date(2027, 7, 20, 6, 0, 0, 0, ny)
	hot := func(t *testing.T) []byte { return openmeteo.Fixture(t, "hot") }
	bend := func(t *testing.T, fn func(map[string]any)) []byte { return openmeteo.Edit(t, hot(t), fn) }
	tests := []struct {
		name string
		// set makes the API fail.
		set func(t *testing.T, a *openmeteo.Server)
		// stale stores the hot forecast, fetched three days ago, first.
		stale bool
		why   string
	}{
		{name: "timeout", set: func(t *testing.T, a *openmeteo.Server) { a.Hang() }, why: "no answer within 200ms"},
		{name: "500", set: func(t *testing.T, a *openmeteo.Server) { a.Answer(500, []byte("oops")) }, why: "answered 500 Internal Server Error"},
		{name: "malformed JSON", set: func(t *testing.T, a *openmeteo.Server) { a.Answer(200, hot(t)[:100]) }, why: "not the forecast API's JSON"},
		{name: "other coordinates", set: func(t *testing.T, a *openmeteo.Server) {
			a.Answer(200, bend(t, func(m map[string]any) { m["latitude"], m["longitude"] = 48.85, 2.35 }))
		}, why: "the answer is for 48.85, 2.35"},
		{name: "no hourly fields", set: func(t *testing.T, a *openmeteo.Server) {
			a.Answer(200, bend(t, func(m map[string]any) { delete(m, "hourly") }))
		}, why: "no hourly forecast"},
		{name: "a forecast two days old", stale: true, set: func(t *testing.T, a *openmeteo.Server) { a.Answer(503, nil) }, why: "answered 503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := openmeteo.New(t, "hot")
			tt.set(t, api)
			h := newHarness(t, weatherProfile(api.Endpoint()), start)
			h.weatherTimeout = 200 * time.Millisecond
			p := h.profile()
			if tt.stale {
				st, err := store.Open(context.Background(), filepath.Join(h.dir, "state"))
				if err != nil {
					t.Fatal(err)
				}
				old := parsed(t, p, "hot", start.AddDate(0, 0, -3))
				if err := st.SaveForecast(context.Background(), old.Hours()); err != nil {
					t.Fatal(err)
				}
				st.Close()
			}
			h.start()
			h.settleAll()
			end := start.Add(8 * time.Hour)
			// The retries come and go meanwhile; the climate's plan fires.
			h.runThrough(plan.Inputs{Profile: p}.Build(start, end), nil, end)
			logs := h.logs.String()
			if n := strings.Count(logs, "level=WARN msg=\"cannot fetch the weather forecast"); n != 1 {
				t.Errorf("%d warnings about the forecast, want 1:\n%s", n, logs)
			}
			if !strings.Contains(logs, "the plan follows the profile's climate") || !strings.Contains(logs, tt.why) {
				t.Errorf("the warning does not say %q and that the climate is followed:\n%s", tt.why, logs)
			}
		})
	}
}

// A reload that adds [weather] plans from the stored forecast at once and
// fetches; one that removes it plans from the climate and fetches no more.
func TestReloadFollowsTheWeatherSection(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	start := time.Date(2027, 7, 20, 10, 0, 0, 0, ny)
	api := openmeteo.New(t, "hot")
	with := weatherProfile(api.Endpoint())
	without := strings.Replace(with, "[weather]\nlatitude = 40.71\nlongitude = -74.01\nurl = \""+api.Endpoint()+"\"\n", "", 1)
	h := newHarness(t, without, start)
	p, err := profile.Parse("with.toml", []byte(with))
	if err != nil {
		t.Fatal(err)
	}
	// The heat wave was stored by an earlier run with [weather].
	st, err := store.Open(context.Background(), filepath.Join(h.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveForecast(context.Background(), parsed(t, p, "hot", start.Add(-4*time.Hour)).Hours()); err != nil {
		t.Fatal(err)
	}
	st.Close()

	h.start()
	h.settleAll()
	next := func() domain.Occurrence {
		t.Helper()
		occs := h.d.Engine().Upcoming(1)
		if len(occs) != 1 {
			t.Fatal("nothing planned")
		}
		return occs[0]
	}
	if n := api.Requests(); n != 0 || strings.Contains(next().Why, "Heat index") {
		t.Fatalf("without [weather]: %d requests, next %q", n, next().Why)
	}

	writeFile(t, h.path, with)
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := next(); !strings.Contains(o.Why, "Heat index") {
		t.Errorf("after adding [weather], the next reminder does not follow the stored heat wave: %s %q", o.At, o.Why)
	}
	h.settleAll()
	if n := api.Requests(); n != 1 {
		t.Errorf("%d requests after adding [weather], want 1 at once", n)
	}

	writeFile(t, h.path, without)
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := next(); strings.Contains(o.Why, "Heat index") {
		t.Errorf("after removing [weather], the next reminder still follows the forecast: %q", o.Why)
	}
	h.advanceAll(start.Add(12 * time.Hour))
	if n := api.Requests(); n != 1 {
		t.Errorf("%d requests after removing [weather], want none more", n)
	}
}
