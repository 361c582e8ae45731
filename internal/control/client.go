package control

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/stats"
)

// ErrNotRunning means nothing listens on the control socket. It is the
// same error a Service without a daemon returns for what needs one.
var ErrNotRunning = app.ErrNoDaemon

// APIError is an error response from the daemon.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return e.Message }

// Unwrap gives the error the use case returned on the daemon's side, as
// far as the status tells it, so that callers treat the daemon's answers
// and a local Service's errors alike.
func (e *APIError) Unwrap() error {
	switch e.Status {
	case http.StatusBadRequest:
		return domain.ErrInvalid
	case http.StatusNotFound:
		return domain.ErrNotFound
	}
	return nil
}

// The client and the use cases answer the same calls.
var (
	_ Service = (*Client)(nil)
	_ Service = (*app.Service)(nil)
)

// Client talks to a daemon over its control socket.
type Client struct {
	socket string
	trust  Trust
	http   *http.Client
}

// NewClient returns a client for the socket at path. It talks only to the
// user's own daemon: see dialOwn.
func NewClient(path string) *Client {
	trust := Own
	if path == SystemSocket {
		trust = System
	}
	return NewClientWith(path, trust)
}

// NewClientWith returns a client for the socket at path that talks only to
// the daemon trust names.
func NewClientWith(path string, trust Trust) *Client {
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	dial := dialOwn
	if trust == System {
		dial = dialSystem
	}
	return &Client{socket: path, trust: trust, http: &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return dial(ctx, dialer, path)
			},
		},
	}}
}

// Socket returns the socket path the client uses.
func (c *Client) Socket() string { return c.socket }

// System reports whether the client talks to the system service.
func (c *Client) System() bool { return c.trust == System }

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://crampd"+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%w (no daemon on %s)", ErrNotRunning, c.socket)
		}
		// The request's method and made-up URL say nothing to a person.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return fmt.Errorf("talk to crampd on %s: %w", c.socket, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("read crampd's answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e Error
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = resp.Status
		}
		return &APIError{Status: resp.StatusCode, Message: e.Error}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("read crampd's answer: %w", err)
	}
	return nil
}

// Zone asks for the profile's time zone. The daemon embeds every zone, so
// an unknown name means a newer daemon: times then show as UTC.
func (c *Client) Zone(ctx context.Context) (*time.Location, error) {
	var z ZoneResponse
	if err := c.do(ctx, http.MethodGet, "/v1/zone", nil, &z); err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(z.Zone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

// Status asks for the daemon's status.
func (c *Client) Status(ctx context.Context) (app.Status, error) {
	var s app.Status
	return s, c.do(ctx, http.MethodGet, "/v1/status", nil, &s)
}

// Upcoming asks for the next n reminders.
func (c *Client) Upcoming(ctx context.Context, n int) ([]domain.Occurrence, error) {
	var out []domain.Occurrence
	return out, c.do(ctx, http.MethodGet, "/v1/upcoming?n="+strconv.Itoa(n), nil, &out)
}

// Ack acknowledges a reminder.
func (c *Client) Ack(ctx context.Context, id string) (domain.Record, error) {
	var r domain.Record
	return r, c.do(ctx, http.MethodPost, "/v1/reminders/"+url.PathEscape(id)+"/ack", nil, &r)
}

// Snooze snoozes a reminder for d.
func (c *Client) Snooze(ctx context.Context, id string, d time.Duration) (app.ActionResult, error) {
	var r app.ActionResult
	return r, c.do(ctx, http.MethodPost, "/v1/reminders/"+url.PathEscape(id)+"/snooze", SnoozeRequest{Duration: d.String()}, &r)
}

// Pause pauses deliveries.
func (c *Client) Pause(ctx context.Context, req app.PauseRequest) (app.PauseResult, error) {
	var body PauseRequest
	if req.For != 0 {
		body.Duration = req.For.String()
	}
	if req.Until != nil {
		body.Until = req.Until.String()
	}
	var r app.PauseResult
	return r, c.do(ctx, http.MethodPost, "/v1/pause", body, &r)
}

// Resume ends a pause.
func (c *Client) Resume(ctx context.Context) (app.ResumeResult, error) {
	var r app.ResumeResult
	return r, c.do(ctx, http.MethodPost, "/v1/resume", struct{}{}, &r)
}

// Fire sends a kind's or a custom reminder's reminder now.
func (c *Client) Fire(ctx context.Context, what string) (app.FireResult, error) {
	var r app.FireResult
	return r, c.do(ctx, http.MethodPost, "/v1/fire", FireRequest{What: what}, &r)
}

// Reload makes the daemon reload its profile.
func (c *Client) Reload(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/reload", struct{}{}, nil)
}

// History asks for the last days days of reminders.
func (c *Client) History(ctx context.Context, days int) ([]domain.Record, error) {
	var out []domain.Record
	return out, c.do(ctx, http.MethodGet, "/v1/history?days="+strconv.Itoa(days), nil, &out)
}

// LogCramp adds a journal entry.
func (c *Client) LogCramp(ctx context.Context, cr domain.Cramp) (app.CrampResult, error) {
	req := CrampRequest{Leg: cr.Leg, Muscle: cr.Muscle, Severity: cr.Severity, Symptoms: cr.Symptoms, Note: cr.Note}
	if !cr.At.IsZero() {
		req.At = &cr.At
	}
	var r app.CrampResult
	return r, c.do(ctx, http.MethodPost, "/v1/cramps", req, &r)
}

// Cramps asks for the last days days of journal entries.
func (c *Client) Cramps(ctx context.Context, days int) ([]domain.Cramp, error) {
	var out []domain.Cramp
	return out, c.do(ctx, http.MethodGet, "/v1/cramps?days="+strconv.Itoa(days), nil, &out)
}

// Checkin answers the morning check-in.
func (c *Client) Checkin(ctx context.Context, req app.CheckinRequest) (app.CheckinResult, error) {
	var r app.CheckinResult
	return r, c.do(ctx, http.MethodPost, "/v1/checkin", CheckinRequest{Answer: string(req.Answer), Night: req.Night}, &r)
}

// Stats asks for the stats of the last days days.
func (c *Client) Stats(ctx context.Context, days int) (stats.Stats, error) {
	var s stats.Stats
	return s, c.do(ctx, http.MethodGet, "/v1/stats?days="+strconv.Itoa(days), nil, &s)
}

// Report asks for a report of the last weeks weeks.
func (c *Client) Report(ctx context.Context, weeks int) (app.Report, error) {
	var r app.Report
	return r, c.do(ctx, http.MethodGet, "/v1/report?weeks="+strconv.Itoa(weeks), nil, &r)
}

// WebLogin asks for a one-time sign-in link to the web page.
func (c *Client) WebLogin(ctx context.Context) (app.WebLogin, error) {
	var l app.WebLogin
	return l, c.do(ctx, http.MethodPost, "/v1/web/login", struct{}{}, &l)
}
