package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
	// VerbSkip passes on a reminder: its repeats stop, and it does not
	// count as done (a dose not taken).
	VerbSkip Verb = "skip"
	// VerbNone, VerbCramp and VerbSevere answer the morning check-in; the
	// answer goes into the journal (see Checkin).
	VerbNone   Verb = Verb(domain.AnswerNone)
	VerbCramp  Verb = Verb(domain.AnswerCramp)
	VerbSevere Verb = Verb(domain.AnswerSevere)
)

// Sources name the ways in.
const (
	SourceCLI     = "cli"
	SourceDesktop = "desktop"
	SourceNtfy    = "ntfy"
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
	// Cursor, when set, is the source's new place in its stream of
	// actions, written with the action's effect (or alone, when the
	// action turns out to change nothing), so that a source resuming from
	// it neither repeats nor loses an action.
	Cursor *Cursor
}

// Cursor is a way in's place in a stream of actions it reads (the last
// message a reply subscription handled), kept in the state database.
type Cursor struct {
	// Key names the stream; it starts with CursorPrefix.
	Key   string
	Value string
}

// CursorPrefix starts every cursor's key, so that a cursor can never
// overwrite other state.
const CursorPrefix = "cursor/"

func (c Cursor) check() error {
	if !strings.HasPrefix(c.Key, CursorPrefix) || len(c.Key) == len(CursorPrefix) {
		return fmt.Errorf("%w: a cursor's key must start with %q, not %q", domain.ErrInvalid, CursorPrefix, c.Key)
	}
	return nil
}

// ActionResult says what an Action did.
type ActionResult struct {
	Record domain.Record `json:"record"`
	// Until is when a snoozed reminder comes back.
	Until time.Time `json:"until,omitzero"`
	// Checkin is what a check-in answer recorded.
	Checkin *CheckinResult `json:"checkin,omitempty"`
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
	if a.Cursor != nil {
		if err := a.Cursor.check(); err != nil {
			return ActionResult{}, err
		}
	}
	var res ActionResult
	var err error
	switch a.Verb {
	case VerbDone:
		res, err = s.ack(ctx, a)
	case VerbSnooze:
		res, err = s.snooze(ctx, a)
	case VerbSkip:
		res, err = s.skip(ctx, a)
	case VerbNone, VerbCramp, VerbSevere:
		res, err = s.answer(ctx, a)
	default:
		err = fmt.Errorf("%w: unknown action %q", domain.ErrInvalid, a.Verb)
	}
	switch {
	case errors.Is(err, store.ErrDuplicate):
		s.log.Debug("action handled before; ignored", "source", a.Source, "verb", a.Verb, "id", a.OccurrenceID)
		res, err = ActionResult{NoOp: "this action was handled before"}, nil
	case err != nil && a.Source != SourceCLI && (errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrInvalid)):
		s.log.Debug("button press had no effect", "source", a.Source, "verb", a.Verb, "id", a.OccurrenceID, "err", err)
		res, err = ActionResult{NoOp: err.Error()}, nil
	}
	if err == nil && res.NoOp != "" && a.Cursor != nil {
		// The action changed nothing, so its transaction wrote nothing:
		// the source has still handled it and moves on.
		if cerr := s.MoveCursor(ctx, *a.Cursor); cerr != nil {
			return res, cerr
		}
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

// MoveCursor records a way in's new place in its stream of actions, for a
// message that carried no action (one refused as forged, say). Its key must
// start with CursorPrefix.
func (s *Service) MoveCursor(ctx context.Context, c Cursor) error {
	if err := c.check(); err != nil {
		return err
	}
	return s.store.Do(ctx, func(tx *store.Tx) error { return tx.SetMeta(c.Key, c.Value) })
}

// Cursor returns a way in's place in its stream of actions, or "" when it
// has none yet.
func (s *Service) Cursor(ctx context.Context, key string) (string, error) {
	if err := (Cursor{Key: key}).check(); err != nil {
		return "", err
	}
	v, _, err := s.store.Meta(ctx, key)
	return v, err
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
		if c := a.Cursor; c != nil {
			if err := tx.SetMeta(c.Key, c.Value); err != nil {
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
		if err := fresh(a, policy, r, now); err != nil {
			return err
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
		r, err := sent(tx, a, policy, now)
		if err != nil {
			return err
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

// skip passes on a sent reminder (a dose not taken): its waiting repeats,
// snoozes and retries are cancelled, and it is recorded as skipped by the
// person, which stats count as sent and not done.
func (s *Service) skip(ctx context.Context, a Action) (ActionResult, error) {
	now := s.clock.Now()
	policy := s.engine.Policy()
	var (
		rec       domain.Record
		cancelled []int64
	)
	err := s.do(ctx, a, now, func(tx *store.Tx) error {
		r, err := sent(tx, a, policy, now)
		if err != nil {
			return err
		}
		if r.Kind == domain.KindCheckin {
			return fmt.Errorf("%w: %s is a check-in: answer it", domain.ErrInvalid, r.ID)
		}
		rec, cancelled, err = tx.Skip(a.OccurrenceID, now)
		return err
	})
	if err != nil {
		return ActionResult{}, err
	}
	s.engine.Cancel(cancelled)
	s.log.Info("reminder skipped", "id", rec.ID, "kind", rec.Kind, "source", a.Source, "cancelled_deliveries", len(cancelled))
	return ActionResult{Record: rec}, nil
}

// sent reads the reminder an action is about, inside its transaction, and
// refuses one that is done or was never sent, and, from a button, one that
// has expired: an old notification's button must not act on it.
func sent(tx *store.Tx, a Action, policy *rules.Policy, now time.Time) (domain.Record, error) {
	r, err := tx.Record(a.OccurrenceID)
	if err != nil {
		return r, err
	}
	switch {
	case r.Status == domain.StatusAcked:
		return r, fmt.Errorf("%w: %s is already done", domain.ErrInvalid, r.ID)
	case r.Status != domain.StatusFired:
		return r, fmt.Errorf("%w: %s was %s, not sent", domain.ErrInvalid, r.ID, r.Status)
	}
	return r, fresh(a, policy, r, now)
}

// fresh refuses an action from a button (any source but the command line)
// on a reminder past its expiry: an old notification's button must not act
// on it.
func fresh(a Action, policy *rules.Policy, r domain.Record, now time.Time) error {
	if exp := policy.ExpiresAt(r.Occurrence, r.At); a.Source != SourceCLI && !now.Before(exp) {
		return fmt.Errorf("%w: %s expired at %s", domain.ErrInvalid, r.ID, exp.Format(time.RFC3339))
	}
	return nil
}
