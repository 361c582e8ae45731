package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/webhook"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/store"
)

// An acknowledgement that lands while an attempt is in flight, and the
// attempt then fails with a 503, leaves the delivery cancelled: the
// outcome does not overwrite it, and it is never retried.
func TestAckDuringFailingAttemptStaysCancelled(t *testing.T) {
	clock := newClock()
	arrived, answer := make(chan struct{}, 8), make(chan struct{})
	r := newReceiver(t, clock, func(time.Time, *http.Request) (int, http.Header) {
		arrived <- struct{}{}
		<-answer
		return http.StatusServiceUnavailable, nil
	})
	f := newFixture(t, clock, r.srv.URL)
	ds := f.fire(1, domain.KindMedication)
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the attempt never reached the receiver")
	}
	var cancelled []int64
	err := f.st.Do(context.Background(), func(tx *store.Tx) (err error) {
		_, cancelled, err = tx.Ack(ds[0].Occurrence.ID, clock.Now())
		return err
	})
	if err != nil || len(cancelled) != 1 {
		t.Fatalf("ack cancelled %v, %v", cancelled, err)
	}
	f.ob.Cancel(cancelled)
	close(answer)
	if d := f.wait(); d.LastError == "" {
		t.Fatalf("the attempt did not fail: %+v", d)
	}
	rec, err := f.st.Record(context.Background(), ds[0].Occurrence.ID)
	if err != nil || rec.Status != domain.StatusAcked || rec.Deliveries[domain.StatusCancelled] != 1 {
		t.Fatalf("after the failed attempt: %+v, %v", rec, err)
	}
	// Twelve hours on, nothing was tried again.
	f.clock.Advance(12 * time.Hour)
	f.handled()
	if hits, _ := r.snapshot(); len(hits) != 1 {
		t.Fatalf("the receiver saw %d attempts, want 1", len(hits))
	}
	if f.ob.Depth() != 0 {
		t.Fatalf("%d deliveries still queued", f.ob.Depth())
	}
}

// An acknowledgement commits just before one of its repeats comes due,
// and the outbox has not yet been told (the use case tells it after the
// commit): the repeat is not sent, and stays cancelled.
func TestRepeatCancelledInTheStoreIsNotSent(t *testing.T) {
	clock := newClock()
	r := newReceiver(t, clock, func(time.Time, *http.Request) (int, http.Header) { return http.StatusOK, nil })
	f := newFixture(t, clock, r.srv.URL)
	now := clock.Now()
	o := domain.Occurrence{Kind: domain.KindMedication, Rule: "test", At: now, Title: "t", Body: "b", Why: "w"}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	ds, err := f.st.RecordFired(context.Background(), now, []store.Due{{
		Occurrence: o, Channels: []string{"hook"}, Expires: now.Add(12 * time.Hour),
		Followups: []domain.Followup{{At: now.Add(10 * time.Minute), Expires: now.Add(12 * time.Hour)}},
	}})
	if err != nil || len(ds) != 2 {
		t.Fatalf("record: %d deliveries, %v", len(ds), err)
	}
	f.ob.Submit(ds)
	f.wait()
	var cancelled []int64
	err = f.st.Do(context.Background(), func(tx *store.Tx) (err error) {
		_, cancelled, err = tx.Ack(o.ID, clock.Now())
		return err
	})
	if err != nil || len(cancelled) != 1 {
		t.Fatalf("ack cancelled %v, %v", cancelled, err)
	}
	// The repeat's instant arrives before the outbox hears of the ack.
	clock.Advance(10 * time.Minute)
	f.handled()
	f.ob.Cancel(cancelled)
	if _, ok := r.snapshot(); ok[domain.MessageID(o.ID, 1)] != 0 || ok[o.ID] != 1 {
		t.Fatalf("sent %v, want the first sending only", ok)
	}
	rec, err := f.st.Record(context.Background(), o.ID)
	if err != nil || rec.Deliveries[domain.StatusCancelled] != 1 || rec.Deliveries[domain.StatusDelivered] != 1 {
		t.Fatalf("deliveries %v, %v; want one delivered, one cancelled", rec.Deliveries, err)
	}
	if f.ob.Depth() != 0 {
		t.Fatalf("%d deliveries still queued", f.ob.Depth())
	}
}

// Deliveries a pause holds go out at once when they are released, without
// waiting for the end the pause had.
func TestReleaseSendsHeldDeliveriesAtOnce(t *testing.T) {
	clock := newClock()
	r := newReceiver(t, clock, func(time.Time, *http.Request) (int, http.Header) { return http.StatusOK, nil })
	f := newFixture(t, clock, r.srv.URL)
	pauseEnd := clock.Now().Add(time.Hour)
	var paused atomic.Bool
	paused.Store(true)
	f.ob.SetGate(func(_ domain.Delivery, now time.Time) outbox.Verdict {
		if paused.Load() {
			return outbox.Verdict{Hold: pauseEnd, Reason: "paused"}
		}
		return outbox.Verdict{}
	})
	ds := f.fire(2, domain.KindStretch)
	for range ds {
		if d := f.wait(); d.Status != domain.StatusPending || !d.NextAttemptAt.Equal(pauseEnd) {
			t.Fatalf("held: %+v", d)
		}
	}
	paused.Store(false)
	f.ob.Release([]int64{ds[0].ID, ds[1].ID})
	for range ds {
		if d := f.wait(); d.Status != domain.StatusDelivered {
			t.Fatalf("released: %+v", d)
		}
	}
	if !clock.Now().Before(pauseEnd) {
		t.Fatal("the clock moved")
	}
}

// closeGuard fails the test if the outbox writes after it was stopped.
type closeGuard struct {
	outbox.Store
	t      *testing.T
	closed atomic.Bool
}

func (g *closeGuard) UpdateDelivery(ctx context.Context, now time.Time, d domain.Delivery) (bool, error) {
	if g.closed.Load() {
		g.t.Errorf("delivery %d written after Stop returned", d.ID)
	}
	return g.Store.UpdateDelivery(ctx, now, d)
}

// Stop under load, with a receiver that never answers: it returns within
// its grace, leaves no goroutine behind, writes nothing afterwards, and
// what was submitted after it stays pending for the next start.
func TestStopUnderLoadWithinGrace(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	clock := newClock()
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	transport := &http.Transport{}
	defer transport.CloseIdleConnections()
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	guard := &closeGuard{Store: st, t: t}
	hook, err := webhook.New(webhook.Config{URL: srv.URL, Clock: clock, Client: &http.Client{Transport: transport}})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(guard, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 16)
	ob.SetChannels(map[string]notify.Notifier{"hook": hook})
	ob.Start()
	now := clock.Now()
	var due []store.Due
	for i := range 50 {
		o := domain.Occurrence{Kind: domain.KindHydration, Rule: "test", At: now.Add(time.Duration(i) * time.Millisecond), Title: "t"}
		o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
		due = append(due, store.Due{Occurrence: o, Channels: []string{"hook"}, Expires: now.Add(time.Hour)})
	}
	ds, err := st.RecordFired(context.Background(), now, due)
	if err != nil {
		t.Fatal(err)
	}
	ob.Submit(ds)
	start := time.Now()
	stopWithin(t, ob, 200*time.Millisecond)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Stop took %s with a 200ms grace", took)
	}
	guard.closed.Store(true)
	// Submitted after Stop: nothing is attempted.
	late := domain.Occurrence{Kind: domain.KindHydration, Rule: "late", At: now, Title: "t"}
	late.ID = domain.OccurrenceID(late.Kind, late.Rule, late.At)
	more, _ := st.RecordFired(context.Background(), now, []store.Due{{Occurrence: late, Channels: []string{"hook"}, Expires: now.Add(time.Hour)}})
	ob.Submit(more)
	pending, err := st.Pending(context.Background())
	if err != nil || len(pending) != 51 {
		t.Fatalf("%d pending after stop, want all 51: %v", len(pending), err)
	}
}

// flakyStore refuses outcomes while full is set, as a full disk does.
type flakyStore struct {
	outbox.Store
	full    atomic.Bool
	refused atomic.Int32
}

func (f *flakyStore) UpdateDelivery(ctx context.Context, now time.Time, d domain.Delivery) (bool, error) {
	if f.full.Load() {
		f.refused.Add(1)
		return false, errors.New("database or disk is full")
	}
	return f.Store.UpdateDelivery(ctx, now, d)
}

// An outcome the store cannot take (a full disk) is written again until it
// takes it: the delivered reminder does not stay pending, and is not sent
// again by the next start.
func TestOutcomeWrittenOnceTheDiskHasRoom(t *testing.T) {
	clock := newClock()
	r := newReceiver(t, clock, func(time.Time, *http.Request) (int, http.Header) { return http.StatusOK, nil })
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	flaky := &flakyStore{Store: st}
	flaky.full.Store(true)
	hook, err := webhook.New(webhook.Config{URL: r.srv.URL, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ob := outbox.New(flaky, clock, slog.New(slog.NewTextHandler(io.Discard, nil)), 4)
	ob.SetChannels(map[string]notify.Notifier{"hook": hook})
	ob.Start()
	defer stopWithin(t, ob, time.Second)
	now := clock.Now()
	o := domain.Occurrence{Kind: domain.KindMedication, Rule: "test", At: now, Title: "t"}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	ds, err := st.RecordFired(context.Background(), now, []store.Due{{Occurrence: o, Channels: []string{"hook"}, Expires: now.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	ob.Submit(ds)
	handled := func() {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := ob.HandledThrough(ctx, clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	handled()
	// Still full after the first retry.
	clock.Advance(5 * time.Second)
	handled()
	if n := flaky.refused.Load(); n < 2 {
		t.Fatalf("the outcome was tried %d times while the disk was full", n)
	}
	if p, _ := st.Pending(context.Background()); len(p) != 1 {
		t.Fatalf("pending %d", len(p))
	}
	flaky.full.Store(false)
	clock.Advance(time.Minute)
	handled()
	if p, _ := st.Pending(context.Background()); len(p) != 0 {
		t.Fatalf("the delivered reminder is still pending: %+v", p)
	}
	rec, _ := st.Record(context.Background(), o.ID)
	if rec.Deliveries[domain.StatusDelivered] != 1 {
		t.Fatalf("deliveries %v", rec.Deliveries)
	}
	if hits, _ := r.snapshot(); len(hits) != 1 {
		t.Fatalf("the receiver got %d requests, want 1", len(hits))
	}
}
