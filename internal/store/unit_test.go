package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// An outcome written after the delivery was cancelled (the reminder was
// acknowledged while an attempt was in flight) leaves it cancelled.
func TestOutcomeNeverOverwritesCancelled(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	o := occ(domain.KindMedication, "medication/Pill/10:00", t0)
	ds, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: o, Channels: []string{"hook"}, Expires: t0.Add(12 * time.Hour)}})
	if err != nil || len(ds) != 1 {
		t.Fatal(ds, err)
	}
	// The attempt is in flight; the ack lands.
	if _, cancelled, err := ack(s, o.ID, t0.Add(time.Second)); err != nil || len(cancelled) != 1 {
		t.Fatalf("ack cancelled %v, %v", cancelled, err)
	}
	// The attempt fails (503) and wants a retry.
	failed := ds[0]
	failed.Status, failed.Attempts, failed.LastError = domain.StatusPending, 1, "503 Service Unavailable"
	failed.NextAttemptAt = t0.Add(5 * time.Second)
	ok, err := s.UpdateDelivery(ctx, t0.Add(2*time.Second), failed)
	if err != nil || ok {
		t.Fatalf("outcome over a cancelled row: applied %v, %v", ok, err)
	}
	if pending, _ := s.Pending(ctx); len(pending) != 0 {
		t.Fatalf("the cancelled delivery is pending again: %+v", pending)
	}
	rec, _ := s.Record(ctx, o.ID)
	if rec.Status != domain.StatusAcked || rec.Deliveries[domain.StatusCancelled] != 1 {
		t.Fatalf("record %+v", rec)
	}
}

// The same action handled twice has its effect once: the second run of the
// transaction sees the mark and rolls back.
func TestMarkMakesAnActionOnce(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	m := store.Mark{Source: "ntfy", Nonce: "n1", Verb: "done", OccurrenceID: "x"}
	var cramps, dups int
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.Do(ctx, func(tx *store.Tx) error {
				if err := tx.Mark(m, t0); err != nil {
					return err
				}
				_, err := tx.AddCramp(domain.Cramp{At: t0, Severity: 2}, t0)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, store.ErrDuplicate):
				dups++
			case err == nil:
				cramps++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got, _ := s.Cramps(ctx, t0, t0.Add(time.Second))
	if cramps != 1 || dups != 5 || len(got) != 1 {
		t.Fatalf("%d applied, %d duplicates, %d cramps in the journal", cramps, dups, len(got))
	}
	// Another source's nonce of the same text is another action.
	if err := s.Do(ctx, func(tx *store.Tx) error { return tx.Mark(store.Mark{Source: "web", Nonce: "n1", Verb: "done"}, t0) }); err != nil {
		t.Fatal(err)
	}
}

// A test fire of the doctor kind is not a nudge: it starts no cooldown.
func TestLastNudgeIgnoresTestFires(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	manual := occ(domain.KindDoctor, domain.ManualRule+"doctor", t0)
	if _, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: manual, Channels: []string{"a"}, Expires: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.LastNudge(ctx); err != nil || ok {
		t.Fatalf("a test fire counts as the last nudge (%v, %v)", ok, err)
	}
	real := occ(domain.KindDoctor, "doctor", t0.Add(time.Hour))
	if _, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: real, Channels: []string{"a"}, Expires: t0.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if last, ok, err := s.LastNudge(ctx); err != nil || !ok || !last.Equal(real.At) {
		t.Fatalf("last nudge %s %v %v", last, ok, err)
	}
}

// Processes that open a new state directory at once all succeed: the
// schema version is read inside the transaction that migrates.
func TestConcurrentOpensMigrateOnce(t *testing.T) {
	for round := range 5 {
		dir := t.TempDir()
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s, err := store.Open(context.Background(), dir)
				if err != nil {
					errs <- err
					return
				}
				s.Close()
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

// copyFixture copies a database the previous release wrote into a fresh
// state directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	src, err := os.Open("testdata/v2-state.db")
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(dir, "state.db"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testdata/v2-state.db was written by the release before the actions log
// (schema 2): a daemon that fired a few reminders to stdout and to a dead
// webhook, two test fires, an acknowledged reminder, two cramps (one severe,
// which sent the doctor nudge) and a ten-day pause. It opens, migrates, and
// keeps every row.
func TestDatabaseOfThePreviousReleaseMigrates(t *testing.T) {
	dir := copyFixture(t)
	ctx := context.Background()
	s, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var version int
	s.DB().QueryRow("PRAGMA user_version").Scan(&version)
	migrations, _ := filepath.Glob("migrations/*.sql")
	if version != len(migrations) {
		t.Fatalf("schema %d after migrating, want %d", version, len(migrations))
	}
	wide0, wide1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	hist, err := s.History(ctx, wide0, wide1)
	if err != nil {
		t.Fatal(err)
	}
	byStatus := map[domain.Status]int{}
	for _, r := range hist {
		byStatus[r.Status]++
	}
	if len(hist) != 7 || byStatus[domain.StatusAcked] != 1 || byStatus[domain.StatusFired] != 5 || byStatus[domain.StatusSkipped] != 1 {
		t.Fatalf("history %d records by status %v", len(hist), byStatus)
	}
	cramps, err := s.Cramps(ctx, wide0, wide1)
	if err != nil || len(cramps) != 2 || cramps[1].Note != "after a long walk" || cramps[0].Severity != 9 || cramps[0].Symptoms[0] != "swelling" {
		t.Fatalf("cramps %+v, %v", cramps, err)
	}
	// Cramps logged before the check-in existed came from `cramp log`, and
	// no night was answered.
	if cramps[0].Source != "" || cramps[1].Source != "" {
		t.Errorf("old cramps have sources %q and %q, want none", cramps[0].Source, cramps[1].Source)
	}
	if nights, err := s.Nights(ctx, "2026-01-01", "2027-01-01"); err != nil || len(nights) != 0 {
		t.Fatalf("nights %+v, %v", nights, err)
	}
	if until, ok, err := s.PauseUntil(ctx); err != nil || !ok || until.Year() != 2026 || until.Month() != 12 {
		t.Fatalf("pause %s %v %v", until, ok, err)
	}
	pending, err := s.Pending(ctx)
	if err != nil || len(pending) != 4 {
		t.Fatalf("pending %d, %v", len(pending), err)
	}
	for _, d := range pending {
		if d.Channel != "dead" || d.Occurrence.Title == "" {
			t.Errorf("pending delivery %+v", d)
		}
	}
	if last, ok, err := s.LastNudge(ctx); err != nil || !ok || last.IsZero() {
		t.Fatalf("the fixture's nudge is not found: %v %v", ok, err)
	}
}

// A command that only reads never migrates: it says the database is older
// or newer than it, and reads a current one.
func TestOpenReadOnlyNeverMigrates(t *testing.T) {
	ctx := context.Background()
	dir := copyFixture(t)
	if _, err := store.OpenReadOnly(ctx, dir); !errors.Is(err, store.ErrSchemaOlder) {
		t.Fatalf("older schema: %v", err)
	}
	s, err := store.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro, err := store.OpenReadOnly(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if h, err := ro.History(ctx, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || len(h) != 7 {
		t.Fatalf("read-only history %d, %v", len(h), err)
	}
	if err := ro.Do(ctx, func(tx *store.Tx) error { return tx.SetPauseUntil(time.Time{}) }); err == nil {
		t.Fatal("a read-only store wrote")
	}
	ro.Close()

	s, _ = store.Open(ctx, dir)
	s.DB().Exec("PRAGMA user_version = 99")
	s.Close()
	if _, err := store.OpenReadOnly(ctx, dir); !errors.Is(err, store.ErrSchemaNewer) {
		t.Fatalf("newer schema: %v", err)
	}
	if _, err := store.OpenReadOnly(ctx, t.TempDir()); !errors.Is(err, store.ErrNoDatabase) {
		t.Fatalf("no database: %v", err)
	}
}

// The state directory itself is locked: a second holder is refused, and
// there is no lock file whose removal would let one in.
func TestLockDirIsExclusive(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	l, err := store.LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockDir(dir); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second lock: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.Remove(filepath.Join(dir, e.Name()))
	}
	if _, err := store.LockDir(dir); !errors.Is(err, store.ErrLocked) {
		t.Fatalf("after emptying the directory a second lock was granted: %v", err)
	}
	l.Close()
	l2, err := store.LockDir(dir)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Close()
}

// A night holds one answer: a later one replaces it, the cramp it logged
// can change or go, and the journal keeps where each cramp came from.
func TestNightsKeepOneAnswerEach(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Date(2027, 6, 2, 7, 30, 0, 0, time.UTC)
	var crampID int64
	err = s.Do(ctx, func(tx *store.Tx) error {
		if _, ok, err := tx.Night("2027-06-01"); err != nil || ok {
			return fmt.Errorf("an unanswered night reads as answered (%v)", err)
		}
		c, err := tx.AddCramp(domain.Cramp{At: now.Add(-4 * time.Hour), Source: domain.SourceCheckin}, now)
		if err != nil {
			return err
		}
		crampID = c.ID
		return tx.SetNight(domain.Night{Date: "2027-06-01", Answer: domain.AnswerCramp, CrampID: c.ID, Source: "ntfy", AnsweredAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Do(ctx, func(tx *store.Tx) error {
		if err := tx.SetCrampSeverity(crampID, domain.SevereSeverity); err != nil {
			return err
		}
		return tx.SetNight(domain.Night{Date: "2027-06-01", Answer: domain.AnswerSevere, CrampID: crampID, Source: "cli", AnsweredAt: now.Add(time.Minute)})
	})
	if err != nil {
		t.Fatal(err)
	}
	cramps, err := s.Cramps(ctx, now.Add(-24*time.Hour), now)
	if err != nil || len(cramps) != 1 || cramps[0].Severity != domain.SevereSeverity || cramps[0].Source != domain.SourceCheckin {
		t.Fatalf("cramps %+v, %v", cramps, err)
	}
	err = s.Do(ctx, func(tx *store.Tx) error {
		if err := tx.DeleteCramp(crampID); err != nil {
			return err
		}
		if err := tx.SetNight(domain.Night{Date: "2027-06-01", Answer: domain.AnswerNone, Source: "desktop", AnsweredAt: now.Add(2 * time.Minute)}); err != nil {
			return err
		}
		return tx.SetNight(domain.Night{Date: "2027-06-02", Answer: domain.AnswerCramp, Source: "cli", AnsweredAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	nights, err := s.Nights(ctx, "2027-05-01", "2027-06-01")
	want := domain.Night{Date: "2027-06-01", Answer: domain.AnswerNone, Source: "desktop", AnsweredAt: now.Add(2 * time.Minute)}
	if err != nil || len(nights) != 1 || nights[0].Date != want.Date || nights[0].Answer != want.Answer ||
		nights[0].CrampID != 0 || nights[0].Source != want.Source || !nights[0].AnsweredAt.Equal(want.AnsweredAt) {
		t.Fatalf("nights through June 1: %+v, %v; want %+v", nights, err, want)
	}
	if cramps, _ := s.Cramps(ctx, now.Add(-24*time.Hour), now); len(cramps) != 0 {
		t.Fatalf("the check-in's cramp stayed: %+v", cramps)
	}
}
