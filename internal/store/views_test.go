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

// Count counts sent and acknowledged reminders per kind, and lists when the
// acknowledged ones of a kind were due, from the index alone.
func TestCount(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	var due []store.Due
	for i := range 5 {
		for _, k := range []domain.Kind{domain.KindHydration, domain.KindStretch} {
			o := occ(k, string(k), t0.Add(time.Duration(i)*time.Hour))
			due = append(due, store.Due{Occurrence: o, Channels: []string{"a"}, Expires: o.At.Add(time.Hour)})
		}
	}
	if _, err := s.RecordFired(ctx, t0, due); err != nil {
		t.Fatal(err)
	}
	skipped := occ(domain.KindHydration, "skipped", t0.Add(30*time.Minute))
	if _, err := s.RecordUnfired(ctx, t0, []domain.Occurrence{skipped}, domain.StatusSkipped, "paused"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{3, 4, 7} { // the stretches of hours 1 and 3, the water of hour 2
		if _, _, err := ack(s, due[i].Occurrence.ID, t0); err != nil {
			t.Fatal(err)
		}
	}
	c, err := s.Count(ctx, t0, t0.Add(4*time.Hour), domain.KindStretch)
	if err != nil {
		t.Fatal(err)
	}
	if c.Sent[domain.KindHydration] != 4 || c.Sent[domain.KindStretch] != 4 || c.Acked[domain.KindStretch] != 2 || c.Acked[domain.KindHydration] != 1 {
		t.Fatalf("counts %+v", c)
	}
	if len(c.AckedAt) != 2 || !c.AckedAt[0].Equal(t0.Add(time.Hour)) || !c.AckedAt[1].Equal(t0.Add(3*time.Hour)) {
		t.Fatalf("acknowledged stretches at %v", c.AckedAt)
	}
	var plan []string
	rows, err := s.DB().Query("EXPLAIN QUERY PLAN "+store.CountQuery, 0, 1, domain.ReasonByYou)
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
		t.Errorf("the counts are read with %q, not from their index alone", p)
	}
}
