package rules_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
)

func mustPolicy(t *testing.T, text string) *rules.Policy {
	t.Helper()
	p, err := profile.Parse("profile.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return rules.New(p)
}

const berlin = `timezone = "Europe/Berlin"
[sleep]
wake = "07:00"
bed = "23:00"
[[medication]]
name = "Pill"
times = ["22:00"]
repeat = "10m"
max_repeats = 2
[grace]
hydration = "15m"
`

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func occ(kind domain.Kind, rule, when string) domain.Occurrence {
	o := domain.Occurrence{Kind: kind, Rule: rule, At: at(when)}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	return o
}

func TestDecide(t *testing.T) {
	p := mustPolicy(t, berlin)
	water := occ(domain.KindHydration, "hydration/09:00", "2027-06-01T09:00:00+02:00")
	tests := []struct {
		name   string
		now    string
		pause  rules.Pause
		want   rules.Outcome
		sendAt string
	}{
		{name: "recorded ahead is sent at its instant", now: "2027-06-01T08:59:59.5+02:00", want: rules.Fire, sendAt: "2027-06-01T09:00:00+02:00"},
		{name: "on time", now: "2027-06-01T09:00:00+02:00", want: rules.Fire, sendAt: "2027-06-01T09:00:00+02:00"},
		{name: "late within grace is sent now", now: "2027-06-01T09:15:00+02:00", want: rules.Fire, sendAt: "2027-06-01T09:15:00+02:00"},
		{name: "a moment past grace is missed", now: "2027-06-01T09:15:00.001+02:00", want: rules.Missed},
		{name: "due during a pause is skipped", now: "2027-06-01T09:00:00+02:00", pause: rules.Pause{Until: at("2027-06-01T10:00:00+02:00")}, want: rules.Skipped},
		{name: "due in a pause handled after it is skipped", now: "2027-06-01T09:10:00+02:00", pause: rules.Pause{Until: at("2027-06-01T09:05:00+02:00")}, want: rules.Skipped},
		{name: "a pause that ended before it came due does not hold it", now: "2027-06-01T09:00:00+02:00", pause: rules.Pause{Until: at("2027-06-01T09:00:00+02:00")}, want: rules.Fire, sendAt: "2027-06-01T09:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := p.Decide(water, at(tt.now), tt.pause)
			if d.Outcome != tt.want {
				t.Fatalf("outcome %d, want %d (%+v)", d.Outcome, tt.want, d)
			}
			if tt.sendAt != "" && !d.SendAt.Equal(at(tt.sendAt)) {
				t.Fatalf("send at %s, want %s", d.SendAt, tt.sendAt)
			}
		})
	}
}

func TestExpiresAt(t *testing.T) {
	p := mustPolicy(t, berlin)
	tests := []struct {
		name string
		o    domain.Occurrence
		sent string
		want string
	}{
		{"hydration two hours", occ(domain.KindHydration, "h", "2027-06-01T09:00:00Z"), "2027-06-01T09:00:00Z", "2027-06-01T11:00:00Z"},
		{"medication twelve hours", occ(domain.KindMedication, "m", "2027-06-01T09:00:00Z"), "2027-06-01T09:00:00Z", "2027-06-01T21:00:00Z"},
		{"a doctor nudge a week", occ(domain.KindDoctor, "doctor", "2027-06-01T09:00:00Z"), "2027-06-01T09:00:00Z", "2027-06-08T09:00:00Z"},
		{"sent at the edge still gets a minute", occ(domain.KindHydration, "h", "2027-06-01T09:00:00Z"), "2027-06-01T10:59:30Z", "2027-06-01T11:00:30Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.ExpiresAt(tt.o, at(tt.sent)); !got.Equal(at(tt.want)) {
				t.Fatalf("expires %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRepeatsAndSnooze(t *testing.T) {
	p := mustPolicy(t, berlin)
	dose := occ(domain.KindMedication, "medication/Pill/22:00", "2027-06-01T22:00:00+02:00")
	reps := p.Repeats(dose, dose.At)
	if len(reps) != 2 || !reps[0].At.Equal(dose.At.Add(10*time.Minute)) || !reps[1].At.Equal(dose.At.Add(20*time.Minute)) {
		t.Fatalf("repeats %+v", reps)
	}
	if !reps[0].Expires.Equal(reps[0].At.Add(12 * time.Hour)) {
		t.Fatalf("a repeat expires %s", reps[0].Expires)
	}
	if got := p.Repeats(occ(domain.KindMedication, "medication/Other/22:00", "2027-06-01T22:00:00+02:00"), dose.At); got != nil {
		t.Fatalf("a rule the profile does not have repeats: %+v", got)
	}
	if got := p.Repeats(occ(domain.KindStretch, "stretch/bed", "2027-06-01T22:30:00+02:00"), dose.At); got != nil {
		t.Fatalf("a stretch repeats: %+v", got)
	}
	snoozed := dose.At.Add(15 * time.Minute)
	s := p.Snooze(dose, snoozed)
	if len(s) != 3 || !s[0].At.Equal(snoozed) || !s[1].At.Equal(snoozed.Add(10*time.Minute)) {
		t.Fatalf("a snoozed dose sends %+v; want the snooze, then its repeats", s)
	}
	if s := p.Snooze(occ(domain.KindFood, "food/12:30", "2027-06-01T12:30:00+02:00"), snoozed); len(s) != 1 {
		t.Fatalf("a snoozed food prompt sends %+v; want once", s)
	}
}

func TestHoldFor(t *testing.T) {
	now := at("2027-06-01T09:00:00Z")
	pause := rules.Pause{Until: at("2027-06-01T10:00:00Z")}
	first := domain.Delivery{Dispatch: 0, Occurrence: occ(domain.KindStretch, "stretch/bed", "2027-06-01T09:00:00Z")}
	repeat := domain.Delivery{Dispatch: 1, Occurrence: first.Occurrence}
	manual := domain.Delivery{Dispatch: 0, Occurrence: occ(domain.KindDoctor, domain.ManualRule+"doctor", "2027-06-01T09:00:00Z")}
	tests := []struct {
		name  string
		d     domain.Delivery
		pause rules.Pause
		want  rules.Hold
	}{
		{"no pause", first, rules.Pause{}, rules.Hold{}},
		{"a first sending waits for the end", first, pause, rules.Hold{Until: pause.Until, Reason: "paused"}},
		{"a repeat in the pause is skipped", repeat, pause, rules.Hold{Skip: true, Reason: "paused"}},
		{"a test fire is not held", manual, pause, rules.Hold{}},
		{"after the pause", first, rules.Pause{Until: now}, rules.Hold{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rules.HoldFor(tt.d, now, tt.pause); got != tt.want {
				t.Fatalf("hold %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestQuietHoursAndNudgeTime(t *testing.T) {
	p := mustPolicy(t, berlin) // quiet from bed (23:00) to wake (07:00)
	tests := []struct {
		name  string
		now   string
		pause rules.Pause
		want  string
	}{
		{"by day at once", "2027-06-01T14:00:00+02:00", rules.Pause{}, "2027-06-01T14:00:00+02:00"},
		{"at 3 a.m. waits for wake", "2027-06-02T03:00:00+02:00", rules.Pause{}, "2027-06-02T07:00:00+02:00"},
		{"before midnight waits for the next morning", "2027-06-01T23:30:00+02:00", rules.Pause{}, "2027-06-02T07:00:00+02:00"},
		{"the pause's end", "2027-06-01T14:00:00+02:00", rules.Pause{Until: at("2027-06-01T16:00:00+02:00")}, "2027-06-01T16:00:00+02:00"},
		{"a pause ending at night waits for the morning", "2027-06-01T14:00:00+02:00", rules.Pause{Until: at("2027-06-02T01:00:00+02:00")}, "2027-06-02T07:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.NudgeSendAt(at(tt.now), tt.pause); !got.Equal(at(tt.want)) {
				t.Fatalf("nudge at %s, want %s", got, tt.want)
			}
		})
	}
}

func TestNextClockAcrossDST(t *testing.T) {
	p := mustPolicy(t, berlin)
	// 02:30 does not exist on 2027-03-28 in Berlin: the gap rule reads it
	// with the offset before the gap, 03:30 CEST.
	got := p.NextClock(profile.NewClock(2, 30), at("2027-03-27T12:00:00+01:00"))
	if want := at("2027-03-28T03:30:00+02:00"); !got.Equal(want) {
		t.Fatalf("next 02:30 is %s, want %s", got, want)
	}
	got = p.NextClock(profile.NewClock(7, 0), at("2027-06-01T07:00:00+02:00"))
	if want := at("2027-06-02T07:00:00+02:00"); !got.Equal(want) {
		t.Fatalf("the next 07:00 at 07:00 is %s, want tomorrow's", got)
	}
}

func TestBounds(t *testing.T) {
	now := at("2027-06-01T09:00:00Z")
	for _, tt := range []struct {
		name string
		err  error
		msg  string
	}{
		{"snooze too short", rules.CheckSnooze(30 * time.Second), "snooze for between 1m and 24h, not 30s"},
		{"snooze too long", rules.CheckSnooze(25 * time.Hour), "not 25h"},
		{"snooze at the bounds", errors.Join(rules.CheckSnooze(time.Minute), rules.CheckSnooze(24*time.Hour)), ""},
		{"pause in the past", rules.CheckPause(now, now), "must end in the future"},
		{"pause too long", rules.CheckPause(now, now.Add(rules.MaxPause+time.Minute)), "at most 30 days"},
		{"pause of thirty days", rules.CheckPause(now, now.Add(rules.MaxPause)), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.msg == "" {
				if tt.err != nil {
					t.Fatal(tt.err)
				}
				return
			}
			if !errors.Is(tt.err, domain.ErrInvalid) || !strings.Contains(tt.err.Error(), tt.msg) {
				t.Fatalf("err %v, want ErrInvalid with %q", tt.err, tt.msg)
			}
		})
	}
}

// A night is named by its evening and runs from bed time to the next
// morning's wake time, in the profile's zone: across a daylight saving
// change, with a bed time after midnight, and for a sleeper by day.
func TestNights(t *testing.T) {
	tests := []struct {
		name, sleep, night string
		bed, wake          string
	}{
		{name: "evening to morning", sleep: `wake = "07:00"` + "\n" + `bed = "23:00"`, night: "2027-06-01",
			bed: "2027-06-01T23:00:00+02:00", wake: "2027-06-02T07:00:00+02:00"},
		{name: "the night clocks go back", sleep: `wake = "07:00"` + "\n" + `bed = "23:00"`, night: "2027-10-30",
			bed: "2027-10-30T23:00:00+02:00", wake: "2027-10-31T07:00:00+01:00"},
		{name: "bed after midnight", sleep: `wake = "07:00"` + "\n" + `bed = "00:30"`, night: "2027-06-01",
			bed: "2027-06-02T00:30:00+02:00", wake: "2027-06-02T07:00:00+02:00"},
		{name: "sleeping by day", sleep: `wake = "14:00"` + "\n" + `bed = "06:00"`, night: "2027-06-01",
			bed: "2027-06-02T06:00:00+02:00", wake: "2027-06-02T14:00:00+02:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPolicy(t, "timezone = \"Europe/Berlin\"\n[sleep]\n"+tt.sleep+"\n")
			bed, wake, err := p.Sleep(tt.night)
			if err != nil || !bed.Equal(at(tt.bed)) || !wake.Equal(at(tt.wake)) {
				t.Fatalf("sleep %s to %s (%v), want %s to %s", bed, wake, err, tt.bed, tt.wake)
			}
			if got := p.NightBefore(wake.Add(30 * time.Minute)); got != tt.night {
				t.Errorf("the check-in after waking asks about %s, want %s", got, tt.night)
			}
		})
	}
	p := mustPolicy(t, berlin)
	for _, now := range []string{"2027-06-02T03:00:00+02:00", "2027-06-02T20:00:00+02:00", "2027-06-02T23:59:00+02:00"} {
		if got := p.LastNight(at(now)); got != "2027-06-01" {
			t.Errorf("last night at %s is %s, want 2027-06-01", now, got)
		}
	}
	if _, _, err := p.Sleep("June 1"); !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("a night named %q: %v", "June 1", err)
	}
}

// The Snooze button says how long the snooze it asks for lasts.
func TestSnoozeButtonSaysItsLength(t *testing.T) {
	want := fmt.Sprintf("Snooze %d min", int(rules.ButtonSnooze/time.Minute))
	for _, k := range domain.Kinds() {
		for _, b := range notify.Buttons(k) {
			if b.Action == notify.ActionSnooze && b.Label != want {
				t.Errorf("%s: the snooze button says %q, want %q", k, b.Label, want)
			}
		}
		if n := len(notify.Buttons(k)); n < 1 || n > notify.MaxButtons {
			t.Errorf("%s offers %d buttons", k, n)
		}
	}
}
