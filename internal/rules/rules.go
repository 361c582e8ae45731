// Package rules holds the decisions that a scheduled fire and a person's
// action must make the same way: how long an occurrence stays worth
// delivering, whether a pause or quiet hours hold it, a medication's
// repeats, snooze and pause bounds, and whether the cramp journal calls for
// the doctor nudge. Everything here is a function of values: no I/O, no
// clock reads. The engine (scheduled fires) and the app layer (a person's
// actions) both call it, so the two paths cannot drift apart.
package rules

import (
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
)

// Bounds on what a person may ask for.
const (
	MinSnooze = time.Minute
	MaxSnooze = 24 * time.Hour
	// ButtonSnooze is what a "Snooze 10 min" button asks for.
	ButtonSnooze = 10 * time.Minute
	// MaxPause is the longest pause: long enough for a holiday, short
	// enough that a forgotten pause does not silence medications for good.
	MaxPause = 30 * 24 * time.Hour
)

// expiry is how long after its instant a reminder is still worth
// delivering; retries stop there.
var expiry = map[domain.Kind]time.Duration{
	domain.KindHydration:        2 * time.Hour,
	domain.KindStretch:          3 * time.Hour,
	domain.KindFood:             2 * time.Hour,
	domain.KindElectrolytes:     2 * time.Hour,
	domain.KindMedication:       12 * time.Hour,
	domain.KindMedicationReview: 7 * 24 * time.Hour,
	domain.KindCustom:           6 * time.Hour,
	domain.KindDoctor:           7 * 24 * time.Hour,
	// A night can still be answered for until the evening.
	domain.KindCheckin: 12 * time.Hour,
}

// Expiry returns how long after its instant a reminder of kind k is still
// worth delivering.
func Expiry(k domain.Kind) time.Duration { return expiry[k] }

// Policy is the rules of one profile. It is immutable: a reload builds a
// new one.
type Policy struct {
	profile *profile.Profile
	// repeats maps a medication dose's rule to its medication.
	repeats map[string]profile.Medication
}

// New returns the rules of p.
func New(p *profile.Profile) *Policy {
	repeats := map[string]profile.Medication{}
	for _, m := range p.Medications {
		for _, c := range m.Times {
			repeats["medication/"+m.Name+"/"+c.String()] = m
		}
	}
	return &Policy{profile: p, repeats: repeats}
}

// Profile returns the profile the rules come from.
func (p *Policy) Profile() *profile.Profile { return p.profile }

// Location returns the profile's time zone.
func (p *Policy) Location() *time.Location { return p.profile.Location }

// Grace returns how late a missed occurrence of kind k may still fire.
func (p *Policy) Grace(k domain.Kind) time.Duration { return p.profile.Grace[k] }

// ExpiresAt returns when retrying a delivery of o, first sent at sent,
// stops: never before its grace window ends, and never less than a minute
// after it is sent.
func (p *Policy) ExpiresAt(o domain.Occurrence, sent time.Time) time.Time {
	e := o.At.Add(max(expiry[o.Kind], p.Grace(o.Kind)))
	if floor := sent.Add(time.Minute); e.Before(floor) {
		// Fired at the edge of its window: still give it a minute.
		e = floor
	}
	return e
}

// Pause is a pause of every delivery; the zero Pause is none. A pause never
// outlives its end: it is a comparison, not a timer.
type Pause struct {
	Until time.Time
}

// Active reports whether the pause holds deliveries at t.
func (p Pause) Active(t time.Time) bool { return !p.Until.IsZero() && t.Before(p.Until) }

// Outcome is what becomes of an occurrence that came due.
type Outcome int

// The outcomes of Decide.
const (
	// Fire records the occurrence as fired and sends it.
	Fire Outcome = iota
	// Missed records it as missed: it came due too long ago to be useful.
	Missed
	// Skipped records it as skipped: it came due during a pause.
	Skipped
)

// Decision is Decide's answer.
type Decision struct {
	Outcome Outcome
	// SendAt is when a fired occurrence's first delivery goes out: its
	// instant, or now if that has passed.
	SendAt time.Time
	// Reason is recorded with a missed or skipped occurrence.
	Reason string
}

// Decide says what becomes of occurrence o, handled at now.
func (p *Policy) Decide(o domain.Occurrence, now time.Time, pause Pause) Decision {
	if late := now.Sub(o.At); late > p.Grace(o.Kind) {
		return Decision{Outcome: Missed, Reason: "past its grace window"}
	}
	// Due during a pause, or handled during one: skipped, even when a
	// stalled timer only hands it over after the pause has ended.
	if pause.Active(now) || pause.Active(o.At) {
		return Decision{Outcome: Skipped, Reason: "paused"}
	}
	// Recorded ahead of its instant: everything that counts from the
	// firing counts from the instant.
	return Decision{Outcome: Fire, SendAt: later(o.At, now)}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Repeats returns the repeats of a medication dose first sent at sent:
// every `repeat`, up to `max_repeats` times, cancelled when the dose is
// acknowledged. Other kinds have none.
func (p *Policy) Repeats(o domain.Occurrence, sent time.Time) []domain.Followup {
	m, ok := p.repeats[o.Rule]
	if !ok || o.Kind != domain.KindMedication {
		return nil
	}
	out := make([]domain.Followup, 0, m.MaxRepeats)
	for i := 1; i <= m.MaxRepeats; i++ {
		at := sent.Add(time.Duration(i) * m.Repeat)
		out = append(out, domain.Followup{At: at, Expires: at.Add(expiry[o.Kind])})
	}
	return out
}

// Snooze returns the sendings of o snoozed until at: once at at, and for a
// medication its repeats after that, until acknowledged.
func (p *Policy) Snooze(o domain.Occurrence, at time.Time) []domain.Followup {
	return append([]domain.Followup{{At: at, Expires: at.Add(expiry[o.Kind])}}, p.Repeats(o, at)...)
}

// CheckSnooze refuses a snooze outside [MinSnooze, MaxSnooze].
func CheckSnooze(d time.Duration) error {
	if d < MinSnooze || d > MaxSnooze {
		return fmt.Errorf("%w: snooze for between %s and %s, not %s", domain.ErrInvalid, Short(MinSnooze), Short(MaxSnooze), Short(d))
	}
	return nil
}

// CheckPause refuses a pause that does not end in the future, within
// MaxPause.
func CheckPause(now, until time.Time) error {
	if !until.After(now) {
		return fmt.Errorf("%w: a pause must end in the future", domain.ErrInvalid)
	}
	if until.Sub(now) > MaxPause {
		return fmt.Errorf("%w: a pause may last at most %d days", domain.ErrInvalid, int(MaxPause/(24*time.Hour)))
	}
	return nil
}

// Short formats a duration the way people write it: 10m, 1h30m, 24h, 30s.
func Short(d time.Duration) string {
	s := d.String()
	for _, suffix := range []string{"m0s", "h0m"} {
		if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
			s = s[:len(s)-len(suffix)+1]
		}
	}
	return s
}

// Hold is the verdict on a delivery about to be attempted.
type Hold struct {
	// Until, when after now, postpones the attempt until then.
	Until time.Time
	// Skip drops the delivery.
	Skip   bool
	Reason string
}

// HoldFor decides whether a pause holds delivery d at now. A first sending
// waits for the end of the pause; a repeat or snooze that falls in it is
// skipped. A reminder fired by hand is a test of the channels, so no pause
// holds it.
func HoldFor(d domain.Delivery, now time.Time, pause Pause) Hold {
	if d.Occurrence.IsManual() || !pause.Active(now) {
		return Hold{}
	}
	if d.Dispatch > 0 {
		return Hold{Skip: true, Reason: "paused"}
	}
	return Hold{Until: pause.Until, Reason: "paused"}
}

// AfterQuiet returns t, or the end of the quiet hours t falls in.
func (p *Policy) AfterQuiet(t time.Time) time.Time {
	pr := p.profile
	local := t.In(pr.Location)
	if !pr.Quiet.Contains(profile.NewClock(local.Hour(), local.Minute())) {
		return t
	}
	for day := 0; day < 2; day++ {
		end := plan.Resolve(pr.Location, local.Year(), local.Month(), local.Day()+day, pr.Quiet.To.Hour(), pr.Quiet.To.Minute(), 0)
		if end.After(t) {
			return end
		}
	}
	return t
}

// NudgeSendAt returns when a doctor nudge decided at now goes out: at once,
// or at the end of the quiet hours or the pause it falls in. Never at
// 3 a.m.
func (p *Policy) NudgeSendAt(now time.Time, pause Pause) time.Time {
	at := p.AfterQuiet(now)
	if pause.Active(at) {
		at = p.AfterQuiet(pause.Until)
	}
	return at
}

// NextClock returns the next instant after now at which the profile's wall
// clock reads c, for "pause --until 07:00".
func (p *Policy) NextClock(c profile.Clock, now time.Time) time.Time {
	local := now.In(p.profile.Location)
	for day := 0; ; day++ {
		t := plan.Resolve(local.Location(), local.Year(), local.Month(), local.Day()+day, c.Hour(), c.Minute(), 0)
		if t.After(now) {
			return t
		}
	}
}

// Doctor decides whether the journal calls for the doctor nudge at now,
// given the cramps logged within the profile's window (and any others:
// they are filtered here) and when the last real nudge was sent (zero for
// never).
func (p *Policy) Doctor(cramps []domain.Cramp, last, now time.Time) stats.Nudge {
	return stats.NudgeFor(cramps, p.profile.Doctor, last, now)
}

// NightLayout names a night by its evening's date.
const NightLayout = "2006-01-02"

// LastNight names the night before now: the one that began on the evening
// of the day before, which at breakfast is the night just slept and at
// 03:00 the night in progress.
func (p *Policy) LastNight(now time.Time) string {
	l := now.In(p.profile.Location)
	return time.Date(l.Year(), l.Month(), l.Day()-1, 0, 0, 0, 0, time.UTC).Format(NightLayout)
}

// NightBefore names the night a morning check-in at at asks about.
func (p *Policy) NightBefore(at time.Time) string { return p.LastNight(at) }

// Sleep returns the sleep window of the night that began on the evening of
// date (NightLayout): from the bed time of that evening (or of the small
// hours after it, for a bed time after midnight) to the wake time of the
// next morning, both in the profile's zone.
func (p *Policy) Sleep(date string) (bed, wake time.Time, err error) {
	d, err := time.Parse(NightLayout, date)
	if err != nil {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: night %q: want a date like 2027-06-01", domain.ErrInvalid, date)
	}
	s, loc := p.profile.Sleep, p.profile.Location
	wake = plan.Resolve(loc, d.Year(), d.Month(), d.Day()+1, s.Wake.Hour(), s.Wake.Minute(), 0)
	bedDay := d.Day()
	if s.BedAfterMidnight() {
		bedDay++
	}
	bed = plan.Resolve(loc, d.Year(), d.Month(), bedDay, s.Bed.Hour(), s.Bed.Minute(), 0)
	return bed, wake, nil
}
