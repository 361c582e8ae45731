package app

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// Journal limits.
const (
	// maxCrampAge is how far back a cramp may be logged.
	maxCrampAge = 366 * 24 * time.Hour
	// crampSkew is how far ahead of the clock a cramp may be logged, for
	// clocks that differ a little.
	crampSkew = time.Minute
)

// NudgeResult says whether logging a cramp sent the doctor nudge, and if
// not although the journal calls for one, why.
type NudgeResult struct {
	// Sent is the nudge recorded now, and SendAt when it goes out (later
	// than now in quiet hours or a pause: never at night).
	Sent   *domain.Occurrence `json:"sent,omitempty"`
	SendAt time.Time          `json:"send_at,omitzero"`
	// Reason says why the journal calls for a doctor; empty when it does
	// not.
	Reason string `json:"reason,omitempty"`
	// LastSent and NextAllowed are set when a nudge within the cooldown
	// holds this one back.
	LastSent    time.Time `json:"last_sent,omitzero"`
	NextAllowed time.Time `json:"next_allowed,omitzero"`
	// Deferred is set when no daemon ran: it checks the journal when it
	// next starts.
	Deferred bool `json:"deferred,omitempty"`
}

// Message says in a sentence what became of the nudge, with times in loc;
// empty when there is nothing to say.
func (n NudgeResult) Message(loc *time.Location) string {
	const layout = "Mon 2006-01-02 15:04 MST"
	switch {
	case n.Deferred:
		return "crampd is not running: it checks the journal for a doctor reminder when it next starts."
	case n.Sent != nil && n.SendAt.After(n.Sent.At):
		return fmt.Sprintf("A doctor reminder goes out at %s, after quiet hours or the pause.", n.SendAt.In(loc).Format(layout))
	case n.Sent != nil:
		return "A doctor reminder was sent."
	case n.Reason != "" && !n.LastSent.IsZero():
		return fmt.Sprintf("%s A doctor reminder already went out at %s; crampd sends at most one within %s, so the next may go out from %s.",
			n.Reason, n.LastSent.In(loc).Format(layout), rules.Short(n.NextAllowed.Sub(n.LastSent)), n.NextAllowed.In(loc).Format(layout))
	}
	return ""
}

// CrampResult is a logged cramp and what became of the doctor nudge.
type CrampResult struct {
	Cramp domain.Cramp `json:"cramp"`
	Nudge NudgeResult  `json:"nudge"`
}

// LogCramp adds a cramp to the journal (its time defaults to now) and, when
// the journal then calls for it, sends the "see a doctor" nudge in the same
// transaction. Without a daemon the cramp is written and the daemon checks
// the journal when it next starts.
func (s *Service) LogCramp(ctx context.Context, c domain.Cramp) (CrampResult, error) {
	now := s.clock.Now()
	c, err := cleanCramp(c, now)
	if err != nil {
		return CrampResult{}, err
	}
	var (
		res CrampResult
		ds  []domain.Delivery
	)
	err = s.store.Do(ctx, func(tx *store.Tx) (err error) {
		c.Weather = s.crampWeather(tx, c.At)
		if res.Cramp, err = tx.AddCramp(c, now); err != nil {
			return err
		}
		if s.engine == nil {
			res.Nudge.Deferred = true
			return nil
		}
		res.Nudge, ds, err = s.nudge(tx, now)
		return err
	})
	if err != nil {
		return CrampResult{}, err
	}
	s.log.Info("cramp logged", "cramp_id", res.Cramp.ID, "severity", res.Cramp.Severity)
	s.sendNudge(res.Nudge, ds)
	s.Publish(Event{Kind: EventCramp})
	res.Cramp.At = res.Cramp.At.In(s.Location())
	return res, nil
}

// CheckJournal sends the doctor nudge if the journal calls for it: the
// daemon runs it at start, for cramps logged while it was not running.
func (s *Service) CheckJournal(ctx context.Context) (NudgeResult, error) {
	if err := s.needDaemon(); err != nil {
		return NudgeResult{}, err
	}
	now := s.clock.Now()
	var (
		n  NudgeResult
		ds []domain.Delivery
	)
	err := s.store.Do(ctx, func(tx *store.Tx) (err error) {
		n, ds, err = s.nudge(tx, now)
		return err
	})
	if err != nil {
		return n, err
	}
	s.sendNudge(n, ds)
	return n, nil
}

// nudge decides, inside the transaction that logged a cramp, whether the
// journal calls for the doctor nudge, and records it if so. The cooldown
// is read in the same transaction: two cramps logged at once cannot both
// send one.
func (s *Service) nudge(tx *store.Tx, now time.Time) (NudgeResult, []domain.Delivery, error) {
	policy := s.engine.Policy()
	cfg := policy.Profile().Doctor
	if !cfg.Enabled {
		return NudgeResult{}, nil, nil
	}
	cramps, err := tx.Cramps(now.Add(-cfg.Within), now.Add(crampSkew))
	if err != nil {
		return NudgeResult{}, nil, err
	}
	last, _, err := tx.LastNudge()
	if err != nil {
		return NudgeResult{}, nil, err
	}
	d := policy.Doctor(cramps, last, now)
	res := NudgeResult{Reason: d.Reason, LastSent: d.Last, NextAllowed: d.NextAllowed}
	if !d.Send {
		return res, nil, nil
	}
	t := advice.Doctor(d.Reason)
	o := domain.Occurrence{Kind: domain.KindDoctor, Rule: "doctor", At: now.In(policy.Location()), Title: t.Title, Body: t.Body, Why: t.Why}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	sendAt := policy.NudgeSendAt(now, s.engine.Pause())
	ds, err := tx.RecordFired(now, []store.Due{{
		Occurrence: o, Channels: s.engine.Routes(o.Kind), SendAt: sendAt, Expires: sendAt.Add(rules.Expiry(o.Kind)),
	}})
	if err != nil {
		return res, nil, err
	}
	res.Sent, res.SendAt = &o, sendAt.In(policy.Location())
	return res, ds, nil
}

func (s *Service) sendNudge(n NudgeResult, ds []domain.Delivery) {
	switch {
	case n.Sent != nil:
		s.engine.Submit(ds)
		s.Publish(Event{Kind: EventFired, IDs: []string{n.Sent.ID}})
		s.log.Info("doctor nudge", "id", n.Sent.ID, "reason", n.Reason, "send_at", n.SendAt.Format(time.RFC3339))
	case n.Reason != "" && !n.LastSent.IsZero():
		s.log.Info("doctor nudge held back: one was sent within its cooldown", "reason", n.Reason,
			"last", n.LastSent.Format(time.RFC3339), "next_allowed", n.NextAllowed.Format(time.RFC3339))
	}
}

// cleanCramp fills in a cramp's time, strips control characters from its
// note (they would reach terminals and pages), and checks it.
func cleanCramp(c domain.Cramp, now time.Time) (domain.Cramp, error) {
	if c.At.IsZero() {
		c.At = now
	}
	switch {
	case c.At.After(now.Add(crampSkew)):
		return c, fmt.Errorf("%w: a cramp cannot be logged in the future (%s is after now)", domain.ErrInvalid, c.At.Format(time.RFC3339))
	case c.At.Before(now.Add(-maxCrampAge)):
		return c, fmt.Errorf("%w: a cramp can be logged up to a year back, not at %s", domain.ErrInvalid, c.At.Format(time.RFC3339))
	}
	c.Note = domain.StripControl(c.Note)
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("%w: %w", domain.ErrInvalid, err)
	}
	return c, nil
}

// History returns the reminders of the last days days (1 to 366), newest
// first.
func (s *Service) History(ctx context.Context, days int) ([]domain.Record, error) {
	if err := checkDays(days, 366); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	recs, err := s.store.History(ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond))
	loc := s.Location()
	for i := range recs {
		recs[i].At = recs[i].At.In(loc)
	}
	return recs, err
}

// Cramps returns the journal entries of the last days days (1 to 3660),
// oldest first.
func (s *Service) Cramps(ctx context.Context, days int) ([]domain.Cramp, error) {
	if err := checkDays(days, 3660); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	cs, err := s.store.Cramps(ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond))
	loc := s.Location()
	for i := range cs {
		cs[i].At = cs[i].At.In(loc)
	}
	return cs, err
}

// Stats summarises the last days days (1 to 3660).
func (s *Service) Stats(ctx context.Context, days int) (stats.Stats, error) {
	if err := checkDays(days, 3660); err != nil {
		return stats.Stats{}, err
	}
	policy, _, err := s.current()
	if err != nil {
		return stats.Stats{}, err
	}
	now := s.clock.Now()
	cf, ct := stats.CrampWindow(now, days)
	// The log is counted over exactly the days asked for, by the store.
	c, err := s.store.Count(ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond), domain.KindStretch)
	if err != nil {
		return stats.Stats{}, err
	}
	cramps, err := s.store.Cramps(ctx, cf, ct)
	if err != nil {
		return stats.Stats{}, err
	}
	first, last := stats.NightRange(now, days, policy.Location())
	nights, err := s.store.Nights(ctx, first, last)
	if err != nil {
		return stats.Stats{}, err
	}
	t := stats.Tally{Sent: c.Sent, Acked: c.Acked, StretchAcked: c.AckedAt}
	st := stats.FromTally(t, cramps, policy.Location(), now, days)
	st.Answers = stats.CountAnswers(nights, cramps, policy.Location(), now, days)
	// The days the window's nights follow, from a day before it.
	hours, err := s.store.Forecast(ctx, cf.AddDate(0, 0, -1), ct)
	if err != nil {
		return stats.Stats{}, err
	}
	if len(hours) > 0 {
		hot := stats.Heat(hours, cramps, policy.Location(), now, days)
		st.Heat = &hot
	}
	return st, nil
}

// crampWeather reads, in the transaction logging a cramp at at, the stored
// forecast for its hour and for the day it followed. A cramp is logged
// whatever happens to the forecast: without one, it has no weather.
func (s *Service) crampWeather(tx *store.Tx, at time.Time) *domain.Weather {
	loc := s.Location()
	day, err := time.ParseInLocation(time.DateOnly, stats.HeatDay(at, loc), loc)
	if err != nil {
		return nil
	}
	dayStart := plan.Resolve(loc, day.Year(), day.Month(), day.Day(), 0, 0, 0)
	dayEnd := plan.Resolve(loc, day.Year(), day.Month(), day.Day()+1, 0, 0, 0)
	// The cramp falls on the day or in the night after it.
	to := dayEnd
	if end := at.Add(time.Hour); end.After(to) {
		to = end
	}
	hours, err := tx.Forecast(dayStart.Add(-time.Hour), to)
	if err != nil {
		s.log.Warn("cannot read the stored forecast for a cramp; logging it without the weather", "err", err)
		return nil
	}
	h, ok := plan.NewForecast(hours).At(at)
	if !ok {
		return nil
	}
	w := &domain.Weather{TempC: h.TempC, Humidity: h.Humidity, HeatIndexF: heat.IndexC(h.TempC, h.Humidity)}
	if m, ok := stats.DayMaxHeat(hours, loc)[day.Format(time.DateOnly)]; ok {
		w.DayMaxHeatIndexF = &m
	}
	return w
}

// Nights returns the morning check-in's answers for the nights of the last
// days days (1 to 3660), newest first.
func (s *Service) Nights(ctx context.Context, days int) ([]domain.Night, error) {
	if err := checkDays(days, 3660); err != nil {
		return nil, err
	}
	loc := s.Location()
	first, last := stats.NightRange(s.clock.Now(), days, loc)
	nights, err := s.store.Nights(ctx, first, last)
	for i := range nights {
		nights[i].AnsweredAt = nights[i].AnsweredAt.In(loc)
	}
	slices.Reverse(nights)
	return nights, err
}
