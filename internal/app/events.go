package app

import (
	"context"
	"sync"
)

// EventKind names what changed.
type EventKind string

// The events the use cases and the daemon publish.
const (
	// EventFired: reminders came due and were recorded as sent.
	EventFired EventKind = "fired"
	// EventAcked and EventSnoozed: a person acted on a reminder, from any
	// way in.
	EventAcked   EventKind = "acked"
	EventSnoozed EventKind = "snoozed"
	// EventPaused and EventResumed: deliveries were paused or resumed.
	EventPaused  EventKind = "paused"
	EventResumed EventKind = "resumed"
	// EventCramp: a cramp was logged.
	EventCramp EventKind = "cramp"
)

// Event says that something a person may be looking at changed: a page
// showing today's reminders reloads them when one arrives.
type Event struct {
	Kind EventKind `json:"kind"`
	// IDs are the reminders concerned, when there are any.
	IDs []string `json:"ids,omitempty"`
}

// events fans events out to subscribers. Its zero value is ready to use.
type events struct {
	mu   sync.Mutex
	subs map[chan Event]struct{}
}

// Subscribe returns a channel that receives an Event after each change
// until ctx ends, when it is closed. Publishing never waits for a
// subscriber: the channel holds one event, and a newer one replaces an
// event not yet read, so a slow reader misses the ones in between but
// always learns that something changed, and what last did.
func (s *Service) Subscribe(ctx context.Context) <-chan Event {
	return s.events.subscribe(ctx)
}

// Publish tells every subscriber that something changed. The use cases
// publish what they do; the daemon publishes what the schedule fires.
func (s *Service) Publish(e Event) { s.events.publish(e) }

func (b *events) subscribe(ctx context.Context) <-chan Event {
	ch := make(chan Event, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan Event]struct{}{}
	}
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	context.AfterFunc(ctx, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.subs, ch)
		close(ch)
	})
	return ch
}

func (b *events) publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		// Replace an unread event rather than wait: the lock keeps
		// another publisher from filling the slot in between.
		select {
		case <-ch:
		default:
		}
		ch <- e
	}
}

// Subscribers counts the channels Subscribe handed out that are still
// open.
func (s *Service) Subscribers() int {
	s.events.mu.Lock()
	defer s.events.mu.Unlock()
	return len(s.events.subs)
}
