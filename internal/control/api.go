// Package control is crampd's local API: HTTP and JSON over a Unix socket
// that only its owner may use. The daemon serves it; the command line is its
// client.
package control

import (
	"context"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// Service is what the API exposes; the daemon implements it.
type Service interface {
	// Now reads the daemon's clock.
	Now() time.Time
	Status(ctx context.Context) (Status, error)
	Upcoming(n int) []domain.Occurrence
	Ack(ctx context.Context, id string) (store.Record, error)
	Snooze(ctx context.Context, id string, d time.Duration) (time.Time, error)
	Pause(ctx context.Context, until time.Time) error
	NextClock(c profile.Clock) time.Time
	Resume(ctx context.Context) error
	Fire(ctx context.Context, what string) (domain.Occurrence, error)
	Reload(ctx context.Context) error
	History(ctx context.Context, days int) ([]store.Record, error)
	LogCramp(ctx context.Context, c domain.Cramp) (domain.Cramp, *domain.Occurrence, error)
	Cramps(ctx context.Context, days int) ([]domain.Cramp, error)
	Stats(ctx context.Context, days int) (stats.Stats, error)
}

// Status describes the running daemon.
type Status struct {
	StartedAt   time.Time          `json:"started_at"`
	Uptime      string             `json:"uptime"`
	Profile     string             `json:"profile"`
	State       string             `json:"state"`
	Zone        string             `json:"zone"`
	LastReload  ReloadStatus       `json:"last_reload"`
	Paused      bool               `json:"paused"`
	PausedUntil *time.Time         `json:"paused_until,omitempty"`
	OutboxDepth int                `json:"outbox_depth"`
	Next        *domain.Occurrence `json:"next,omitempty"`
}

// ReloadStatus reports the last load of the profile.
type ReloadStatus struct {
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
}

// SnoozeRequest is the body of POST /v1/reminders/{id}/snooze.
type SnoozeRequest struct {
	// Duration is a Go duration such as "10m".
	Duration string `json:"duration"`
}

// SnoozeResponse says when the reminder comes back.
type SnoozeResponse struct {
	ID    string    `json:"id"`
	Until time.Time `json:"until"`
}

// PauseRequest is the body of POST /v1/pause: exactly one field is set.
type PauseRequest struct {
	// Duration pauses for a while ("2h").
	Duration string `json:"duration,omitempty"`
	// Until pauses until the next time the profile's clock reads HH:MM.
	Until string `json:"until,omitempty"`
}

// PauseResponse says when the pause ends.
type PauseResponse struct {
	Until time.Time `json:"until"`
}

// FireRequest is the body of POST /v1/fire.
type FireRequest struct {
	// What is a kind or a custom reminder's name.
	What string `json:"what"`
}

// CrampRequest is the body of POST /v1/cramps.
type CrampRequest struct {
	// At defaults to now.
	At       *time.Time `json:"at,omitempty"`
	Leg      string     `json:"leg,omitempty"`
	Muscle   string     `json:"muscle,omitempty"`
	Severity int        `json:"severity,omitempty"`
	Symptoms []string   `json:"symptoms,omitempty"`
	Note     string     `json:"note,omitempty"`
}

// CrampResponse returns the logged entry and the doctor nudge it caused.
type CrampResponse struct {
	Cramp  domain.Cramp       `json:"cramp"`
	Doctor *domain.Occurrence `json:"doctor,omitempty"`
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}
