package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// mustOpen opens a fresh database in a temp dir.
func mustOpen(tb testing.TB) (*store.Store, string) {
	tb.Helper()
	dir := tb.TempDir()
	s, err := store.Open(context.Background(), dir)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, dir
}

var t0 = time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)

// ack, queueFollowups and addCramp run one Tx method in a transaction of
// its own.
func ack(s *store.Store, id string, now time.Time) (rec domain.Record, cancelled []int64, err error) {
	err = s.Do(context.Background(), func(tx *store.Tx) error {
		rec, cancelled, err = tx.Ack(id, now)
		return err
	})
	return rec, cancelled, err
}

func queueFollowups(s *store.Store, id string, channels []string, fs []domain.Followup, replace bool, now time.Time) (ds []domain.Delivery, cancelled []int64, err error) {
	err = s.Do(context.Background(), func(tx *store.Tx) error {
		ds, cancelled, err = tx.QueueFollowups(id, channels, fs, replace, now)
		return err
	})
	return ds, cancelled, err
}

func addCramp(s *store.Store, c domain.Cramp, now time.Time) (out domain.Cramp, err error) {
	err = s.Do(context.Background(), func(tx *store.Tx) error {
		out, err = tx.AddCramp(c, now)
		return err
	})
	return out, err
}

func occ(kind domain.Kind, rule string, at time.Time) domain.Occurrence {
	o := domain.Occurrence{Kind: kind, Rule: rule, At: at, Title: "t", Body: "b", Why: "w"}
	o.ID = domain.OccurrenceID(kind, rule, at)
	return o
}

func TestOpenIsIdempotentAndPrivate(t *testing.T) {
	s, dir := mustOpen(t)
	s.Close()
	s2, err := store.Open(context.Background(), dir)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s2.Close()
	fi, err := os.Stat(filepath.Join(dir, "state.db"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state.db mode %v, %v", fi.Mode(), err)
	}
	var mode string
	s2.DB().QueryRow("PRAGMA journal_mode").Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %s, want wal", mode)
	}
	var sync int
	s2.DB().QueryRow("PRAGMA synchronous").Scan(&sync)
	if sync != 2 {
		t.Errorf("synchronous %d, want 2 (FULL)", sync)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	s, dir := mustOpen(t)
	if _, err := s.DB().Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := store.Open(context.Background(), dir); err == nil || !strings.Contains(err.Error(), "newer than this crampd") {
		t.Fatalf("err = %v", err)
	}
}

// Recording the same occurrence twice, even from two writers at once,
// queues its deliveries once.
func TestRecordFiredIsIdempotent(t *testing.T) {
	s, _ := mustOpen(t)
	o := occ(domain.KindStretch, "stretch/bed", t0)
	due := []store.Due{{Occurrence: o, Channels: []string{"a", "b"}, Expires: t0.Add(time.Hour)}}
	var wg sync.WaitGroup
	total := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ds, err := s.RecordFired(context.Background(), t0, due)
			if err != nil {
				t.Error(err)
			}
			total <- len(ds)
		}()
	}
	wg.Wait()
	close(total)
	sum := 0
	for n := range total {
		sum += n
	}
	if sum != 2 {
		t.Fatalf("queued %d deliveries in all, want 2 (one per channel, once)", sum)
	}
	pending, err := s.Pending(context.Background())
	if err != nil || len(pending) != 2 || pending[0].MessageID != o.ID {
		t.Fatalf("pending %+v, %v", pending, err)
	}
	if ids, _ := s.RecordUnfired(context.Background(), t0, []domain.Occurrence{o}, domain.StatusMissed, "late"); len(ids) != 0 {
		t.Fatal("a fired occurrence was recorded again as missed")
	}
}

func TestAckCancelsWaitingFollowups(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	o := occ(domain.KindMedication, "medication/Pill/10:00", t0)
	ds, err := s.RecordFired(ctx, t0, []store.Due{{
		Occurrence: o, Channels: []string{"a"}, Expires: t0.Add(time.Hour),
		Followups: []domain.Followup{{At: t0.Add(10 * time.Minute), Expires: t0.Add(time.Hour)}, {At: t0.Add(20 * time.Minute), Expires: t0.Add(time.Hour)}},
	}})
	if err != nil || len(ds) != 3 {
		t.Fatalf("queued %d, %v", len(ds), err)
	}
	if ds[1].MessageID != o.ID+".1" || !ds[1].NextAttemptAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("first repeat %+v", ds[1])
	}
	ds[0].Status = domain.StatusDelivered
	if ok, err := s.UpdateDelivery(ctx, t0, ds[0]); err != nil || !ok {
		t.Fatal(ok, err)
	}
	rec, cancelled, err := ack(s, o.ID, t0.Add(5*time.Minute))
	if err != nil || rec.Status != domain.StatusAcked || len(cancelled) != 2 {
		t.Fatalf("ack: %+v, cancelled %v, %v", rec, cancelled, err)
	}
	if rec.Deliveries[domain.StatusDelivered] != 1 || rec.Deliveries[domain.StatusCancelled] != 2 {
		t.Errorf("deliveries %v", rec.Deliveries)
	}
	if _, again, err := ack(s, o.ID, t0.Add(6*time.Minute)); err != nil || len(again) != 0 {
		t.Errorf("second ack cancelled %v, %v", again, err)
	}
	if _, _, err := ack(s, "medication-000000000000", t0); err == nil {
		t.Error("acked an unknown id")
	}
	// An acknowledged reminder takes no more follow-ups.
	if more, _, err := queueFollowups(s, o.ID, []string{"a"}, []domain.Followup{{At: t0.Add(time.Hour), Expires: t0.Add(2 * time.Hour)}}, true, t0); err != nil || len(more) != 0 {
		t.Errorf("follow-ups after ack: %v, %v", more, err)
	}
}

func TestSnoozeNumbersDispatches(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	o := occ(domain.KindCustom, "custom/Walk", t0)
	if _, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: o, Channels: []string{"a"}, Expires: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		ds, _, err := queueFollowups(s, o.ID, []string{"a"}, []domain.Followup{{At: t0.Add(time.Duration(i) * time.Minute), Expires: t0.Add(time.Hour)}}, true, t0)
		if err != nil || len(ds) != 1 || ds[0].Dispatch != i {
			t.Fatalf("snooze %d: %+v, %v", i, ds, err)
		}
	}
}

func TestCrampsAndHistoryRanges(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	for i, sev := range []int{3, 9} {
		c := domain.Cramp{At: t0.Add(time.Duration(i) * time.Hour), Leg: "left", Severity: sev, Symptoms: []string{"numbness"}}
		if _, err := addCramp(s, c, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := addCramp(s, domain.Cramp{Leg: "middle"}, t0); err == nil {
		t.Error("an invalid leg was accepted")
	}
	cs, err := s.Cramps(ctx, t0, t0.Add(time.Hour))
	if err != nil || len(cs) != 1 || cs[0].Severity != 3 || cs[0].Symptoms[0] != "numbness" {
		t.Fatalf("cramps %+v, %v", cs, err)
	}
	// The range end rounds up to the millisecond: an instant's own range
	// includes it.
	o := occ(domain.KindFood, "food/12:30", t0.Add(123456789))
	s.RecordFired(ctx, t0, []store.Due{{Occurrence: o, Channels: []string{"a"}, Expires: t0.Add(time.Hour)}})
	h, err := s.History(ctx, t0, o.At.Add(time.Nanosecond))
	if err != nil || len(h) != 1 || h[0].Deliveries[domain.StatusPending] != 1 {
		t.Fatalf("history %+v, %v", h, err)
	}
}

func TestPauseAndLastSeenPersist(t *testing.T) {
	s, dir := mustOpen(t)
	ctx := context.Background()
	if err := s.Do(ctx, func(tx *store.Tx) error { return tx.SetPauseUntil(t0) }); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLastSeen(ctx, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if until, ok, err := s2.PauseUntil(ctx); err != nil || !ok || !until.Equal(t0) {
		t.Fatalf("pause %s %v %v", until, ok, err)
	}
	if seen, err := s2.LastSeen(ctx); err != nil || !seen.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last seen %s %v", seen, err)
	}
	s2.Do(ctx, func(tx *store.Tx) error { return tx.SetPauseUntil(time.Time{}) })
	if _, ok, _ := s2.PauseUntil(ctx); ok {
		t.Fatal("pause not cleared")
	}
}

func BenchmarkRecordFired(b *testing.B) {
	s, _ := mustOpen(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		o := occ(domain.KindCustom, "custom/bench", t0.Add(time.Duration(i)*time.Second))
		if _, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: o, Channels: []string{"a"}, Expires: t0.Add(time.Hour)}}); err != nil {
			b.Fatal(err)
		}
	}
}
