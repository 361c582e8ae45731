package weather_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/testutil/openmeteo"
	"github.com/crampd/crampd/internal/testutil/syncbuf"
	"github.com/crampd/crampd/internal/weather"
)

// syncBuffer collects what goroutines write while the test reads it.
type syncBuffer = syncbuf.Buffer

// rig runs a Fetcher on a fake clock and a real state database.
type rig struct {
	t      *testing.T
	clock  *clockwork.FakeClock
	store  *store.Store
	logs   *syncBuffer
	f      *weather.Fetcher
	stored atomic.Int32
}

func newRig(t *testing.T, start time.Time) *rig {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{t: t, clock: clockwork.NewFakeClockAt(start), store: st, logs: &syncBuffer{}}
	r.f = weather.New(weather.Options{
		Clock: r.clock, Store: st,
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Client: &weather.Client{HTTP: &http.Client{}, Timeout: 300 * time.Millisecond},
		Stored: func(context.Context) { r.stored.Add(1) },
	})
	return r
}

func (r *rig) start(w *profile.Weather) {
	r.t.Helper()
	r.f.Configure(w, newYork)
	if err := r.f.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := r.f.Stop(ctx); err != nil {
			r.t.Error(err)
		}
	})
	r.settle()
}

// settle waits until every attempt due by the fake clock's time is made.
func (r *rig) settle() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.f.HandledThrough(ctx, r.clock.Now()); err != nil {
		r.t.Fatalf("%v\nlogs:\n%s", err, r.logs.String())
	}
}

func (r *rig) advance(d time.Duration) {
	r.t.Helper()
	r.clock.Advance(d)
	r.settle()
}

func (r *rig) storedHours() int {
	r.t.Helper()
	now := r.clock.Now()
	hours, err := r.store.Forecast(context.Background(), now.AddDate(0, 0, -5), now.AddDate(0, 0, 5))
	if err != nil {
		r.t.Fatal(err)
	}
	return len(hours)
}

var morning = time.Date(2027, 7, 20, 6, 0, 0, 0, newYork)

func TestFetcherFetchesOnStartAndEveryRefresh(t *testing.T) {
	a := openmeteo.New(t, "hot")
	r := newRig(t, morning)
	r.start(config(a.Endpoint()))
	if n := a.Requests(); n != 1 || r.storedHours() != 94 || r.stored.Load() != 1 {
		t.Fatalf("after start: %d requests, %d hours stored, %d stored calls", n, r.storedHours(), r.stored.Load())
	}
	r.advance(3*time.Hour - time.Second)
	if n := a.Requests(); n != 1 {
		t.Fatalf("%d requests before the refresh is due", n)
	}
	r.advance(time.Second)
	if n := a.Requests(); n != 2 || r.stored.Load() != 2 {
		t.Fatalf("after the refresh: %d requests, %d stored calls", n, r.stored.Load())
	}
	if !strings.Contains(r.logs.String(), "weather forecast stored") {
		t.Errorf("no log line for the stored forecast:\n%s", r.logs.String())
	}
}

// A failing API is asked again after 30 s, 2 min and 10 min, then at the
// next refresh; the failure streak is logged once, as a warning saying what
// the plan follows, and its end once too. The stored forecast stays.
func TestFetcherRetriesABoundedNumberOfTimes(t *testing.T) {
	a := openmeteo.New(t, "hot")
	r := newRig(t, morning)
	r.start(config(a.Endpoint()))
	a.Answer(500, []byte("down"))
	r.advance(3 * time.Hour) // the refresh fails
	want := 2
	for _, wait := range []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute} {
		r.advance(wait - time.Second)
		if n := a.Requests(); n != want {
			t.Fatalf("%d requests %s after the last attempt, want %d", n, wait-time.Second, want)
		}
		r.advance(time.Second)
		want++
		if n := a.Requests(); n != want {
			t.Fatalf("%d requests %s after the last attempt, want %d", n, wait, want)
		}
	}
	// Retries used up: the next attempt is the regular refresh.
	r.advance(3*time.Hour - time.Second)
	if n := a.Requests(); n != want {
		t.Fatalf("%d requests before the next refresh, want %d", n, want)
	}
	if r.storedHours() != 94 || r.stored.Load() != 1 {
		t.Errorf("failures changed the stored forecast: %d hours, %d stored calls", r.storedHours(), r.stored.Load())
	}
	logs := r.logs.String()
	if n := strings.Count(logs, "level=WARN"); n != 1 {
		t.Errorf("%d warnings for one failure streak:\n%s", n, logs)
	}
	if !strings.Contains(logs, "cannot fetch the weather forecast; the plan follows the forecast fetched Tue 06:00 EDT until Thu 06:00 EDT, then the profile's climate") ||
		!strings.Contains(logs, "answered 500 Internal Server Error") {
		t.Errorf("the warning does not say what failed and what the plan follows:\n%s", logs)
	}
	a.Answer(200, openmeteo.Fixture(t, "hot"))
	r.advance(time.Second)
	if !strings.Contains(r.logs.String(), "weather forecast fetched again") || r.stored.Load() != 2 {
		t.Errorf("recovery not logged or not stored (%d stored calls):\n%s", r.stored.Load(), r.logs.String())
	}
}

// With only a forecast older than two days stored, the warning says the
// plan follows the climate; a hanging API is given up after the timeout;
// nothing crashes.
func TestFetcherFailsOverToTheClimate(t *testing.T) {
	a := openmeteo.New(t, "hot")
	a.Hang()
	r := newRig(t, morning)
	// What is stored was fetched three days ago: too old to follow.
	stale, err := (&weather.Client{HTTP: &http.Client{}}).Fetch(context.Background(), config(openmeteo.New(t, "hot").Endpoint()), newYork, morning.AddDate(0, 0, -3))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.store.SaveForecast(context.Background(), stale); err != nil {
		t.Fatal(err)
	}
	r.start(config(a.Endpoint()))
	logs := r.logs.String()
	if !strings.Contains(logs, "the plan follows the profile's climate (no forecast fetched within the last two days)") ||
		!strings.Contains(logs, "no answer within 300ms") {
		t.Errorf("the warning does not say the plan follows the climate after a timeout:\n%s", logs)
	}
	if r.storedHours() != len(stale) || r.stored.Load() != 0 {
		t.Errorf("a failed fetch changed what is stored")
	}
}

func TestFetcherFollowsItsConfiguration(t *testing.T) {
	a := openmeteo.New(t, "hot")
	r := newRig(t, morning)
	r.start(nil)
	r.advance(6 * time.Hour)
	if n := a.Requests(); n != 0 {
		t.Fatalf("%d requests without [weather]", n)
	}
	r.f.Configure(config(a.Endpoint()), newYork)
	r.settle()
	if n := a.Requests(); n != 1 {
		t.Fatalf("%d requests once [weather] is set, want 1 at once", n)
	}
	r.f.Configure(config(a.Endpoint()), newYork) // the same: nothing to do
	r.settle()
	moved := config(a.Endpoint())
	moved.Latitude = 40.75
	r.f.Configure(moved, newYork)
	r.settle()
	if n := a.Requests(); n != 2 {
		t.Fatalf("%d requests after moving, want 2", n)
	}
	r.f.Configure(nil, newYork)
	r.advance(24 * time.Hour)
	if n := a.Requests(); n != 2 {
		t.Fatalf("%d requests after [weather] was removed, want 2", n)
	}
}

func TestFetcherStopAbandonsAFetchInFlight(t *testing.T) {
	a := openmeteo.New(t, "hot")
	a.Hang()
	r := newRig(t, morning)
	r.f = weather.New(weather.Options{Clock: r.clock, Store: r.store, Logger: slog.New(slog.DiscardHandler),
		Client: &weather.Client{HTTP: &http.Client{}}}) // the 10 s timeout
	r.f.Configure(config(a.Endpoint()), newYork)
	if err := r.f.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for a.Requests() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	if err := r.f.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Stop took %s with a fetch hanging", took)
	}
}
