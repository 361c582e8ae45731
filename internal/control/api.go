// Package control is crampd's local API: HTTP and JSON over a Unix socket
// that only its owner may use. The daemon serves it as one more way in to
// the use cases of package app; the command line is its client, and gets
// back the same values the use cases return.
package control

import (
	"context"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/stats"
)

// Service is what the API serves: the use cases of package app. Client
// implements it too, over the socket, so that the command line calls the
// daemon and a Service run without one the same way.
type Service interface {
	// Zone is the profile's time zone, in which times are read and shown.
	Zone(ctx context.Context) (*time.Location, error)
	Status(ctx context.Context) (app.Status, error)
	Upcoming(ctx context.Context, n int) ([]domain.Occurrence, error)
	Ack(ctx context.Context, id string) (domain.Record, error)
	Snooze(ctx context.Context, id string, d time.Duration) (app.ActionResult, error)
	Pause(ctx context.Context, req app.PauseRequest) (app.PauseResult, error)
	Resume(ctx context.Context) (app.ResumeResult, error)
	Fire(ctx context.Context, what string) (app.FireResult, error)
	Reload(ctx context.Context) error
	History(ctx context.Context, days int) ([]domain.Record, error)
	LogCramp(ctx context.Context, c domain.Cramp) (app.CrampResult, error)
	Cramps(ctx context.Context, days int) ([]domain.Cramp, error)
	Stats(ctx context.Context, days int) (stats.Stats, error)
	// Report summarises weeks for a doctor.
	Report(ctx context.Context, weeks int) (app.Report, error)
	// WebLogin hands out a one-time link that signs a browser in to the
	// web page: only the socket's user can get one.
	WebLogin(ctx context.Context) (app.WebLogin, error)
	Checkin(ctx context.Context, req app.CheckinRequest) (app.CheckinResult, error)
}

// SnoozeRequest is the body of POST /v1/reminders/{id}/snooze.
type SnoozeRequest struct {
	// Duration is a duration such as "10m".
	Duration string `json:"duration"`
}

// PauseRequest is the body of POST /v1/pause: exactly one field is set.
type PauseRequest struct {
	// Duration pauses for a while ("2h").
	Duration string `json:"duration,omitempty"`
	// Until pauses until the next time the profile's clock reads HH:MM.
	Until string `json:"until,omitempty"`
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

// CheckinRequest is the body of POST /v1/checkin.
type CheckinRequest struct {
	// Answer is none, cramp or severe.
	Answer string `json:"answer"`
	// Night is the evening's date (YYYY-MM-DD); empty means last night.
	Night string `json:"night,omitempty"`
}

// ZoneResponse is the body of GET /v1/zone.
type ZoneResponse struct {
	Zone string `json:"zone"`
}

// Error is the body of every error response.
type Error struct {
	Error string `json:"error"`
}
