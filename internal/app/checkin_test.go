package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// morning is 07:30 in Berlin on June 2, when the check-in asks about the
// night of June 1, which ran from 23:00 to 07:00 with its middle at 03:00.
var (
	morning   = time.Date(2027, 6, 2, 5, 30, 0, 0, time.UTC)
	midNight1 = time.Date(2027, 6, 2, 1, 0, 0, 0, time.UTC)
)

func (f *fixture) journal() []domain.Cramp {
	f.t.Helper()
	cs, err := f.st.Cramps(context.Background(), morning.AddDate(0, 0, -30), morning.AddDate(0, 0, 1))
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

func (f *fixture) submittedKinds() map[domain.Kind]int {
	f.eng.mu.Lock()
	defer f.eng.mu.Unlock()
	out := map[domain.Kind]int{}
	for _, d := range f.eng.submitted {
		out[d.Occurrence.Kind]++
	}
	return out
}

// The check-in's buttons: each answer lands in the journal once, a later
// answer replaces an earlier one (the cramp it logged changes or goes),
// Severe sends the doctor nudge, and the check-in is done.
func TestCheckinButtons(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(morning.Sub(f.clock.Now()))
	ci, _ := f.fired(domain.KindCheckin, "checkin")
	press := func(verb app.Verb, nonce string) app.ActionResult {
		t.Helper()
		res, err := f.svc.Handle(ctx, app.Action{OccurrenceID: ci.ID, Verb: verb, Source: app.SourceNtfy, Nonce: nonce})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	res := press(app.VerbCramp, "n1")
	if res.NoOp != "" || res.Checkin == nil || res.Record.Status != domain.StatusAcked {
		t.Fatalf("cramp: %+v", res)
	}
	c := res.Checkin.Cramp
	if res.Checkin.Night.Date != "2027-06-01" || c == nil || !c.At.Equal(midNight1) || c.Severity != 0 || c.Source != domain.SourceCheckin {
		t.Fatalf("cramp answer recorded %+v with cramp %+v; want the night of June 1 and a cramp at 03:00 Berlin from the check-in", res.Checkin.Night, c)
	}
	if res := press(app.VerbCramp, "n1"); res.NoOp == "" {
		t.Fatalf("the same press twice had two effects: %+v", res)
	}
	if got := f.journal(); len(got) != 1 {
		t.Fatalf("journal after one cramp answer: %+v", got)
	}
	if k := f.submittedKinds(); k[domain.KindDoctor] != 0 {
		t.Fatalf("a cramp of no given severity sent the doctor nudge: %v", k)
	}

	res = press(app.VerbSevere, "n2")
	if res.Checkin.Replaced != domain.AnswerCramp || res.Checkin.Cramp.ID != c.ID || res.Checkin.Cramp.Severity != domain.SevereSeverity {
		t.Fatalf("severe after cramp: %+v", res.Checkin)
	}
	if res.Checkin.Nudge.Sent == nil || f.submittedKinds()[domain.KindDoctor] != 1 {
		t.Fatalf("a severe night did not send the doctor nudge: %+v", res.Checkin.Nudge)
	}
	if got := f.journal(); len(got) != 1 || got[0].Severity != domain.SevereSeverity {
		t.Fatalf("journal after severe: %+v", got)
	}

	res = press(app.VerbNone, "n3")
	if res.Checkin.Removed != c.ID || res.Checkin.Night.CrampID != 0 {
		t.Fatalf("none after severe: %+v", res.Checkin)
	}
	if got := f.journal(); len(got) != 0 {
		t.Fatalf("the check-in's cramp stayed after \"no cramps\": %+v", got)
	}
	if res := press(app.VerbNone, "n4"); res.NoOp == "" || !res.Checkin.Unchanged {
		t.Fatalf("the same answer again changed something: %+v", res)
	}

	// An answer on anything but a check-in, or after the check-in
	// expired, changes nothing.
	walk, _ := f.fired(domain.KindCustom, "custom/Walk")
	if res, err := f.svc.Handle(ctx, app.Action{OccurrenceID: walk.ID, Verb: app.VerbSevere, Source: app.SourceNtfy, Nonce: "n5"}); err != nil || res.NoOp == "" {
		t.Fatalf("severe on a walk: %+v, %v", res, err)
	}
	f.clock.Advance(13 * time.Hour)
	if res := press(app.VerbCramp, "n6"); res.NoOp == "" || !strings.Contains(res.NoOp, "expired") {
		t.Fatalf("an answer after the check-in expired: %+v", res)
	}
	if got := f.journal(); len(got) != 0 {
		t.Fatalf("journal changed by a refused answer: %+v", got)
	}
}

// From the terminal: last night by default or a night named by its
// evening; the morning's check-in is marked done; a night to come or a
// wrong answer is refused.
func TestCheckinFromTheTerminal(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(morning.Sub(f.clock.Now()))
	// The check-in the plan put at 07:30 went out.
	var ci domain.Occurrence
	for _, o := range f.eng.inputs.Build(morning.Add(-time.Minute), morning.Add(time.Minute)) {
		if o.Kind == domain.KindCheckin {
			ci = o
		}
	}
	if ci.ID == "" {
		t.Fatal("the plan has no check-in at 07:30")
	}
	if _, err := f.st.RecordFired(ctx, morning, []store.Due{{Occurrence: ci, Channels: []string{"hook"}, Expires: morning.Add(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)

	res, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerNone})
	if err != nil || res.Night.Date != "2027-06-01" || res.Night.Source != app.SourceCLI || res.Cramp != nil {
		t.Fatalf("none: %+v, %v", res, err)
	}
	if rec, _ := f.st.Record(ctx, ci.ID); rec.Status != domain.StatusAcked || rec.Deliveries[domain.StatusCancelled] != 1 {
		t.Fatalf("the morning's check-in is %s with deliveries %v; want it done and its delivery cancelled", rec.Status, rec.Deliveries)
	}
	if res, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerNone}); err != nil || !res.Unchanged {
		t.Fatalf("none again: %+v, %v", res, err)
	}
	res, err = f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerCramp, Night: "2027-05-31"})
	if want := midNight1.AddDate(0, 0, -1); err != nil || res.Cramp == nil || !res.Cramp.At.Equal(want) || res.Cramp.At.Location().String() != "Europe/Berlin" {
		t.Fatalf("cramp on May 31: %+v, %v; want a cramp at %s shown in Berlin time", res, err, want)
	}

	for _, tt := range []struct {
		name string
		req  app.CheckinRequest
		msg  string
	}{
		{"tonight", app.CheckinRequest{Answer: domain.AnswerNone, Night: "2027-06-02"}, "has not begun"},
		{"a wrong answer", app.CheckinRequest{Answer: "maybe"}, "want none, cramp or severe"},
		{"not a date", app.CheckinRequest{Answer: domain.AnswerNone, Night: "yesterday"}, "want a date"},
		{"two years back", app.CheckinRequest{Answer: domain.AnswerNone, Night: "2025-06-01"}, "up to a year back"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.Checkin(ctx, tt.req); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %q", err, tt.msg)
			}
		})
	}
}

// A cramp already logged in the night is not logged again by the check-in,
// so the doctor nudge's count sees it once; a severe answer over a milder
// logged cramp still logs the severe one.
func TestCheckinCountsALoggedCrampOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(morning.Sub(f.clock.Now()))
	logged, err := f.svc.LogCramp(ctx, domain.Cramp{At: time.Date(2027, 6, 2, 0, 10, 0, 0, time.UTC), Severity: 5})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerCramp})
	if err != nil || !res.Existing || res.Cramp.ID != logged.Cramp.ID || res.Night.CrampID != 0 {
		t.Fatalf("cramp over a logged cramp: %+v, %v", res, err)
	}
	if got := f.journal(); len(got) != 1 {
		t.Fatalf("journal %+v; want the logged cramp alone", got)
	}
	res, err = f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerSevere})
	if err != nil || res.Existing || res.Cramp.Severity != domain.SevereSeverity || res.Nudge.Sent == nil {
		t.Fatalf("severe over a milder logged cramp: %+v, %v", res, err)
	}
	// "No cramps" takes back the check-in's own entry, never one logged
	// by hand.
	if _, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerNone}); err != nil {
		t.Fatal(err)
	}
	if got := f.journal(); len(got) != 1 || got[0].ID != logged.Cramp.ID {
		t.Fatalf("journal %+v; want the cramp logged by hand", got)
	}
	st, err := f.svc.Stats(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	// Answered "no cramps", but the journal holds one: a cramp night.
	if a := st.Answers; a.Answered != 1 || a.CrampNights != 1 || a.CrampFree != 0 || a.Unanswered != 6 {
		t.Fatalf("answers %+v", a)
	}
}

// A severe night sends the doctor nudge only outside its cooldown, as a
// logged cramp would.
func TestSevereNightHonoursTheNudgeCooldown(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.clock.Advance(morning.Sub(f.clock.Now()))
	first, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerSevere, Night: "2027-05-30"})
	if err != nil || first.Nudge.Sent == nil {
		t.Fatalf("first severe night: %+v, %v", first, err)
	}
	second, err := f.svc.Checkin(ctx, app.CheckinRequest{Answer: domain.AnswerSevere})
	if err != nil || second.Nudge.Sent != nil || second.Nudge.LastSent.IsZero() || second.Nudge.Reason == "" {
		t.Fatalf("a second severe night within the cooldown: %+v, %v", second.Nudge, err)
	}
	if k := f.submittedKinds(); k[domain.KindDoctor] != 1 {
		t.Fatalf("doctor deliveries %d, want 1", k[domain.KindDoctor])
	}
}

// Skip on a dose stops its repeats and counts it as sent, not taken.
func TestSkipStopsRepeatsAndIsNotDone(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dose, ds := f.fired(domain.KindMedication, "medication/Pill/09:00")
	if len(ds) != 3 {
		t.Fatalf("a dose with two repeats queued %d deliveries", len(ds))
	}
	res, err := f.svc.Handle(ctx, app.Action{OccurrenceID: dose.ID, Verb: app.VerbSkip, Source: app.SourceNtfy, Nonce: "s1"})
	if err != nil || res.NoOp != "" || res.Record.Status != domain.StatusSkipped || res.Record.Reason != domain.ReasonByYou {
		t.Fatalf("skip: %+v, %v", res, err)
	}
	if len(f.eng.cancelled) != 3 {
		t.Fatalf("cancelled %v, want the first sending and both repeats", f.eng.cancelled)
	}
	st, err := f.svc.Stats(ctx, 1)
	if err != nil || len(st.Adherence) != 1 || st.Adherence[0] != (stats.Adherence{Kind: domain.KindMedication, Fired: 1}) {
		t.Fatalf("adherence %+v, %v", st.Adherence, err)
	}
	// Taken after all: the skip gives way to done.
	if rec, err := f.svc.Ack(ctx, dose.ID); err != nil || rec.Status != domain.StatusAcked {
		t.Fatalf("ack after skip: %+v, %v", rec, err)
	}
	ci, _ := f.fired(domain.KindCheckin, "checkin")
	if res, err := f.svc.Handle(ctx, app.Action{OccurrenceID: ci.ID, Verb: app.VerbSkip, Source: app.SourceNtfy, Nonce: "s2"}); err != nil || res.NoOp == "" {
		t.Fatalf("skip on a check-in: %+v, %v", res, err)
	}
}

// A source's cursor is written with the action's effect, and alone when
// the action changes nothing; it cannot name other state.
func TestCursorMovesWithEveryAction(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	walk, _ := f.fired(domain.KindCustom, "custom/Walk")
	const key = app.CursorPrefix + "ntfy/phone"
	cursor := func(v string) *app.Cursor { return &app.Cursor{Key: key, Value: v} }
	steps := []struct {
		name string
		a    app.Action
		noop bool
	}{
		{"an effect", app.Action{OccurrenceID: walk.ID, Verb: app.VerbSnooze, Source: app.SourceNtfy, Nonce: "a", Cursor: cursor("m1")}, false},
		{"a duplicate", app.Action{OccurrenceID: walk.ID, Verb: app.VerbSnooze, Source: app.SourceNtfy, Nonce: "a", Cursor: cursor("m2")}, true},
		{"an unknown reminder", app.Action{OccurrenceID: "custom-000000000000", Verb: app.VerbDone, Source: app.SourceNtfy, Nonce: "b", Cursor: cursor("m3")}, true},
	}
	for _, s := range steps {
		res, err := f.svc.Handle(ctx, s.a)
		if err != nil || (res.NoOp != "") != s.noop {
			t.Fatalf("%s: %+v, %v", s.name, res, err)
		}
		if got, err := f.svc.Cursor(ctx, key); err != nil || got != s.a.Cursor.Value {
			t.Fatalf("%s: cursor %q, %v; want %q", s.name, got, err, s.a.Cursor.Value)
		}
	}
	if err := f.svc.MoveCursor(ctx, app.Cursor{Key: key, Value: "m4"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Cursor(ctx, key); got != "m4" {
		t.Fatalf("cursor %q after a move, want m4", got)
	}
	for _, bad := range []string{store.MetaPauseUntil, app.CursorPrefix} {
		if err := f.svc.MoveCursor(ctx, app.Cursor{Key: bad, Value: "1"}); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("a cursor named %q was accepted: %v", bad, err)
		}
		a := app.Action{OccurrenceID: walk.ID, Verb: app.VerbDone, Source: app.SourceNtfy, Nonce: "c", Cursor: &app.Cursor{Key: bad, Value: "1"}}
		if _, err := f.svc.Handle(ctx, a); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("an action with a cursor named %q was handled: %v", bad, err)
		}
	}
	if _, ok, _ := f.st.PauseUntil(ctx); ok {
		t.Fatal("a cursor wrote the pause")
	}
}
