package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// A snooze is told from a medication's own repeats by when its sendings
// were queued: with the occurrence, or after it.
func TestSnoozes(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	dose := occ(domain.KindMedication, "medication/Pill/10:00", t0)
	walk := occ(domain.KindCustom, "custom/Walk", t0.Add(time.Minute))
	repeats := []domain.Followup{{At: t0.Add(10 * time.Minute), Expires: t0.Add(time.Hour)}}
	if _, err := s.RecordFired(ctx, t0, []store.Due{{Occurrence: dose, Channels: []string{"a"}, Expires: t0.Add(time.Hour), Followups: repeats}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordFired(ctx, t0.Add(time.Minute), []store.Due{{Occurrence: walk, Channels: []string{"a"}, Expires: t0.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Snoozes(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(got) != 0 {
		t.Fatalf("before any snooze: %v, %v", got, err)
	}
	until := t0.Add(20 * time.Minute)
	if _, _, err := queueFollowups(s, walk.ID, []string{"a"}, []domain.Followup{{At: until, Expires: t0.Add(time.Hour)}}, true, t0.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err = s.Snoozes(ctx, t0.Add(-time.Hour), t0.Add(time.Hour))
	if err != nil || len(got) != 1 || !got[walk.ID].Equal(until) {
		t.Fatalf("after snoozing the walk: %v, %v", got, err)
	}
	// Acknowledged, the snooze is cancelled and no longer counts.
	if _, _, err := ack(s, walk.ID, t0.Add(6*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Snoozes(ctx, t0.Add(-time.Hour), t0.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("after done: %v", got)
	}
}

// Outcomes reads what the stats count from the index alone, newest first.
func TestOutcomes(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	var due []store.Due
	for i := range 5 {
		o := occ(domain.KindHydration, "hydration", t0.Add(time.Duration(i)*time.Hour))
		due = append(due, store.Due{Occurrence: o, Channels: []string{"a"}, Expires: o.At.Add(time.Hour)})
	}
	if _, err := s.RecordFired(ctx, t0, due); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ack(s, due[1].Occurrence.ID, t0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Outcomes(ctx, t0, t0.Add(4*time.Hour))
	if err != nil || len(got) != 4 {
		t.Fatalf("%d outcomes, %v", len(got), err)
	}
	if !got[0].At.Equal(t0.Add(3*time.Hour)) || got[2].Status != domain.StatusAcked || got[3].Kind != domain.KindHydration {
		t.Fatalf("outcomes %+v", got)
	}
	var plan []string
	rows, err := s.DB().Query(`EXPLAIN QUERY PLAN SELECT kind, scheduled_at, status FROM occurrences
		WHERE scheduled_at >= 0 AND scheduled_at < 1 ORDER BY scheduled_at DESC`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan = append(plan, detail)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "COVERING INDEX occurrences_outcomes") {
		t.Errorf("outcomes are read with %q, not from their index alone", p)
	}
}
