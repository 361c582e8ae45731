package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// Verb names what a person did about a reminder.
type Verb string

// The verbs an Action may carry.
const (
	// VerbDone acknowledges a reminder: it is done, its repeats stop.
	VerbDone Verb = "done"
	// VerbSnooze sends it again after a while.
	VerbSnooze Verb = "snooze"
)

// Sources name the ways in.
const (
	SourceCLI     = "cli"
	SourceDesktop = "desktop"
)

// Action is one thing a person did about one reminder, from any way in. A
// source that can deliver the same action twice (a subscription seeing a
// message again, a button pressed twice) gives each action a Nonce:
// handling an action whose source and nonce were handled before is a
// no-op.
type Action struct {
	OccurrenceID string
	Verb         Verb
	Source       string
	Nonce        string
	// Snooze is how long a snooze lasts; zero means rules.ButtonSnooze.
	Snooze time.Duration
}

// ActionResult says what an Action did.
type ActionResult struct {
	Record domain.Record `json:"record"`
	// Until is when a snoozed reminder comes back.
	Until time.Time `json:"until,omitzero"`
	// NoOp, when set, says why the action changed nothing: handled
	// before, or the reminder expired or was already done.
	NoOp string `json:"no_op,omitempty"`
}

// Handle carries out an action. A button press (any source but the
// command line) on a reminder that expired or was already done changes
// nothing and is not an error; the command line is told why instead.
func (s *Service) Handle(ctx context.Context, a Action) (ActionResult, error) {
	if err := s.needDaemon(); err != nil {
		return ActionResult{}, err
	}
	var res ActionResult
	var err error
	switch a.Verb {
	case VerbDone:
		res, err = s.ack(ctx, a)
	case VerbSnooze:
		res, err = s.snooze(ctx, a)
	default:
		return res, fmt.Errorf("%w: unknown action %q", domain.ErrInvalid, a.Verb)
	}
	if errors.Is(err, store.ErrDuplicate) {
		s.log.Debug("action handled before; ignored", "source", a.Source, "verb", a.Verb, "id", a.OccurrenceID)
		return ActionResult{NoOp: "this action was handled before"}, nil
	}
	if err != nil && a.Source != SourceCLI && (errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrInvalid)) {
		s.log.Debug("button press had no effect", "source", a.Source, "verb", a.Verb, "id", a.OccurrenceID, "err", err)
		return ActionResult{NoOp: err.Error()}, nil
	}
	if err == nil {
		kind := EventAcked
		if a.Verb == VerbSnooze {
			kind = EventSnoozed
		}
		s.Publish(Event{Kind: kind, IDs: []string{res.Record.ID}})
	}
	return res, err
}

func mark(a Action) *store.Mark {
	if a.Nonce == "" {
		return nil
	}
	return &store.Mark{Source: a.Source, Nonce: a.Nonce, Verb: string(a.Verb), OccurrenceID: a.OccurrenceID}
}

// do runs fn in a transaction that first records the action's mark, so
// that the mark and the action's effect commit together.
func (s *Service) do(ctx context.Context, a Action, now time.Time, fn func(*store.Tx) error) error {
	return s.store.Do(ctx, func(tx *store.Tx) error {
		if m := mark(a); m != nil {
			if err := tx.Mark(*m, now); err != nil {
				return err
			}
		}
		return fn(tx)
	})
}

// Ack marks a reminder done and stops its repeats and snoozes. A reminder
// still to come (an id `next` listed) is recorded as done ahead, and does
// not fire: a dose taken early.
func (s *Service) Ack(ctx context.Context, id string) (domain.Record, error) {
	res, err := s.Handle(ctx, Action{OccurrenceID: id, Verb: VerbDone, Source: SourceCLI})
	return res.Record, err
}

// aheadWindow bounds how far ahead a reminder may be acknowledged.
const aheadWindow = 48 * time.Hour

func (s *Service) ack(ctx context.Context, a Action) (ActionResult, error) {
	now := s.clock.Now()
	policy := s.engine.Policy()
	var (
		rec       domain.Record
		cancelled []int64
	)
	err := s.do(ctx, a, now, func(tx *store.Tx) error {
		r, err := tx.Record(a.OccurrenceID)
		if errors.Is(err, domain.ErrNotFound) {
			return s.ackAhead(tx, a, now, &rec)
		}
		if err != nil {
			return err
		}
		if r.Status == domain.StatusAcked {
			if a.Source != SourceCLI {
				return fmt.Errorf("%w: %s is already done", domain.ErrInvalid, r.ID)
			}
			rec = r // acknowledging twice changes nothing
			return nil
		}
		if a.Source != SourceCLI && !now.Before(policy.ExpiresAt(r.Occurrence, r.At)) {
			return fmt.Errorf("%w: %s expired at %s", domain.ErrInvalid, r.ID, policy.ExpiresAt(r.Occurrence, r.At).Format(time.RFC3339))
		}
		rec, cancelled, err = tx.Ack(a.OccurrenceID, now)
		return err
	})
	if err != nil {
		return ActionResult{}, err
	}
	s.engine.Cancel(cancelled)
	s.log.Info("reminder acknowledged", "id", rec.ID, "kind", rec.Kind, "source", a.Source, "cancelled_deliveries", len(cancelled))
	return ActionResult{Record: rec}, nil
}

// ackAhead records a planned reminder that has not come due as done.
func (s *Service) ackAhead(tx *store.Tx, a Action, now time.Time, rec *domain.Record) error {
	o, ok := find(s.engine.Inputs().Build(now, now.Add(aheadWindow)), a.OccurrenceID)
	if !ok {
		return fmt.Errorf("%w: %s (ids come from `crampd next`, `crampd history` and the notifications)", domain.ErrNotFound, a.OccurrenceID)
	}
	if _, err := tx.AckAhead(o, now); err != nil {
		return err
	}
	r, err := tx.Record(o.ID)
	*rec = r
	return err
}

func find(occs []domain.Occurrence, id string) (domain.Occurrence, bool) {
	for _, o := range occs {
		if o.ID == id {
			return o, true
		}
	}
	return domain.Occurrence{}, false
}

// Snooze sends a reminder again after d (between rules.MinSnooze and
// rules.MaxSnooze), replacing its pending repeats; a medication keeps
// repeating after the snoozed sending until acknowledged.
func (s *Service) Snooze(ctx context.Context, id string, d time.Duration) (ActionResult, error) {
	if err := rules.CheckSnooze(d); err != nil {
		return ActionResult{}, err
	}
	return s.Handle(ctx, Action{OccurrenceID: id, Verb: VerbSnooze, Source: SourceCLI, Snooze: d})
}

func (s *Service) snooze(ctx context.Context, a Action) (ActionResult, error) {
	d := a.Snooze
	if d == 0 {
		d = rules.ButtonSnooze
	}
	if err := rules.CheckSnooze(d); err != nil {
		return ActionResult{}, err
	}
	now := s.clock.Now()
	policy := s.engine.Policy()
	at := now.Add(d)
	var (
		rec       domain.Record
		queued    []domain.Delivery
		cancelled []int64
	)
	err := s.do(ctx, a, now, func(tx *store.Tx) error {
		r, err := tx.Record(a.OccurrenceID)
		if err != nil {
			return err
		}
		switch {
		case r.Status == domain.StatusAcked:
			return fmt.Errorf("%w: %s is already done", domain.ErrInvalid, r.ID)
		case r.Status != domain.StatusFired:
			return fmt.Errorf("%w: %s was %s, not sent", domain.ErrInvalid, r.ID, r.Status)
		case a.Source != SourceCLI && !now.Before(policy.ExpiresAt(r.Occurrence, r.At)):
			return fmt.Errorf("%w: %s expired", domain.ErrInvalid, r.ID)
		}
		rec = r
		queued, cancelled, err = tx.QueueFollowups(r.ID, s.engine.Routes(r.Kind), policy.Snooze(r.Occurrence, at), true, now)
		return err
	})
	if err != nil {
		return ActionResult{}, err
	}
	s.engine.Cancel(cancelled)
	s.engine.Submit(queued)
	s.log.Info("reminder snoozed", "id", rec.ID, "source", a.Source, "until", at.Format(time.RFC3339))
	return ActionResult{Record: rec, Until: at.In(policy.Location())}, nil
}
