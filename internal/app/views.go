package app

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/stats"
)

// ReminderState is where one of the day's reminders stands, as a person
// sees it.
type ReminderState string

// The states of a day's reminder.
const (
	StateUpcoming ReminderState = "upcoming"
	StateSent     ReminderState = "sent"
	StateDone     ReminderState = "done"
	StateSnoozed  ReminderState = "snoozed"
	StateMissed   ReminderState = "missed"
	StateSkipped  ReminderState = "skipped"
)

// DayItem is one of the day's reminders and where it stands.
type DayItem struct {
	domain.Occurrence
	State ReminderState `json:"state"`
	// Reason says why a reminder was missed or skipped, or done ahead.
	Reason string `json:"reason,omitempty"`
	// Until is when a snoozed reminder comes back.
	Until time.Time `json:"until,omitzero"`
	// CanDone and CanSnooze say whether a Done or Snooze button press
	// would do something now.
	CanDone   bool `json:"can_done"`
	CanSnooze bool `json:"can_snooze"`
}

// Day is one calendar day's reminders in the profile's zone.
type Day struct {
	// Start and End bound the day; Now is when it was looked at.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	Now   time.Time `json:"now"`
	Zone  string    `json:"zone"`
	Items []DayItem `json:"items"`
	// PausedUntil is set while deliveries are paused.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// Online is false for a Service without a daemon: nothing can be
	// pressed.
	Online bool `json:"online"`
}

// Today returns today's reminders, planned and recorded, in time order,
// each with its state: upcoming, sent, done, snoozed, missed or skipped.
func (s *Service) Today(ctx context.Context) (Day, error) {
	policy, inputs, err := s.current()
	if err != nil {
		return Day{}, err
	}
	loc := policy.Location()
	now := s.clock.Now().In(loc)
	start := plan.Resolve(loc, now.Year(), now.Month(), now.Day(), 0, 0, 0)
	end := plan.Resolve(loc, now.Year(), now.Month(), now.Day()+1, 0, 0, 0)
	day := Day{Start: start, End: end, Now: now, Zone: loc.String(), Online: s.engine != nil}

	recs, err := s.store.History(ctx, start, end)
	if err != nil {
		return Day{}, err
	}
	snoozes, err := s.store.Snoozes(ctx, start, end)
	if err != nil {
		return Day{}, err
	}
	pause, err := s.pause(ctx)
	if err != nil {
		return Day{}, err
	}
	if pause.Active(now) {
		until := pause.Until.In(loc)
		day.PausedUntil = &until
	}
	seen := make(map[string]bool, len(recs))
	for _, r := range recs {
		seen[r.ID] = true
		it := DayItem{Occurrence: r.Occurrence, Reason: r.Reason}
		it.At = it.At.In(loc)
		expired := !now.Before(policy.ExpiresAt(r.Occurrence, r.At))
		switch r.Status {
		case domain.StatusAcked:
			it.State = StateDone
			if r.Reason != "acknowledged ahead" {
				it.Reason = ""
			}
		case domain.StatusMissed:
			it.State = StateMissed
		case domain.StatusSkipped:
			it.State = StateSkipped
		default:
			it.State = StateSent
			if until, ok := snoozes[r.ID]; ok {
				it.State, it.Until = StateSnoozed, until.In(loc)
			}
			it.CanDone, it.CanSnooze = day.Online && !expired, day.Online && !expired
		}
		day.Items = append(day.Items, it)
	}
	for _, o := range inputs.Build(start, end) {
		if seen[o.ID] {
			continue
		}
		it := DayItem{Occurrence: o, State: StateUpcoming}
		switch {
		case now.Sub(o.At) > policy.Grace(o.Kind):
			// Due long ago and never recorded: crampd was not running
			// then, or the profile changed since.
			it.State, it.Reason = StateMissed, "crampd was not running"
		case o.At.After(now):
			// A dose taken early is marked done ahead.
			it.CanDone = day.Online
		}
		day.Items = append(day.Items, it)
	}
	slices.SortStableFunc(day.Items, func(a, b DayItem) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind.Order(), b.Kind.Order()), cmp.Compare(a.Rule, b.Rule))
	})
	return day, nil
}

// pause returns the pause in force: the daemon's, or the stored one.
func (s *Service) pause(ctx context.Context) (rules.Pause, error) {
	if s.engine != nil {
		return s.engine.Pause(), nil
	}
	until, _, err := s.store.PauseUntil(ctx)
	return rules.Pause{Until: until}, err
}

// Trends sets the weeks side by side: cramps per week, cramp nights after
// an acknowledged stretch beside the other nights (plain counts, no
// causal claim), and reminders acknowledged per kind.
type Trends struct {
	Weeks int       `json:"weeks"`
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	// PerWeek counts cramps per week, oldest first; the last week ends
	// now.
	PerWeek     []stats.Week       `json:"per_week"`
	Cramps      int                `json:"cramps"`
	CrampNights int                `json:"cramp_nights"`
	Nights      int                `json:"nights"`
	Stretch     stats.StretchNight `json:"stretch"`
	Adherence   []stats.Adherence  `json:"adherence"`
}

// MaxWeeks is the longest span Trends and Report cover.
const MaxWeeks = 104

func checkWeeks(weeks int) error {
	if weeks < 1 || weeks > MaxWeeks {
		return fmt.Errorf("%w: weeks must be between 1 and %d, not %d", domain.ErrInvalid, MaxWeeks, weeks)
	}
	return nil
}

// Trends summarises the last weeks weeks (1 to MaxWeeks).
func (s *Service) Trends(ctx context.Context, weeks int) (Trends, error) {
	if err := checkWeeks(weeks); err != nil {
		return Trends{}, err
	}
	st, err := s.Stats(ctx, weeks*7)
	if err != nil {
		return Trends{}, err
	}
	return trendsOf(st, weeks, s.Location()), nil
}

func trendsOf(st stats.Stats, weeks int, loc *time.Location) Trends {
	t := Trends{
		Weeks: weeks, From: st.From.In(loc), To: st.To.In(loc),
		Cramps: st.Cramps, CrampNights: st.CrampNights, Nights: st.Nights,
		Stretch: st.Stretch, Adherence: st.Adherence,
	}
	for i := len(st.Weeks) - 1; i >= 0; i-- {
		w := st.Weeks[i]
		w.Start = w.Start.In(loc)
		t.PerWeek = append(t.PerWeek, w)
	}
	return t
}

// Count is how many journal entries have one value of a field.
type Count struct {
	Label string `json:"label"`
	N     int    `json:"n"`
}

// ReportMedication is a medication in the profile, for the doctor.
type ReportMedication struct {
	Name  string   `json:"name"`
	Times []string `json:"times"`
	Days  string   `json:"days"`
	// Lowers lists the minerals the person noted it may lower.
	Lowers []string `json:"lowers,omitempty"`
}

// Report is a summary of a span of weeks to take to a doctor.
type Report struct {
	Generated time.Time `json:"generated"`
	Zone      string    `json:"zone"`
	Trends
	// Severities counts cramps by severity, 1 to 10, then those logged
	// without one; Symptoms, Muscles and Legs count what was given.
	Severities []Count `json:"severities"`
	Symptoms   []Count `json:"symptoms"`
	Muscles    []Count `json:"muscles"`
	Legs       []Count `json:"legs"`
	// Medications are those in the profile.
	Medications []ReportMedication `json:"medications"`
	// Journal is every cramp of the span, oldest first.
	Journal []domain.Cramp `json:"journal"`
	// Doctor, MedicationsNote and Disclaimer are the article's words.
	Doctor          string `json:"doctor"`
	MedicationsNote string `json:"medications_note"`
	Disclaimer      string `json:"disclaimer"`
}

// Report summarises the last weeks weeks (1 to MaxWeeks) for a doctor:
// cramps, nights, severities and symptoms, the medications in the profile
// and what they may lower, adherence to stretch and hydration reminders,
// and the journal itself. It works with or without a daemon.
func (s *Service) Report(ctx context.Context, weeks int) (Report, error) {
	if err := checkWeeks(weeks); err != nil {
		return Report{}, err
	}
	policy, _, err := s.current()
	if err != nil {
		return Report{}, err
	}
	loc := policy.Location()
	now := s.clock.Now()
	st, err := s.Stats(ctx, weeks*7)
	if err != nil {
		return Report{}, err
	}
	r := Report{
		Generated: now.In(loc), Zone: loc.String(), Trends: trendsOf(st, weeks, loc),
		Doctor: advice.SeeADoctor, MedicationsNote: advice.MedicationsNote, Disclaimer: advice.Disclaimer,
	}
	// Adherence to the two habits the article names for prevention,
	// shown even when none was sent.
	r.Adherence = nil
	for _, k := range []domain.Kind{domain.KindStretch, domain.KindHydration} {
		a := stats.Adherence{Kind: k}
		for _, x := range st.Adherence {
			if x.Kind == k {
				a = x
			}
		}
		r.Adherence = append(r.Adherence, a)
	}
	cramps, err := s.store.Cramps(ctx, st.From, now.Add(time.Nanosecond))
	if err != nil {
		return Report{}, err
	}
	sev := make([]int, 11)
	symptoms, muscles, legs := map[string]int{}, map[string]int{}, map[string]int{}
	for _, c := range cramps {
		c.At = c.At.In(loc)
		r.Journal = append(r.Journal, c)
		sev[c.Severity]++
		for _, sy := range c.Symptoms {
			symptoms[sy]++
		}
		if c.Muscle != "" {
			muscles[c.Muscle]++
		}
		if c.Leg != "" {
			legs[c.Leg]++
		}
	}
	for i := 1; i <= 10; i++ {
		r.Severities = append(r.Severities, Count{Label: strconv.Itoa(i), N: sev[i]})
	}
	r.Severities = append(r.Severities, Count{Label: "not given", N: sev[0]})
	r.Symptoms = counts(domain.Symptoms, symptoms)
	r.Muscles = counts(domain.Muscles, muscles)
	r.Legs = counts(domain.Legs, legs)
	for _, m := range policy.Profile().Medications {
		rm := ReportMedication{Name: m.Name, Days: DaysText(m.Days)}
		for _, c := range m.Times {
			rm.Times = append(rm.Times, c.String())
		}
		for _, l := range m.Lowers {
			rm.Lowers = append(rm.Lowers, string(l))
		}
		r.Medications = append(r.Medications, rm)
	}
	return r, nil
}

// counts lists every value of a field in order, with how often it came.
func counts(values []string, n map[string]int) []Count {
	out := make([]Count, len(values))
	for i, v := range values {
		out[i] = Count{Label: v, N: n[v]}
	}
	return out
}

// In returns the report with every time in loc. One that came over the
// control socket carries UTC offsets but not the zone's name, which the
// report shows.
func (r Report) In(loc *time.Location) Report {
	r.Generated, r.From, r.To = r.Generated.In(loc), r.From.In(loc), r.To.In(loc)
	r.PerWeek = slices.Clone(r.PerWeek)
	for i := range r.PerWeek {
		r.PerWeek[i].Start = r.PerWeek[i].Start.In(loc)
	}
	r.Journal = slices.Clone(r.Journal)
	for i := range r.Journal {
		r.Journal[i].At = r.Journal[i].At.In(loc)
	}
	return r
}
