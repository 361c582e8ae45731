package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// CheckinRequest answers the morning check-in without its buttons (from a
// terminal).
type CheckinRequest struct {
	Answer domain.Answer `json:"answer"`
	// Night names the night by its evening's date (YYYY-MM-DD, in the
	// profile's zone); empty means last night.
	Night string `json:"night,omitempty"`
}

// CheckinResult says what an answer to the check-in recorded.
type CheckinResult struct {
	Night domain.Night `json:"night"`
	// Unchanged is set when the night already had this answer: nothing
	// was written.
	Unchanged bool `json:"unchanged,omitempty"`
	// Replaced is the night's earlier answer, when this one changed it.
	Replaced domain.Answer `json:"replaced,omitempty"`
	// Cramp is the journal entry the answer logged or changed, or, when
	// the journal already had a cramp in that night (Existing), that one.
	Cramp    *domain.Cramp `json:"cramp,omitempty"`
	Existing bool          `json:"existing,omitempty"`
	// Removed is the entry an earlier answer logged, removed because the
	// night had no cramp after all.
	Removed int64       `json:"removed,omitempty"`
	Nudge   NudgeResult `json:"nudge"`
}

// Checkin records the answer to "How was your night?" for a night, last
// night by default: a night without cramps as such, so that stats can tell
// it from a night with no answer; a cramp logged at the middle of the sleep
// window (or now, in a night still going on), marked as from the
// check-in, with severity 8 when severe, so that the doctor nudge weighs it
// as it would `cramp log --severity 8`. A later answer replaces an earlier
// one for the same night, and the same answer twice changes nothing. The
// morning's check-in reminder, when it was sent, is marked done. Without a
// daemon the answer is written and the daemon checks the journal for a
// doctor nudge when it next starts.
func (s *Service) Checkin(ctx context.Context, req CheckinRequest) (CheckinResult, error) {
	policy, inputs, err := s.current()
	if err != nil {
		return CheckinResult{}, err
	}
	if _, err := domain.ParseAnswer(string(req.Answer)); err != nil {
		return CheckinResult{}, fmt.Errorf("%w: %w", domain.ErrInvalid, err)
	}
	now := s.clock.Now()
	night := req.Night
	if night == "" {
		night = policy.LastNight(now)
	}
	var (
		res       CheckinResult
		ds        []domain.Delivery
		cancelled []int64
	)
	err = s.store.Do(ctx, func(tx *store.Tx) (err error) {
		if res, ds, err = s.recordNight(tx, policy, night, req.Answer, SourceCLI, now); err != nil {
			return err
		}
		// The morning's check-in reminder asks about this night; the
		// question is answered.
		o, ok := checkinAfter(inputs, policy, night)
		if !ok {
			return nil
		}
		switch r, err := tx.Record(o.ID); {
		case errors.Is(err, domain.ErrNotFound):
			return nil
		case err != nil:
			return err
		case r.Status == domain.StatusFired:
			_, cancelled, err = tx.Ack(o.ID, now)
			return err
		}
		return nil
	})
	if err != nil {
		return CheckinResult{}, err
	}
	if s.engine != nil {
		s.engine.Cancel(cancelled)
		s.sendNudge(res.Nudge, ds)
	}
	s.logNight(res, SourceCLI)
	return s.localNight(res), nil
}

// checkinAfter returns the check-in reminder the plan puts on the morning
// after night.
func checkinAfter(inputs plan.Inputs, policy *rules.Policy, night string) (domain.Occurrence, bool) {
	_, wake, err := policy.Sleep(night)
	if err != nil {
		return domain.Occurrence{}, false
	}
	l := wake.In(policy.Location())
	day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, l.Location())
	for _, o := range inputs.Build(day, day.AddDate(0, 0, 1)) {
		if o.Kind == domain.KindCheckin {
			return o, true
		}
	}
	return domain.Occurrence{}, false
}

// answer carries out a check-in button: the answer goes into the journal
// and the check-in is marked done, in one transaction with the action's
// mark.
func (s *Service) answer(ctx context.Context, a Action) (ActionResult, error) {
	now := s.clock.Now()
	policy := s.engine.Policy()
	var (
		res       ActionResult
		ci        CheckinResult
		ds        []domain.Delivery
		cancelled []int64
	)
	err := s.do(ctx, a, now, func(tx *store.Tx) error {
		r, err := tx.Record(a.OccurrenceID)
		if err != nil {
			return err
		}
		switch {
		case r.Kind != domain.KindCheckin:
			return fmt.Errorf("%w: %s is not a check-in", domain.ErrInvalid, r.ID)
		case r.Status != domain.StatusFired && r.Status != domain.StatusAcked:
			return fmt.Errorf("%w: %s was %s, not sent", domain.ErrInvalid, r.ID, r.Status)
		case a.Source != SourceCLI && !now.Before(policy.ExpiresAt(r.Occurrence, r.At)):
			return fmt.Errorf("%w: %s expired", domain.ErrInvalid, r.ID)
		}
		if ci, ds, err = s.recordNight(tx, policy, policy.NightBefore(r.At), domain.Answer(a.Verb), a.Source, now); err != nil {
			return err
		}
		if r.Status == domain.StatusAcked {
			res.Record = r
			return nil
		}
		res.Record, cancelled, err = tx.Ack(r.ID, now)
		return err
	})
	if err != nil {
		return ActionResult{}, err
	}
	s.engine.Cancel(cancelled)
	s.sendNudge(ci.Nudge, ds)
	s.logNight(ci, a.Source)
	ci = s.localNight(ci)
	res.Checkin = &ci
	if ci.Unchanged {
		res.NoOp = fmt.Sprintf("the night of %s is already recorded as %s", ci.Night.Date, ci.Night.Answer)
	}
	return res, nil
}

// recordNight writes a night's answer, and the cramp it logs, inside the
// transaction of the action or command that gave it; with a daemon it also
// decides the doctor nudge there, as LogCramp does.
func (s *Service) recordNight(tx *store.Tx, policy *rules.Policy, night string, answer domain.Answer, source string, now time.Time) (CheckinResult, []domain.Delivery, error) {
	bed, wake, err := policy.Sleep(night)
	if err != nil {
		return CheckinResult{}, nil, err
	}
	switch {
	case !bed.Before(now):
		return CheckinResult{}, nil, fmt.Errorf("%w: the night of %s has not begun (bed time %s)", domain.ErrInvalid, night, bed.Format(time.RFC3339))
	case wake.Before(now.Add(-maxCrampAge)):
		return CheckinResult{}, nil, fmt.Errorf("%w: a night can be recorded up to a year back, not %s", domain.ErrInvalid, night)
	}
	old, had, err := tx.Night(night)
	if err != nil {
		return CheckinResult{}, nil, err
	}
	res := CheckinResult{Night: domain.Night{Date: night, Answer: answer, CrampID: old.CrampID, Source: source, AnsweredAt: now}}
	if had && old.Answer == answer {
		res.Night, res.Unchanged = old, true
		return res, nil, nil
	}
	if had {
		res.Replaced = old.Answer
	}
	if answer.Cramped() {
		if err := s.logNightCramp(tx, &res, bed, wake, now); err != nil {
			return res, nil, err
		}
	} else if old.CrampID != 0 {
		if err := tx.DeleteCramp(old.CrampID); err != nil {
			return res, nil, err
		}
		res.Removed, res.Night.CrampID = old.CrampID, 0
	}
	if err := tx.SetNight(res.Night); err != nil {
		return res, nil, err
	}
	if !answer.Cramped() || res.Existing {
		return res, nil, nil
	}
	if s.engine == nil {
		res.Nudge.Deferred = true
		return res, nil, nil
	}
	var ds []domain.Delivery
	res.Nudge, ds, err = s.nudge(tx, now)
	return res, ds, err
}

// logNightCramp logs the cramp of a night answered "cramp" or "severe":
// it changes the severity of the entry an earlier answer logged; or, when
// the journal already holds a cramp in the sleep window that says as much
// (any cramp for "cramp", one of severity 8 or more for "severe"), it logs
// none, so that one cramp is not counted twice toward the doctor nudge;
// otherwise it logs one at the middle of the sleep window.
func (s *Service) logNightCramp(tx *store.Tx, res *CheckinResult, bed, wake, now time.Time) error {
	severity := 0
	if res.Night.Answer == domain.AnswerSevere {
		severity = domain.SevereSeverity
	}
	cramps, err := tx.Cramps(bed, wake.Add(time.Nanosecond))
	if err != nil {
		return err
	}
	for i, c := range cramps {
		if c.ID == res.Night.CrampID {
			if err := tx.SetCrampSeverity(c.ID, severity); err != nil {
				return err
			}
			cramps[i].Severity = severity
			res.Cramp = &cramps[i]
			return nil
		}
	}
	for i, c := range cramps {
		if c.Source != domain.SourceCheckin && (severity == 0 || c.Severity >= severity) {
			res.Cramp, res.Existing, res.Night.CrampID = &cramps[i], true, 0
			return nil
		}
	}
	at := bed.Add(wake.Sub(bed) / 2)
	if at.After(now) {
		at = now // a night still going on
	}
	c, err := cleanCramp(domain.Cramp{At: at, Severity: severity, Source: domain.SourceCheckin}, now)
	if err != nil {
		return err
	}
	if c, err = tx.AddCramp(c, now); err != nil {
		return err
	}
	res.Cramp, res.Night.CrampID = &c, c.ID
	return nil
}

func (s *Service) logNight(res CheckinResult, source string) {
	if res.Unchanged {
		s.log.Debug("night already recorded", "night", res.Night.Date, "answer", res.Night.Answer, "source", source)
		return
	}
	args := []any{"night", res.Night.Date, "answer", res.Night.Answer, "source", source}
	if res.Replaced != "" {
		args = append(args, "replaced", res.Replaced)
	}
	if res.Night.CrampID != 0 {
		args = append(args, "cramp_id", res.Night.CrampID)
	}
	s.log.Info("night recorded", args...)
}

// localNight shows a result's times in the profile's zone.
func (s *Service) localNight(res CheckinResult) CheckinResult {
	loc := s.Location()
	res.Night.AnsweredAt = res.Night.AnsweredAt.In(loc)
	if res.Cramp != nil {
		c := *res.Cramp
		c.At = c.At.In(loc)
		res.Cramp = &c
	}
	return res
}
