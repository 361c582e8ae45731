package daemon_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// Stop under load (deliveries in flight to a receiver that never answers,
// another failing, the watchdog and the control socket running) returns
// within the stop grace, leaves no goroutine behind, writes nothing after
// the store is closed, and leaves what was not sent pending for the next
// start.
func TestStopUnderLoad(t *testing.T) {
	hang := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent(),
		// The failing receiver's keep-alive connection idles in the
		// webhook's transport until the process ends.
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"))
	defer hanging.Close()
	defer failing.Close()
	defer close(hang)

	dir := t.TempDir()
	h := newHarness(t, `timezone = "UTC"
[[channel]]
type = "webhook"
name = "hanging"
url = "`+hanging.URL+`"
[[channel]]
type = "webhook"
name = "failing"
url = "`+failing.URL+`"
`, time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	clock := clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: h.path, StateDir: filepath.Join(dir, "state"), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv: func(string) string { return "" }, Socket: filepath.Join(dir, "run", "crampd.sock"),
		Watchdog: time.Second, StopGrace: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	settled := make(chan domain.Delivery, 256)
	d.OnSettled(func(del domain.Delivery) { settled <- del })
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, err := d.Service().Fire(context.Background(), "stretch"); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Millisecond) // each test fire is its own reminder
	}
	// The failing channel has answered every one; the hanging one holds
	// four attempts open.
	for range 20 {
		select {
		case <-settled:
		case <-time.After(10 * time.Second):
			t.Fatalf("the failing receiver's attempts did not settle:\n%s", h.logs.String())
		}
	}
	began := time.Now()
	stopErr := d.Stop()
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("Stop took %s with a 300ms grace", took)
	}
	if stopErr != nil {
		t.Fatalf("stop: %v", stopErr)
	}
	if logs := h.logs.String(); strings.Contains(logs, "database is closed") || strings.Contains(logs, "cannot store") {
		t.Fatalf("the daemon wrote after closing its store:\n%s", logs)
	}
	st, err := store.OpenReadOnly(context.Background(), filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pending, err := st.Pending(context.Background())
	if err != nil || len(pending) != 40 {
		t.Fatalf("%d deliveries pending after the stop, want all 40: %v", len(pending), err)
	}
}

// A doctor nudge logged during a pause waits for its end; a resume sends it
// at once instead of when the pause would have ended.
func TestResumeSendsTheNudgeThePauseHeld(t *testing.T) {
	h := newHarness(t, jumpProfile, time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	h.start()
	ctx := context.Background()
	svc := h.d.Service()
	if _, err := svc.Pause(ctx, app.PauseRequest{For: 2 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	res, err := svc.LogCramp(ctx, domain.Cramp{Severity: 9})
	if err != nil || res.Nudge.Sent == nil || !res.Nudge.SendAt.Equal(time.Date(2027, 6, 1, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("nudge during a pause: %+v, %v", res.Nudge, err)
	}
	h.advanceTo(time.Date(2027, 6, 1, 14, 5, 0, 0, time.UTC))
	if n := len(h.stdoutLines()); n != 0 {
		t.Fatalf("the nudge went out during the pause")
	}
	r, err := svc.Resume(ctx)
	if err != nil || r.Released != 1 {
		t.Fatalf("resume %+v, %v", r, err)
	}
	d := h.waitSettled(1)[0]
	if d.Occurrence.Kind != domain.KindDoctor || d.Status != domain.StatusDelivered || !h.clock.Now().Equal(time.Date(2027, 6, 1, 14, 5, 0, 0, time.UTC)) {
		t.Fatalf("after resume: %+v at %s", d, h.clock.Now())
	}
	st, err := svc.Status(ctx)
	if err != nil || st.OutboxDepth != 0 || st.Paused {
		t.Fatalf("status after resume: %+v, %v", st, err)
	}
}

// A reminder marked done ahead never fires; and when the loop says it has
// handled an instant, what was due then has fired (so "nothing fired" can
// be told apart from "not looked yet").
func TestDoneAheadNeverFires(t *testing.T) {
	h := newHarness(t, jumpProfile, time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	h.start()
	ctx := context.Background()
	next, err := h.d.Service().Upcoming(ctx, 3)
	if err != nil || len(next) != 3 || next[1].Rule != "medication/Pill/10:05" {
		t.Fatalf("next %+v, %v", next, err)
	}
	if _, err := h.d.Service().Ack(ctx, next[1].ID); err != nil {
		t.Fatal(err)
	}
	h.advanceTo(next[0].At)
	select {
	case got := <-h.fired:
		if got[0].ID != next[0].ID {
			t.Fatalf("fired %v", ids(got))
		}
	default:
		t.Fatal("the loop said it had handled 10:00, but nothing fired")
	}
	h.advanceTo(next[1].At)
	h.noneFired("the dose done ahead fired")
	if n := len(h.stdoutLines()); n != 1 {
		t.Fatalf("printed %d reminders, want only 10:00's", n)
	}
}

// A control request still in progress when the stop grace runs out makes
// Stop say so rather than drop the error.
func TestStopReportsAControlRequestLeftHanging(t *testing.T) {
	h := newHarness(t, jumpProfile, time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	h.socket = filepath.Join(h.dir, "run", "crampd.sock")
	h.stopGrace = 200 * time.Millisecond
	h.start()
	conn, err := net.Dial("unix", h.socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Half a request: the server is reading it.
	if _, err := conn.Write([]byte("GET /v1/status HTTP/1.1\r\nHost: crampd\r\n")); err != nil {
		t.Fatal(err)
	}
	// A whole request on a second connection, answered: the server accepts
	// connections in order, so it has taken the first one on too.
	if _, err := control.NewClient(h.socket).Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := h.d
	h.d = nil
	err = d.Stop()
	if err == nil || !strings.Contains(err.Error(), "stop control") {
		t.Fatalf("stop with a request in progress: %v", err)
	}
	if !strings.Contains(h.logs.String(), `msg="component did not stop cleanly" component=control`) {
		t.Fatalf("the failed stop was not logged:\n%s", h.logs.String())
	}
}

// A write-ahead log removed under the running daemon stops it with a clear
// error, within the state check's period (an hour, when nothing writes
// sooner), rather than letting it record reminders into a file nobody can
// open again.
func TestDaemonStopsWhenItsWALIsRemoved(t *testing.T) {
	h := newHarness(t, jumpProfile, time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC))
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: h.path, StateDir: filepath.Join(h.dir, "state"), Clock: h.clock,
		Logger: slog.New(slog.NewTextHandler(h.logs, nil)), Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx, nil) }()
	eventually(t, func() bool { return strings.Contains(h.logs.String(), "crampd is running") },
		func() string { return "the daemon did not start:\n" + h.logs.String() })
	if err := os.Remove(filepath.Join(h.dir, "state", "state.db-wal")); err != nil {
		t.Fatal(err)
	}
	// Nothing is due before 10:00: only the state check can notice.
	h.clock.Advance(61 * time.Minute)
	select {
	case err := <-done:
		if !errors.Is(err, store.ErrGone) || !strings.Contains(err.Error(), "state.db-wal was removed or replaced") {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the daemon went on without its WAL:\n%s", h.logs.String())
	}
}

// Reloads close the channels they replace: a webhook delivered to after
// each of many reloads keeps one connection open, not one per reload.
func TestReloadsDoNotLeakConnections(t *testing.T) {
	var open atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	srv.Start()
	defer srv.Close()
	h := newHarness(t, `timezone = "UTC"
[hydration]
enabled = false
[[channel]]
type = "webhook"
url = "`+srv.URL+`"
`, time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	h.start()
	ctx := context.Background()
	for i := range 30 {
		if err := h.d.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := h.d.Service().Fire(ctx, "stretch"); err != nil {
			t.Fatal(err)
		}
		if d := h.waitSettled(1)[0]; d.Status != domain.StatusDelivered {
			t.Fatalf("reload %d: %+v", i, d)
		}
		h.clock.Advance(time.Millisecond)
	}
	// The server sees a closed connection a moment after the client
	// closes it.
	eventually(t, func() bool { return open.Load() <= 2 },
		func() string { return fmt.Sprintf("%d connections open after 30 reloads", open.Load()) })
}
