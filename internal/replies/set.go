package replies

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/notify/reply"
)

// SetConfig configures a Set.
type SetConfig struct {
	Service Service
	Clock   clockwork.Clock
	Logger  *slog.Logger
	// Key returns the installation's reply key; it is asked for only when
	// there is a subscription.
	Key func() (reply.Key, error)
}

// Set runs one Subscriber per channel that offers buttons, and follows the
// channels through reloads. It is a daemon component.
type Set struct {
	cfg SetConfig

	mu      sync.Mutex
	running bool
	want    []reply.Subscription
	subs    map[reply.Subscription]*Subscriber
}

// NewSet returns a Set with no subscriptions.
func NewSet(cfg SetConfig) *Set {
	return &Set{cfg: cfg, subs: map[reply.Subscription]*Subscriber{}}
}

// Start opens the subscriptions Update asked for.
func (s *Set) Start(ctx context.Context) error {
	s.mu.Lock()
	s.running = true
	want := s.want
	s.mu.Unlock()
	return s.Update(ctx, want)
}

// Update makes the running subscriptions those of subs: it closes those no
// longer wanted (or changed: another topic or token) and opens the new
// ones. Before Start it only remembers subs.
func (s *Set) Update(ctx context.Context, subs []reply.Subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.want = slices.Clone(subs)
	if !s.running {
		return nil
	}
	var errs []error
	for sub, r := range s.subs {
		if !slices.Contains(subs, sub) {
			errs = append(errs, r.Stop(ctx))
			delete(s.subs, sub)
		}
	}
	for _, sub := range subs {
		if _, ok := s.subs[sub]; ok {
			continue
		}
		key, err := s.cfg.Key()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r := New(Config{Subscription: sub, Key: key, Service: s.cfg.Service, Clock: s.cfg.Clock, Logger: s.cfg.Logger})
		r.Start(ctx)
		s.subs[sub] = r
	}
	return errors.Join(errs...)
}

// Stop closes every subscription and waits for them until ctx ends.
func (s *Set) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = false
	var errs []error
	for sub, r := range s.subs {
		errs = append(errs, r.Stop(ctx))
		delete(s.subs, sub)
	}
	return errors.Join(errs...)
}

// Status reports every subscription, by channel name.
func (s *Set) Status() []app.ReplyStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]app.ReplyStatus, 0, len(s.subs))
	for _, r := range s.subs {
		out = append(out, r.Status())
	}
	slices.SortFunc(out, func(a, b app.ReplyStatus) int { return strings.Compare(a.Channel, b.Channel) })
	return out
}
