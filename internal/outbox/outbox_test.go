package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/webhook"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/store"
)

// receiver is a real HTTP endpoint whose answer depends on the fake clock.
type receiver struct {
	mu      sync.Mutex
	hits    []hit
	srv     *httptest.Server
	okByMsg map[string]int
}

type hit struct {
	at     time.Time
	msgID  string
	status int
}

func newReceiver(t *testing.T, clock clockwork.Clock, answer func(time.Time, *http.Request) (int, http.Header)) *receiver {
	r := &receiver{okByMsg: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		now := clock.Now()
		status, hdr := answer(now, req)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		r.mu.Lock()
		r.hits = append(r.hits, hit{now, req.Header.Get("webhook-id"), status})
		if status < 300 {
			r.okByMsg[req.Header.Get("webhook-id")]++
		}
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) snapshot() ([]hit, map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := map[string]int{}
	for k, v := range r.okByMsg {
		ok[k] = v
	}
	return append([]hit(nil), r.hits...), ok
}

type fixture struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	st      *store.Store
	ob      *outbox.Outbox
	settled chan domain.Delivery
}

func newClock() *clockwork.FakeClock {
	return clockwork.NewFakeClockAt(time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC))
}

func newFixture(t *testing.T, clock *clockwork.FakeClock, url string) *fixture {
	t.Helper()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hook, err := webhook.New(webhook.Config{URL: url, Secret: []byte("k"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, clock: clock, st: st, settled: make(chan domain.Delivery, 64)}
	f.ob = outbox.New(st, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
	f.ob.SetChannels(map[string]notify.Notifier{"hook": hook})
	f.ob.OnSettled(func(d domain.Delivery) { f.settled <- d })
	f.ob.Start()
	t.Cleanup(func() { stopWithin(t, f.ob, time.Second) })
	return f
}

func stopWithin(t *testing.T, ob *outbox.Outbox, grace time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	ob.Stop(ctx)
}

// handled waits until the outbox has attempted everything due by now, so
// that a check that nothing more was sent can fail.
func (f *fixture) handled() {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.ob.HandledThrough(ctx, f.clock.Now()); err != nil {
		f.t.Fatal(err)
	}
}

// fire records n occurrences due now and hands their deliveries over.
func (f *fixture) fire(n int, kind domain.Kind) []domain.Delivery {
	f.t.Helper()
	now := f.clock.Now()
	var due []store.Due
	for i := 0; i < n; i++ {
		o := domain.Occurrence{Kind: kind, Rule: "test", At: now.Add(time.Duration(i) * time.Millisecond), Title: "t", Body: "b", Why: "w"}
		o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
		due = append(due, store.Due{Occurrence: o, Channels: []string{"hook"}, Expires: now.Add(2 * time.Hour)})
	}
	ds, err := f.st.RecordFired(context.Background(), now, due)
	if err != nil {
		f.t.Fatal(err)
	}
	f.ob.Submit(ds)
	return ds
}

func (f *fixture) wait() domain.Delivery {
	f.t.Helper()
	select {
	case d := <-f.settled:
		return d
	case <-time.After(10 * time.Second):
		f.t.Fatal("no delivery attempt settled")
	}
	return domain.Delivery{}
}

// A receiver that answers 503 for ten minutes gets every reminder exactly
// once after it recovers, under the same webhook-id on every attempt.
func TestOutageWindowDeliversOnceAfterRecovery(t *testing.T) {
	clock := newClock()
	recoverAt := time.Date(2027, 5, 3, 9, 10, 0, 0, time.UTC)
	r := newReceiver(t, clock, func(now time.Time, _ *http.Request) (int, http.Header) {
		if now.Before(recoverAt) {
			return http.StatusServiceUnavailable, nil
		}
		return http.StatusOK, nil
	})
	f := newFixture(t, clock, r.srv.URL)
	ds := f.fire(3, domain.KindMedication)

	pending := map[int64]domain.Delivery{}
	for range ds {
		d := f.wait()
		pending[d.ID] = d
	}
	delivered := 0
	for delivered < len(ds) {
		// Jump to the earliest next attempt, as the outbox's timer would.
		var next time.Time
		for _, d := range pending {
			if d.Status == domain.StatusPending && (next.IsZero() || d.NextAttemptAt.Before(next)) {
				next = d.NextAttemptAt
			}
		}
		if next.IsZero() {
			t.Fatalf("nothing pending but only %d delivered", delivered)
		}
		// Exactly the deliveries due by then are attempted, once each:
		// every retry delay is longer than the step.
		expect := 0
		for _, d := range pending {
			if d.Status == domain.StatusPending && !d.NextAttemptAt.After(next) {
				expect++
			}
		}
		f.clock.Advance(next.Sub(f.clock.Now()))
		for range expect {
			var got domain.Delivery
			select {
			case got = <-f.settled:
			case <-time.After(10 * time.Second):
				for _, d := range pending {
					t.Logf("%d %s next=%s attempts=%d", d.ID, d.Status, d.NextAttemptAt.Sub(newClock().Now()), d.Attempts)
				}
				t.Fatalf("stuck at %s expecting %d", f.clock.Now().Sub(newClock().Now()), expect)
			}
			pending[got.ID] = got
			if got.Status == domain.StatusDelivered {
				delivered++
			}
		}
	}
	hits, ok := r.snapshot()
	for _, d := range ds {
		if ok[d.MessageID] != 1 {
			t.Errorf("%s accepted %d times, want once", d.MessageID, ok[d.MessageID])
		}
	}
	perMsg := map[string]int{}
	for _, h := range hits {
		perMsg[h.msgID]++
		if h.status == http.StatusOK && h.at.Before(recoverAt) {
			t.Errorf("accepted before recovery at %s", h.at)
		}
	}
	for id, n := range perMsg {
		// 0s, 5s, 35s, 2m35s, 12m35s: four refusals, then success.
		if n < 4 || n > 6 {
			t.Errorf("%s: %d attempts for a ten-minute outage", id, n)
		}
	}
	if len(perMsg) != len(ds) {
		t.Errorf("receiver saw %d message ids, want %d (one per reminder, kept across retries)", len(perMsg), len(ds))
	}
	if pending, err := f.st.Pending(context.Background()); err != nil || len(pending) != 0 {
		t.Errorf("%d deliveries still pending (%v), want none", len(pending), err)
	}
}

func TestClientErrorFailsOnce(t *testing.T) {
	r := newReceiver(t, clockwork.NewRealClock(), func(time.Time, *http.Request) (int, http.Header) {
		return http.StatusBadRequest, nil
	})
	f := newFixture(t, newClock(), r.srv.URL)
	f.fire(1, domain.KindHydration)
	d := f.wait()
	if d.Status != domain.StatusFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "400") {
		t.Fatalf("delivery = %s after %d attempts (%s), want failed after 1", d.Status, d.Attempts, d.LastError)
	}
	f.clock.Advance(3 * time.Hour)
	f.handled()
	select {
	case d := <-f.settled:
		t.Fatalf("a failed delivery was attempted again: %+v", d)
	default:
	}
	if hits, _ := r.snapshot(); len(hits) != 1 {
		t.Fatalf("receiver saw %d attempts, want 1", len(hits))
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	var calls int
	var mu sync.Mutex
	r := newReceiver(t, clockwork.NewRealClock(), func(time.Time, *http.Request) (int, http.Header) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls == 1 {
			return http.StatusTooManyRequests, http.Header{"Retry-After": {"120"}}
		}
		return http.StatusOK, nil
	})
	f := newFixture(t, newClock(), r.srv.URL)
	start := f.clock.Now()
	f.fire(1, domain.KindStretch)
	d := f.wait()
	if d.Status != domain.StatusPending || !d.NextAttemptAt.Equal(start.Add(120*time.Second)) {
		t.Fatalf("after 429: %s, next attempt %s; want pending at +120s", d.Status, d.NextAttemptAt.Sub(start))
	}
	f.clock.Advance(119 * time.Second)
	f.handled()
	select {
	case d := <-f.settled:
		t.Fatalf("retried before Retry-After: %+v", d)
	default:
	}
	f.clock.Advance(time.Second)
	if d := f.wait(); d.Status != domain.StatusDelivered {
		t.Fatalf("after Retry-After: %s (%s)", d.Status, d.LastError)
	}
}

func TestBackoffSchedule(t *testing.T) {
	want := []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, w := range want {
		if got := outbox.Backoff(i + 1); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
}

// Pending deliveries survive a restart: a new outbox on the same store
// sends them with their original message IDs.
func TestPendingSurvivesRestart(t *testing.T) {
	r := newReceiver(t, clockwork.NewRealClock(), func(time.Time, *http.Request) (int, http.Header) { return http.StatusOK, nil })
	dir := t.TempDir()
	st, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC)
	o := domain.Occurrence{Kind: domain.KindFood, Rule: "food/12:30", At: now, Title: "t", Body: "b", Why: "w"}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	if _, err := st.RecordFired(context.Background(), now, []store.Due{{Occurrence: o, Channels: []string{"hook"}, Expires: now.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	st.Close() // "crash" before anything was sent

	st, err = store.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := clockwork.NewFakeClockAt(now.Add(time.Minute))
	hook, _ := webhook.New(webhook.Config{URL: r.srv.URL, Clock: clock})
	ob := outbox.New(st, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 1)
	ob.SetChannels(map[string]notify.Notifier{"hook": hook})
	settled := make(chan domain.Delivery, 1)
	ob.OnSettled(func(d domain.Delivery) { settled <- d })
	if err := ob.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ob.Start()
	defer stopWithin(t, ob, time.Second)
	select {
	case d := <-settled:
		if d.Status != domain.StatusDelivered || d.MessageID != o.ID {
			t.Fatalf("after restart: %s with id %s", d.Status, d.MessageID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the pending delivery was not sent after a restart")
	}
}
