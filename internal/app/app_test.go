package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// fakeEngine stands in for the scheduler: it holds the profile's rules and
// the pause, and records what the use cases hand it.
type fakeEngine struct {
	policy *rules.Policy
	inputs plan.Inputs

	mu        sync.Mutex
	pause     rules.Pause
	submitted []domain.Delivery
	cancelled []int64
	released  []int64
}

func (e *fakeEngine) Policy() *rules.Policy { return e.policy }
func (e *fakeEngine) Inputs() plan.Inputs   { return e.inputs }
func (e *fakeEngine) Routes(k domain.Kind) []string {
	if k == domain.KindHydration {
		return nil
	}
	return []string{"hook"}
}
func (e *fakeEngine) Pause() rules.Pause { e.mu.Lock(); defer e.mu.Unlock(); return e.pause }
func (e *fakeEngine) SetPause(p rules.Pause) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.pause = p
}
func (e *fakeEngine) Submit(ds []domain.Delivery) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.submitted = append(e.submitted, ds...)
}
func (e *fakeEngine) Cancel(ids []int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cancelled = append(e.cancelled, ids...)
}
func (e *fakeEngine) Release(ids []int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.released = append(e.released, ids...)
}

type fakeHost struct{}

func (fakeHost) Reload(context.Context) error { return nil }
func (fakeHost) Info() app.HostInfo           { return app.HostInfo{} }

const testProfile = `timezone = "Europe/Berlin"
[sleep]
wake = "07:00"
bed = "23:00"
[stretch]
enabled = false
[food]
enabled = false
[[medication]]
name = "Pill"
times = ["09:00", "21:00"]
repeat = "10m"
max_repeats = 2
[[custom]]
name = "New year"
cron = "0 9 1 1 *"
title = "A new year"
[checkin]
enabled = true
[[channel]]
type = "stdout"
name = "hook"
`

type fixture struct {
	t     *testing.T
	clock *clockwork.FakeClock
	st    *store.Store
	eng   *fakeEngine
	svc   *app.Service
}

var start = time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p, err := profile.Parse("profile.toml", []byte(testProfile))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f := &fixture{t: t, clock: clockwork.NewFakeClockAt(start), st: st,
		eng: &fakeEngine{policy: rules.New(p), inputs: plan.Inputs{Profile: p}}}
	f.svc = app.New(app.Config{Store: st, Clock: f.clock, Engine: f.eng, Host: fakeHost{}})
	return f
}

// fired records one occurrence due now as fired, as the engine would.
func (f *fixture) fired(kind domain.Kind, rule string) (domain.Occurrence, []domain.Delivery) {
	f.t.Helper()
	now := f.clock.Now()
	o := domain.Occurrence{Kind: kind, Rule: rule, At: now, Title: "t"}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	ds, err := f.st.RecordFired(context.Background(), now, []store.Due{{Occurrence: o, Channels: []string{"hook"},
		Expires: f.eng.policy.ExpiresAt(o, now), Followups: f.eng.policy.Repeats(o, now)}})
	if err != nil {
		f.t.Fatal(err)
	}
	return o, ds
}

// A test fire is a test of the channels: it goes out during a pause, and
// says that it does.
func TestFireDuringAPauseGoesOutAndSaysSo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, err := f.svc.Pause(ctx, app.PauseRequest{For: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Fire(ctx, "electrolytes")
	if err != nil {
		t.Fatal(err)
	}
	if res.PausedUntil == nil || !res.PausedUntil.Equal(p.Until) || len(res.Channels) != 1 {
		t.Fatalf("fire during a pause: %+v", res)
	}
	f.eng.mu.Lock()
	submitted := f.eng.submitted
	f.eng.mu.Unlock()
	if len(submitted) != 1 || submitted[0].NextAttemptAt.After(f.clock.Now()) {
		t.Fatalf("submitted %+v; want one delivery due now", submitted)
	}
	if h := rules.HoldFor(submitted[0], f.clock.Now(), f.eng.Pause()); h != (rules.Hold{}) {
		t.Fatalf("the pause holds a test fire: %+v", h)
	}
}

// Resume releases what the pause held at once: the store moves those
// deliveries to now and the engine is told which.
func TestResumeReleasesHeldDeliveries(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p, err := f.svc.Pause(ctx, app.PauseRequest{For: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// A delivery the outbox held for the pause (its next attempt is the
	// pause's end), and one retrying later for its own reasons.
	_, ds := f.fired(domain.KindStretch, "stretch/bed")
	held := ds[0]
	held.NextAttemptAt, held.LastError = p.Until, "paused"
	if ok, err := f.st.UpdateDelivery(ctx, f.clock.Now(), held); err != nil || !ok {
		t.Fatal(ok, err)
	}
	_, ds2 := f.fired(domain.KindCustom, "custom/Walk")
	later := ds2[0]
	later.NextAttemptAt = p.Until.Add(time.Minute)
	f.st.UpdateDelivery(ctx, f.clock.Now(), later)

	f.clock.Advance(5 * time.Minute)
	res, err := f.svc.Resume(ctx)
	if err != nil || !res.WasPaused || res.Released != 1 {
		t.Fatalf("resume %+v, %v", res, err)
	}
	if f.eng.Pause().Active(f.clock.Now()) {
		t.Fatal("the engine is still paused")
	}
	if len(f.eng.released) != 1 || f.eng.released[0] != held.ID {
		t.Fatalf("released %v, want [%d]", f.eng.released, held.ID)
	}
	pending, _ := f.st.Pending(ctx)
	for _, d := range pending {
		if d.ID == held.ID && !d.NextAttemptAt.Equal(f.clock.Now()) {
			t.Fatalf("the held delivery waits until %s", d.NextAttemptAt)
		}
	}
	if res, _ := f.svc.Resume(ctx); res.WasPaused {
		t.Fatal("a second resume found a pause")
	}
}

// A test fire of the doctor kind starts no cooldown: a severe cramp logged
// right after it sends the real nudge, and the result says so.
func TestTestFireDoesNotBlockTheNudge(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.svc.Fire(ctx, "doctor"); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.LogCramp(ctx, domain.Cramp{Severity: 9, Symptoms: []string{"swelling"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Nudge.Sent == nil || res.Nudge.Sent.Rule != "doctor" {
		t.Fatalf("no nudge after a test fire: %+v", res.Nudge)
	}
	if msg := res.Nudge.Message(time.UTC); msg != "A doctor reminder was sent." {
		t.Fatalf("message %q", msg)
	}
	// A second severe cramp is held back by the real nudge, and says why.
	f.clock.Advance(time.Hour)
	res, err = f.svc.LogCramp(ctx, domain.Cramp{Severity: 10})
	if err != nil || res.Nudge.Sent != nil {
		t.Fatalf("second nudge within the cooldown: %+v, %v", res.Nudge, err)
	}
	msg := res.Nudge.Message(time.UTC)
	for _, want := range []string{"severity 10", "already went out at Tue 2027-06-01 14:00 UTC", "at most one within 168h", "from Tue 2027-06-08 14:00 UTC"} {
		if !strings.Contains(msg, want) {
			t.Errorf("held-back message %q lacks %q", msg, want)
		}
	}
}

// Two severe cramps logged at once send one nudge: the cooldown is read in
// the transaction that records the nudge.
func TestConcurrentCrampLogsSendOneNudge(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	sent := make(chan bool, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := f.svc.LogCramp(context.Background(), domain.Cramp{Severity: 9})
			if err != nil {
				t.Error(err)
			}
			sent <- res.Nudge.Sent != nil
		}()
	}
	wg.Wait()
	close(sent)
	n := 0
	for s := range sent {
		if s {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d nudges for 8 cramps logged at once, want 1", n)
	}
}

// However pauses and resumes interleave, the stored pause and the one in
// force agree.
func TestPauseAndResumeAgree(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				f.svc.Pause(ctx, app.PauseRequest{For: time.Duration(i+1) * time.Minute})
			} else {
				f.svc.Resume(ctx)
			}
		}()
	}
	wg.Wait()
	until, ok, err := f.st.PauseUntil(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := f.eng.Pause().Until; !got.Equal(until) || ok != !got.IsZero() {
		t.Fatalf("stored pause %s (%v), in force %s", until, ok, got)
	}
}

// The same press handled twice has its effect once.
func TestActionsWithANonceAreOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	walk, _ := f.fired(domain.KindCustom, "custom/Walk")
	press := app.Action{OccurrenceID: walk.ID, Verb: app.VerbSnooze, Source: "ntfy", Nonce: "n-1"}
	for i := range 2 {
		res, err := f.svc.Handle(ctx, press)
		if err != nil {
			t.Fatal(err)
		}
		if (res.NoOp != "") != (i == 1) {
			t.Fatalf("press %d: %+v", i+1, res)
		}
	}
	rec, _ := f.st.Record(ctx, walk.ID)
	if rec.Deliveries[domain.StatusPending] != 2 { // the first sending and one snooze
		t.Fatalf("deliveries %v; want one snooze queued", rec.Deliveries)
	}
	// Another nonce is another press.
	done := app.Action{OccurrenceID: walk.ID, Verb: app.VerbDone, Source: "ntfy", Nonce: "n-2"}
	if res, err := f.svc.Handle(ctx, done); err != nil || res.Record.Status != domain.StatusAcked {
		t.Fatalf("done: %+v, %v", res, err)
	}
}

// A button pressed on a reminder that is done, expired or unknown changes
// nothing and is not an error; the command line is told why.
func TestStaleButtonPressesAreNoOps(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	walk, _ := f.fired(domain.KindCustom, "custom/Walk")
	if _, err := f.svc.Ack(ctx, walk.ID); err != nil {
		t.Fatal(err)
	}
	water, _ := f.fired(domain.KindStretch, "stretch/bed")
	f.clock.Advance(4 * time.Hour) // a stretch reminder expires after three
	for _, tt := range []struct {
		name string
		a    app.Action
	}{
		{"done twice", app.Action{OccurrenceID: walk.ID, Verb: app.VerbDone, Source: app.SourceDesktop}},
		{"snooze after done", app.Action{OccurrenceID: walk.ID, Verb: app.VerbSnooze, Source: app.SourceDesktop}},
		{"expired", app.Action{OccurrenceID: water.ID, Verb: app.VerbDone, Source: app.SourceDesktop}},
		{"unknown", app.Action{OccurrenceID: "custom-000000000000", Verb: app.VerbDone, Source: app.SourceDesktop}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.svc.Handle(ctx, tt.a)
			if err != nil || res.NoOp == "" {
				t.Fatalf("%+v, %v; want a no-op", res, err)
			}
		})
	}
	if rec, _ := f.st.Record(ctx, water.ID); rec.Status != domain.StatusFired {
		t.Fatalf("an expired reminder was acknowledged by a stale button: %s", rec.Status)
	}
	// From the command line an unknown id is an error that says where ids
	// come from, and a snooze of a done reminder says it is done.
	if _, err := f.svc.Ack(ctx, "custom-000000000000"); !errors.Is(err, domain.ErrNotFound) || !strings.Contains(err.Error(), "crampd next") {
		t.Fatalf("ack of an unknown id: %v", err)
	}
	if _, err := f.svc.Snooze(ctx, walk.ID, 10*time.Minute); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "already done") {
		t.Fatalf("snooze of a done reminder: %v", err)
	}
}

// A dose that `next` lists can be marked done ahead: it is recorded as
// acknowledged, so it never fires.
func TestAckAhead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	upcoming, err := f.svc.Upcoming(ctx, 20)
	var next []domain.Occurrence
	for _, o := range upcoming {
		if o.Kind == domain.KindMedication {
			next = append(next, o)
		}
	}
	if err != nil || len(next) == 0 {
		t.Fatalf("next %+v, %v", upcoming, err)
	}
	rec, err := f.svc.Ack(ctx, next[0].ID)
	if err != nil || rec.Status != domain.StatusAcked || rec.Reason != "acknowledged ahead" {
		t.Fatalf("ack ahead: %+v, %v", rec, err)
	}
	ds, err := f.st.RecordFired(ctx, next[0].At, []store.Due{{Occurrence: next[0], Channels: []string{"hook"}, Expires: next[0].At.Add(time.Hour)}})
	if err != nil || len(ds) != 0 {
		t.Fatalf("the dose done ahead was queued when it came due: %+v, %v", ds, err)
	}
}

func TestLogCrampChecksItsInput(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := f.clock.Now()
	for _, tt := range []struct {
		name string
		c    domain.Cramp
		msg  string
	}{
		{"in the future", domain.Cramp{At: now.Add(2 * time.Minute)}, "cannot be logged in the future"},
		{"year two", domain.Cramp{At: time.Date(2, 1, 1, 0, 0, 0, 0, time.UTC)}, "up to a year back"},
		{"a symptom twice", domain.Cramp{Symptoms: []string{"swelling", "swelling"}}, "given twice"},
		{"too long", domain.Cramp{Note: strings.Repeat("é", domain.MaxNote+1)}, "at most 2000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.svc.LogCramp(ctx, tt.c); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("err %v, want %q", err, tt.msg)
			}
		})
	}
	// 2000 characters of two bytes each fit; control characters are
	// stripped before anything is stored.
	res, err := f.svc.LogCramp(ctx, domain.Cramp{Note: strings.Repeat("é", domain.MaxNote-20) + "\x1b[2Jwoke\x00 me\r\nup\tearly"})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Cramp.Note; !strings.HasSuffix(got, "[2Jwoke meup early") || strings.ContainsAny(got, "\x1b\x00\r\n\t") {
		t.Fatalf("note stored as %q", got)
	}
}

// Without a daemon the journal is written and read, the nudge waits for the
// daemon's next start, and what needs the daemon says so.
func TestWithoutADaemon(t *testing.T) {
	p, _ := profile.Parse("profile.toml", []byte(testProfile))
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := clockwork.NewFakeClockAt(start)
	svc := app.New(app.Config{Store: st, Clock: clock, Profile: p})
	ctx := context.Background()
	res, err := svc.LogCramp(ctx, domain.Cramp{Severity: 9})
	if err != nil || !res.Nudge.Deferred || !strings.Contains(res.Nudge.Message(time.UTC), "when it next starts") {
		t.Fatalf("offline cramp: %+v, %v", res, err)
	}
	if cs, err := svc.Cramps(ctx, 1); err != nil || len(cs) != 1 || cs[0].At.Location().String() != "Europe/Berlin" {
		t.Fatalf("cramps %+v, %v", cs, err)
	}
	if next, err := svc.Upcoming(ctx, 2); err != nil || len(next) != 2 {
		t.Fatalf("upcoming %+v, %v", next, err)
	}
	for name, call := range map[string]func() error{
		"status": func() error { _, err := svc.Status(ctx); return err },
		"fire":   func() error { _, err := svc.Fire(ctx, "stretch"); return err },
		"ack":    func() error { _, err := svc.Ack(ctx, "x"); return err },
		"pause":  func() error { _, err := svc.Pause(ctx, app.PauseRequest{For: time.Hour}); return err },
	} {
		if err := call(); !errors.Is(err, app.ErrNoDaemon) {
			t.Errorf("%s without a daemon: %v", name, err)
		}
	}
}

func TestDaysBounds(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, days := range []int{0, 367} {
		if _, err := f.svc.History(ctx, days); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("history of %d days: %v", days, err)
		}
	}
	if _, err := f.svc.Stats(ctx, 3661); !errors.Is(err, domain.ErrInvalid) {
		t.Error("stats of 3661 days accepted")
	}
}

type repliesHost struct {
	fakeHost
	replies []app.ReplyStatus
}

func (h repliesHost) Info() app.HostInfo { return app.HostInfo{Replies: h.replies} }

// Status reports each reply subscription as the daemon gives it, with its
// time in the profile's zone.
func TestStatusShowsReplies(t *testing.T) {
	f := newFixture(t)
	since := start.Add(-time.Minute)
	want := app.ReplyStatus{Channel: "phone", State: app.ReplyRefused, Since: since, Error: "403 Forbidden", Fix: "grant read access"}
	svc := app.New(app.Config{Store: f.st, Clock: f.clock, Engine: f.eng, Host: repliesHost{replies: []app.ReplyStatus{want}}})
	st, err := svc.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Replies) != 1 || st.Replies[0].State != want.State || st.Replies[0].Fix != want.Fix ||
		!st.Replies[0].Since.Equal(since) || st.Replies[0].Since.Location().String() != "Europe/Berlin" {
		t.Fatalf("replies %+v, want %+v in Berlin time", st.Replies, want)
	}
}

// A custom reminder is fired by name wherever its next instant falls (this
// one, once a year, is months ahead), in its own words.
func TestFireACustomReminderByName(t *testing.T) {
	f := newFixture(t)
	res, err := f.svc.Fire(context.Background(), "New year")
	if err != nil || res.Occurrence.Title != "A new year" || res.Occurrence.Kind != domain.KindCustom {
		t.Fatalf("fire by name: %+v, %v", res, err)
	}
	if _, err := f.svc.Fire(context.Background(), "Old year"); !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("fire of an unknown name: %v", err)
	}
}
