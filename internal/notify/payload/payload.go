// Package payload builds the JSON event that crampd's machine-readable
// channels (stdout, webhook) emit for a due reminder, so that a consumer who
// reads one channel can read the other with the same code.
package payload

import (
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
)

// TypeReminderDue is the event type of a reminder coming due. It follows the
// Standard Webhooks convention of dotted, lower-case event names.
const TypeReminderDue = "reminder.due"

// Event is the envelope recommended by Standard Webhooks: a type, the time
// the event was emitted, and the event-specific data.
type Event struct {
	Type string `json:"type"`
	// Timestamp is when this attempt was made, not when the reminder was
	// due, so a receiver can tell a late retry from a fresh delivery.
	Timestamp string `json:"timestamp"`
	Data      Data   `json:"data"`
}

// Data describes the reminder itself.
type Data struct {
	ID    string      `json:"id"`
	Kind  domain.Kind `json:"kind"`
	Title string      `json:"title"`
	Body  string      `json:"body"`
	Why   string      `json:"why"`
	// ScheduledAt keeps the profile's zone offset, so that a receiver shows
	// the time the user planned rather than a UTC instant.
	ScheduledAt string `json:"scheduled_at"`
	Attempt     int    `json:"attempt"`
	// MessageID is only set where no transport header can carry it (stdout);
	// the webhook sends it as the webhook-id header instead.
	MessageID string `json:"message_id,omitempty"`
}

// New returns the event for delivering m at now.
func New(m notify.Message, now time.Time) Event {
	o := m.Occurrence
	return Event{
		Type:      TypeReminderDue,
		Timestamp: now.UTC().Format(time.RFC3339),
		Data: Data{
			ID:          o.ID,
			Kind:        o.Kind,
			Title:       o.Title,
			Body:        o.Body,
			Why:         o.Why,
			ScheduledAt: o.At.Format(time.RFC3339),
			Attempt:     m.Attempt,
		},
	}
}
