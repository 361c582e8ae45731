package app

import (
	"context"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// PauseRequest asks for a pause: for a while, or until the next time the
// profile's clock reads a time of day. Exactly one is set.
type PauseRequest struct {
	For   time.Duration
	Until *profile.Clock
}

// PauseResult says when the pause ends.
type PauseResult struct {
	Until time.Time `json:"until"`
}

// Pause holds every delivery until the pause ends (at most
// rules.MaxPause). What comes due meanwhile is recorded as skipped. It
// persists across restarts and ends on its own.
func (s *Service) Pause(ctx context.Context, req PauseRequest) (PauseResult, error) {
	if err := s.needDaemon(); err != nil {
		return PauseResult{}, err
	}
	now := s.clock.Now()
	policy := s.engine.Policy()
	var until time.Time
	switch {
	case req.For != 0 && req.Until != nil:
		return PauseResult{}, fmt.Errorf("%w: give a duration or an until time, not both", domain.ErrInvalid)
	case req.Until != nil:
		until = policy.NextClock(*req.Until, now)
	case req.For > 0:
		until = now.Add(req.For)
	default:
		return PauseResult{}, fmt.Errorf("%w: give a duration (2h) or an until time (07:00)", domain.ErrInvalid)
	}
	if err := rules.CheckPause(now, until); err != nil {
		return PauseResult{}, err
	}
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	if err := s.store.Do(ctx, func(tx *store.Tx) error { return tx.SetPauseUntil(until) }); err != nil {
		return PauseResult{}, err
	}
	s.engine.SetPause(rules.Pause{Until: until})
	s.log.Info("paused", "until", until.Format(time.RFC3339))
	s.Publish(Event{Kind: EventPaused})
	return PauseResult{Until: until.In(policy.Location())}, nil
}

// ResumeResult says what a resume released.
type ResumeResult struct {
	// WasPaused is false when there was no pause to end.
	WasPaused bool `json:"was_paused"`
	// Released counts deliveries the pause held that go out now.
	Released int `json:"released"`
}

// Resume ends a pause. Deliveries it held go out at once.
func (s *Service) Resume(ctx context.Context) (ResumeResult, error) {
	if err := s.needDaemon(); err != nil {
		return ResumeResult{}, err
	}
	s.pauseMu.Lock()
	defer s.pauseMu.Unlock()
	now := s.clock.Now()
	old := s.engine.Pause()
	var released []int64
	err := s.store.Do(ctx, func(tx *store.Tx) (err error) {
		if err := tx.SetPauseUntil(time.Time{}); err != nil {
			return err
		}
		released, err = tx.ReleaseHeld(old.Until, now)
		return err
	})
	if err != nil {
		return ResumeResult{}, err
	}
	s.engine.SetPause(rules.Pause{})
	s.engine.Release(released)
	s.log.Info("resumed", "released_deliveries", len(released))
	s.Publish(Event{Kind: EventResumed})
	return ResumeResult{WasPaused: old.Active(now), Released: len(released)}, nil
}
