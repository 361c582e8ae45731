package engine

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// Two occurrences due at one instant whose job ran early (the wall clock
// was stepped back after it was armed) are re-armed together: one job for
// the instant, handing over both when it runs.
func TestEarlyJobReArmsEveryOccurrenceOfItsInstant(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)
	clock := clockwork.NewFakeClockAt(start)
	p, err := profile.Parse("profile.toml", []byte("timezone = \"UTC\"\n[hydration]\nenabled = false\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := New(Options{Clock: clock, Logger: log, Store: st, Outbox: outbox.New(st, clock, log, 1),
		Runtime: &Runtime{Policy: rules.New(p), Inputs: plan.Inputs{Profile: p}}})
	sched, err := gocron.NewScheduler(gocron.WithClock(clock))
	if err != nil {
		t.Fatal(err)
	}
	sched.Start()
	defer sched.Shutdown()
	e.sched = sched
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	defer e.cancel()

	at := start.Add(time.Hour)
	var both []domain.Occurrence
	for _, name := range []string{"custom/A", "custom/B"} {
		o := domain.Occurrence{Kind: domain.KindCustom, Rule: name, At: at, Title: name}
		o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
		both = append(both, o)
	}
	e.arm(both)
	// The job runs half an hour early.
	if !e.fire(both, at.Add(-30*time.Minute)) {
		t.Fatal("fire failed")
	}
	if len(e.armed) != 1 {
		t.Fatalf("%d jobs armed for one instant", len(e.armed))
	}
	if _, ok := e.armed[at.UnixNano()]; !ok {
		t.Fatal("the instant is not armed again")
	}
	// When the re-armed job runs, it hands over both.
	clock.Advance(at.Add(-lead).Sub(clock.Now()))
	select {
	case got := <-e.due:
		ids := map[string]bool{}
		for _, o := range got {
			ids[o.ID] = true
		}
		if len(got) != 2 || !ids[both[0].ID] || !ids[both[1].ID] {
			t.Fatalf("the re-armed job handed over %v, want both", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the re-armed job did not run")
	}
}
