package app_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/redact"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// record records o as fired at its own instant, as the engine would have.
func (f *fixture) record(o domain.Occurrence) {
	f.t.Helper()
	_, err := f.st.RecordFired(context.Background(), o.At, []store.Due{{Occurrence: o, Channels: []string{"hook"},
		Expires: f.eng.policy.ExpiresAt(o, o.At), Followups: f.eng.policy.Repeats(o, o.At)}})
	if err != nil {
		f.t.Fatal(err)
	}
}

// planned returns today's planned occurrence of rule due at hh:mm Berlin
// time.
func (f *fixture) planned(kind domain.Kind, hhmm string) domain.Occurrence {
	f.t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	day := f.clock.Now().In(loc)
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	for _, o := range f.eng.inputs.Build(start, start.Add(24*time.Hour)) {
		if o.Kind == kind && o.At.In(loc).Format("15:04") == hhmm {
			return o
		}
	}
	f.t.Fatalf("no %s at %s planned today", kind, hhmm)
	return domain.Occurrence{}
}

// Today shows every reminder of the day in time order, with its state,
// and which buttons would do something.
func TestTodayStates(t *testing.T) {
	f := newFixture(t) // 16:00 in Berlin
	ctx := context.Background()
	done := f.planned(domain.KindHydration, "15:00")
	f.record(done)
	if _, err := f.svc.Ack(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	pill := f.planned(domain.KindMedication, "09:00")
	f.record(pill)
	snoozed, err := f.svc.Snooze(ctx, pill.ID, 30*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	skipped := f.planned(domain.KindHydration, "13:00")
	if _, err := f.st.RecordUnfired(ctx, skipped.At, []domain.Occurrence{skipped}, domain.StatusSkipped, "paused"); err != nil {
		t.Fatal(err)
	}
	sent := f.planned(domain.KindHydration, "11:00")
	f.record(sent)

	day, err := f.svc.Today(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if day.Zone != "Europe/Berlin" || !day.Online || day.Start.Format("2006-01-02 15:04 MST") != "2027-06-01 00:00 CEST" {
		t.Fatalf("day %+v", day)
	}
	var got []string
	for i, it := range day.Items {
		if i > 0 && it.At.Before(day.Items[i-1].At) {
			t.Errorf("%s comes after %s", it.At, day.Items[i-1].At)
		}
		s := fmt.Sprintf("%s %s %s", it.At.Format("15:04"), it.Kind, it.State)
		if it.Reason != "" {
			s += " (" + it.Reason + ")"
		}
		if !it.Until.IsZero() {
			s += " until " + it.Until.Format("15:04")
		}
		if it.CanDone {
			s += " [done]"
		}
		if it.CanSnooze {
			s += " [snooze]"
		}
		got = append(got, s)
	}
	want := []string{
		"07:00 hydration missed (crampd was not running)",
		"07:30 checkin missed (crampd was not running)",
		"09:00 hydration missed (crampd was not running)",
		"09:00 medication snoozed until " + snoozed.Until.In(day.Start.Location()).Format("15:04") + " [done] [snooze]",
		"11:00 hydration sent", // expired: 2 h after 11:00 is 13:00
		"13:00 hydration skipped (paused)",
		"15:00 hydration done",
		"17:00 hydration upcoming [done]",
		"19:00 hydration upcoming [done]",
		"21:00 hydration upcoming [done]",
		"21:00 medication upcoming [done]",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("today:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A medication's own repeats are not a snooze.
	other := f.planned(domain.KindMedication, "21:00")
	f.clock.Advance(5*time.Hour + time.Minute) // 21:01
	f.record(other)
	day, _ = f.svc.Today(ctx)
	for _, it := range day.Items {
		if it.ID == other.ID && it.State != app.StateSent {
			t.Errorf("a dose with repeats to come is %s, want sent", it.State)
		}
	}
}

// Without a daemon the day reads the same, and no button works.
func TestTodayWithoutADaemon(t *testing.T) {
	p, _ := profile.Parse("profile.toml", []byte(testProfile))
	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := app.New(app.Config{Store: st, Clock: clockwork.NewFakeClockAt(start), Profile: p})
	day, err := svc.Today(context.Background())
	if err != nil || day.Online || len(day.Items) != 11 {
		t.Fatalf("%+v, %v", day, err)
	}
	for _, it := range day.Items {
		if it.CanDone || it.CanSnooze {
			t.Fatalf("a button works without a daemon: %+v", it)
		}
	}
}

// Subscribers learn of every change without ever holding a publisher up,
// and a slow one still sees the latest.
func TestEventsCoalesceAndNeverBlock(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	slow := f.svc.Subscribe(ctx)
	walk, _ := f.fired(domain.KindCustom, "custom/Walk")
	if _, err := f.svc.Snooze(ctx, walk.ID, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Ack(ctx, walk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.LogCramp(ctx, domain.Cramp{Severity: 2}); err != nil {
		t.Fatal(err)
	}
	// Three changes, one slot: the slow reader gets the last.
	if e := <-slow; e.Kind != app.EventCramp {
		t.Fatalf("slow subscriber got %+v, want the cramp", e)
	}
	select {
	case e := <-slow:
		t.Fatalf("a second event was kept: %+v", e)
	default:
	}
	if _, err := f.svc.Pause(ctx, app.PauseRequest{For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if e := <-slow; e.Kind != app.EventPaused {
		t.Fatalf("got %+v, want paused", e)
	}
	if _, err := f.svc.Ack(ctx, walk.ID); err != nil { // done twice: still an answer
		t.Fatal(err)
	}
	if e := <-slow; e.Kind != app.EventAcked || len(e.IDs) != 1 || e.IDs[0] != walk.ID {
		t.Fatalf("got %+v, want acked %s", e, walk.ID)
	}
	cancel()
	if _, ok := <-slow; ok {
		t.Fatal("the channel stays open after its context ended")
	}
	if n := f.svc.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
	f.svc.Publish(app.Event{Kind: app.EventFired}) // nobody listens: must not block
}

func newWebFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t)
	f.svc = app.New(app.Config{Store: f.st, Clock: f.clock, Engine: f.eng, Host: fakeHost{}, WebURL: "http://127.0.0.1:8737"})
	return f
}

func tokenOf(t *testing.T, l app.WebLogin) string {
	t.Helper()
	u, err := url.Parse(l.URL)
	if err != nil || u.Host != "127.0.0.1:8737" || u.Path != "/login" {
		t.Fatalf("sign-in link %q", l.URL)
	}
	return u.Query().Get("token")
}

func TestWebSignIn(t *testing.T) {
	ctx := context.Background()
	t.Run("a link works once, for a while", func(t *testing.T) {
		f := newWebFixture(t)
		l, err := f.svc.WebLogin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !l.ExpiresAt.Equal(f.clock.Now().Add(app.LoginTTL)) {
			t.Errorf("expires %s", l.ExpiresAt)
		}
		tok := tokenOf(t, l)
		s, err := f.svc.WebSignIn(ctx, tok)
		if err != nil || len(s.ID) < 40 || !s.ExpiresAt.Equal(f.clock.Now().Add(app.SessionTTL)) {
			t.Fatalf("sign in: %+v, %v", s, err)
		}
		if err := f.svc.WebCheck(ctx, s.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.WebSignIn(ctx, tok); !errors.Is(err, app.ErrSignIn) {
			t.Fatalf("a link used twice: %v", err)
		}
		f.clock.Advance(app.SessionTTL)
		if err := f.svc.WebCheck(ctx, s.ID); !errors.Is(err, app.ErrSignIn) {
			t.Fatalf("an expired session: %v", err)
		}
	})
	t.Run("an expired link is refused", func(t *testing.T) {
		f := newWebFixture(t)
		l, _ := f.svc.WebLogin(ctx)
		f.clock.Advance(app.LoginTTL)
		if _, err := f.svc.WebSignIn(ctx, tokenOf(t, l)); !errors.Is(err, app.ErrSignIn) {
			t.Fatalf("an expired link: %v", err)
		}
	})
	t.Run("a made-up token or session is refused", func(t *testing.T) {
		f := newWebFixture(t)
		f.svc.WebLogin(ctx)
		for _, tok := range []string{"", "x", strings.Repeat("A", 43)} {
			if _, err := f.svc.WebSignIn(ctx, tok); !errors.Is(err, app.ErrSignIn) {
				t.Errorf("token %q: %v", tok, err)
			}
			if err := f.svc.WebCheck(ctx, tok); !errors.Is(err, app.ErrSignIn) {
				t.Errorf("session %q: %v", tok, err)
			}
		}
	})
	t.Run("signing out ends the session", func(t *testing.T) {
		f := newWebFixture(t)
		l, _ := f.svc.WebLogin(ctx)
		s, err := f.svc.WebSignIn(ctx, tokenOf(t, l))
		if err != nil {
			t.Fatal(err)
		}
		f.svc.WebSignOut(ctx, s.ID)
		if err := f.svc.WebCheck(ctx, s.ID); !errors.Is(err, app.ErrSignIn) {
			t.Fatalf("after sign-out: %v", err)
		}
	})
	t.Run("a flood of links keeps the newest", func(t *testing.T) {
		f := newWebFixture(t)
		first, _ := f.svc.WebLogin(ctx)
		var last app.WebLogin
		for range 100 {
			last, _ = f.svc.WebLogin(ctx)
		}
		if _, err := f.svc.WebSignIn(ctx, tokenOf(t, first)); !errors.Is(err, app.ErrSignIn) {
			t.Errorf("the oldest of 101 links still works: %v", err)
		}
		if _, err := f.svc.WebSignIn(ctx, tokenOf(t, last)); err != nil {
			t.Errorf("the newest link: %v", err)
		}
	})
	t.Run("no web page, no link", func(t *testing.T) {
		f := newFixture(t)
		if _, err := f.svc.WebLogin(ctx); !errors.Is(err, domain.ErrInvalid) || !strings.Contains(err.Error(), "[web]") {
			t.Fatalf("%v", err)
		}
		p, _ := profile.Parse("profile.toml", []byte(testProfile))
		offline := app.New(app.Config{Store: f.st, Clock: f.clock, Profile: p, WebURL: "http://127.0.0.1:1"})
		if _, err := offline.WebLogin(ctx); !errors.Is(err, app.ErrNoDaemon) {
			t.Fatalf("without a daemon: %v", err)
		}
	})
}

// logCramps logs cramps at the given days back (at 03:00 Berlin) with the
// given severities.
func (f *fixture) logCramps(daysBack []int, c domain.Cramp) {
	f.t.Helper()
	loc, _ := time.LoadLocation("Europe/Berlin")
	now := f.clock.Now().In(loc)
	for _, d := range daysBack {
		e := c
		e.At = time.Date(now.Year(), now.Month(), now.Day()-d, 3, 0, 0, 0, loc)
		if _, err := f.svc.LogCramp(context.Background(), e); err != nil {
			f.t.Fatal(err)
		}
	}
}

func TestTrendsAndReport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.logCramps([]int{1, 2, 9, 20, 27}, domain.Cramp{Severity: 4, Muscle: "calf", Leg: "left"})
	f.logCramps([]int{3}, domain.Cramp{Symptoms: []string{"numbness"}})
	tr, err := f.svc.Trends(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	var perWeek []int
	for _, w := range tr.PerWeek {
		perWeek = append(perWeek, w.Cramps)
	}
	if fmt.Sprint(perWeek) != "[1 1 1 3]" || tr.Cramps != 6 || tr.CrampNights != 6 || tr.Nights != 28 {
		t.Fatalf("per week (oldest first) %v, trends %+v", perWeek, tr)
	}
	if !tr.PerWeek[0].Start.Before(tr.PerWeek[3].Start) {
		t.Fatal("weeks are not oldest first")
	}
	for _, w := range []int{0, app.MaxWeeks + 1} {
		if _, err := f.svc.Trends(ctx, w); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("%d weeks: %v", w, err)
		}
	}

	r, err := f.svc.Report(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Journal) != 6 || r.Journal[0].At.Location().String() != "Europe/Berlin" || !r.Journal[0].At.Before(r.Journal[5].At) {
		t.Fatalf("journal %+v", r.Journal)
	}
	sev := map[string]int{}
	for _, c := range r.Severities {
		sev[c.Label] = c.N
	}
	if len(r.Severities) != 11 || sev["4"] != 5 || sev["not given"] != 1 {
		t.Errorf("severities %+v", r.Severities)
	}
	if fmt.Sprint(r.Symptoms) != "[{swelling 0} {numbness 1} {weakness 0}]" || fmt.Sprint(r.Muscles[0]) != "{calf 5}" {
		t.Errorf("symptoms %v, muscles %v", r.Symptoms, r.Muscles)
	}
	if len(r.Medications) != 1 || r.Medications[0].Name != "Pill" || strings.Join(r.Medications[0].Times, ",") != "09:00,21:00" || r.Medications[0].Days != "daily" {
		t.Errorf("medications %+v", r.Medications)
	}
	if len(r.Adherence) != 2 || r.Adherence[0].Kind != domain.KindStretch || r.Adherence[1].Kind != domain.KindHydration {
		t.Errorf("adherence %+v, want stretch and hydration", r.Adherence)
	}
	if !strings.Contains(r.Doctor, "See a doctor") || !strings.Contains(r.Disclaimer, "not medical advice") || r.MedicationsNote == "" {
		t.Errorf("report texts %q %q %q", r.Doctor, r.Disclaimer, r.MedicationsNote)
	}
}

type failedHost struct{ err error }

func (failedHost) Reload(context.Context) error { return nil }
func (h failedHost) Info() app.HostInfo {
	return app.HostInfo{ProfilePath: "/home/me/profile.toml", LastLoad: start, LoadErr: h.err}
}

// The profile page shows the profile in force without a secret, and the
// problems of the last failed reload at their file:line:col.
func TestProfileView(t *testing.T) {
	const secretURL = "https://hooks.example.com/T0001/B0001/XyZsecretpathsegment"
	text := testProfile + `[[channel]]
type = "webhook"
name = "hook2"
url_env = "HOOK_URL"
secret_env = "HOOK_KEY"
kinds = ["medication"]
[web]
`
	p, err := profile.Parse("profile.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(k string) string {
		return map[string]string{"HOOK_URL": secretURL, "HOOK_KEY": "whsec_" + "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}[k]
	}
	if err := p.CheckSecrets(getenv); err != nil { // reads, and so registers, the secrets
		t.Fatal(err)
	}
	f := newFixture(t)
	_, err = profile.Parse("/home/me/profile.toml", []byte("[sleep]\nwake = \"7am\"\n"))
	svc := app.New(app.Config{Store: f.st, Clock: f.clock, Engine: &fakeEngine{policy: f.eng.policy, inputs: f.eng.inputs}, Host: failedHost{err}})
	v, err := svc.Profile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Problems) != 1 || v.Problems[0] != `/home/me/profile.toml:2:8: sleep.wake: "7am" is not a time of day (want HH:MM, 24-hour, like "07:30")` {
		t.Fatalf("problems %q", v.Problems)
	}
	if v.Path != "/home/me/profile.toml" || v.Zone != "Europe/Berlin" {
		t.Errorf("view %+v", v)
	}

	// The profile with secret channels, as it would be in force.
	withSecrets := app.New(app.Config{Store: f.st, Clock: f.clock, Profile: p})
	v, err = withSecrets.Profile(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	all := fmt.Sprintf("%+v", v)
	for _, secret := range []string{secretURL, "XyZsecretpathsegment", "c2VjcmV0c2VjcmV0", "HOOK_KEY", "HOOK_URL"} {
		if strings.Contains(all, secret) {
			t.Errorf("the profile view shows %q:\n%s", secret, all)
		}
	}
	for _, want := range []string{"{Name:Channel: hook2 Rows:[{Key:type Value:webhook} {Key:kinds Value:medication}]}",
		"{Name:Medication: Pill Rows:[{Key:times Value:09:00, 21:00} {Key:days Value:daily} {Key:lowers Value:none}",
		"{Name:Web page Rows:[{Key:listen Value:127.0.0.1:8737} {Key:https Value:off}]}"} {
		if !strings.Contains(all, want) {
			t.Errorf("the profile view lacks %s:\n%s", want, all)
		}
	}
	if redact.Scrub(secretURL) == secretURL {
		t.Fatal("the secret URL was never registered, so the test proves nothing")
	}
}

// The stats the store counts are the stats of the records themselves.
func TestStatsCountedByTheStoreMatchTheRecords(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Europe/Berlin")
	for d := 1; d <= 20; d++ {
		day := f.clock.Now().In(loc).AddDate(0, 0, -d)
		for i, k := range []domain.Kind{domain.KindStretch, domain.KindHydration, domain.KindMedication} {
			at := time.Date(day.Year(), day.Month(), day.Day(), 22, 10*i, 0, 0, loc)
			o := domain.Occurrence{Kind: k, Rule: string(k), At: at, Title: "t"}
			o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
			f.record(o)
			if (d+i)%3 != 0 {
				if _, _, err := f.ackAt(o.ID, at.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	f.logCramps([]int{1, 4, 6, 11, 12}, domain.Cramp{Severity: 3})
	got, err := f.svc.Stats(ctx, 14)
	if err != nil {
		t.Fatal(err)
	}
	now := f.clock.Now()
	recs, _ := f.st.History(ctx, now.AddDate(0, 0, -15), now.Add(time.Hour))
	cramps, _ := f.st.Cramps(ctx, now.AddDate(0, 0, -15), now.Add(time.Nanosecond))
	want := stats.Compute(recs, cramps, loc, now, 14)
	want.Answers = stats.CountAnswers(nil, cramps, loc, now, 14)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("stats counted by the store:\n%+v\nfrom the records:\n%+v", got, want)
	}
	if want.Stretch.AckedNights == 0 || want.Stretch.OtherNights == 0 || len(want.Adherence) < 3 {
		t.Fatalf("the fixture does not exercise the counts: %+v", want)
	}
}

// ackAt acknowledges id at a given time, as a tap in the past would have.
func (f *fixture) ackAt(id string, at time.Time) (domain.Record, []int64, error) {
	var (
		rec       domain.Record
		cancelled []int64
	)
	err := f.st.Do(context.Background(), func(tx *store.Tx) (err error) {
		rec, cancelled, err = tx.Ack(id, at)
		return err
	})
	return rec, cancelled, err
}
