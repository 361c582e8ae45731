// Package app holds crampd's use cases: everything a person can do with
// their reminders and journal, whichever way they reach crampd (the
// control socket, the desktop buttons, a phone, the web page, or the
// command line with no daemon running). Each way in is a thin adapter that
// decodes a request, calls the Service, and renders the answer; the rules
// (expiry, pause, quiet hours, repeats, the doctor nudge, idempotency) live
// here and in package rules, once.
//
// The Service has no goroutines of its own. It reaches the running
// scheduler through the Engine interface it declares, so it never imports
// the engine; a command run without a daemon builds a Service with no
// Engine, which reads the state database and the plan but sends nothing.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// ErrNoDaemon means a use case needs the running daemon (to send
// something, or to change what it schedules) and there is none.
var ErrNoDaemon = errors.New("crampd is not running")

// Engine is what the use cases need from the running scheduler.
type Engine interface {
	// Policy, Inputs and Routes describe the profile in force.
	Policy() *rules.Policy
	Inputs() plan.Inputs
	Routes(k domain.Kind) []string
	// Pause returns the pause in force; SetPause puts a stored one in
	// force.
	Pause() rules.Pause
	SetPause(rules.Pause)
	// Submit hands recorded deliveries to the outbox; Cancel drops those
	// the store cancelled; Release makes those the store released from a
	// pause due now.
	Submit([]domain.Delivery)
	Cancel([]int64)
	Release([]int64)
}

// Host is what the use cases need from the daemon process itself.
type Host interface {
	// Reload re-reads the profile, all or nothing.
	Reload(ctx context.Context) error
	// Info describes the running daemon.
	Info() HostInfo
}

// HostInfo describes the running daemon, for Status.
type HostInfo struct {
	StartedAt   time.Time
	ProfilePath string
	// LastLoad is when the profile was last loaded or reloaded, and
	// LoadErr what went wrong if the last attempt failed.
	LastLoad time.Time
	LoadErr  error
	// Replies are the subscriptions to replies from a phone, one per
	// channel that offers its buttons there.
	Replies []ReplyStatus
}

// The states of a reply subscription.
const (
	// ReplyConnecting: the first connection is being made.
	ReplyConnecting = "connecting"
	// ReplyConnected: the subscription is open and replies arrive.
	ReplyConnected = "connected"
	// ReplyReconnecting: the connection failed or broke, and is tried
	// again with a growing pause.
	ReplyReconnecting = "reconnecting"
	// ReplyRefused: the server refused the subscription (401 or 403);
	// it is tried again, but needs a change to the token or the server.
	ReplyRefused = "refused"
)

// ReplyStatus is the state of one subscription to replies from a phone.
type ReplyStatus struct {
	// Channel is the channel whose buttons reply through the
	// subscription.
	Channel string `json:"channel"`
	// State is one of the Reply states.
	State string `json:"state"`
	// Since is when the subscription entered its state.
	Since time.Time `json:"since"`
	// Error is the last error, while reconnecting or refused.
	Error string `json:"error,omitempty"`
	// Fix says what to change, when the server refused the subscription.
	Fix string `json:"fix,omitempty"`
	// LastReply is the id of the last message on the reply topic that
	// crampd has finished with (handled, found to do nothing, or refused),
	// and LastReplyAt when it finished; empty before the first since the
	// daemon started.
	LastReply   string    `json:"last_reply,omitempty"`
	LastReplyAt time.Time `json:"last_reply_at,omitzero"`
}

// Store is what the use cases need from the state database.
type Store interface {
	Do(ctx context.Context, fn func(*store.Tx) error) error
	Record(ctx context.Context, id string) (domain.Record, error)
	History(ctx context.Context, from, to time.Time) ([]domain.Record, error)
	Cramps(ctx context.Context, from, to time.Time) ([]domain.Cramp, error)
	Nights(ctx context.Context, from, to string) ([]domain.Night, error)
	Queue(ctx context.Context, now time.Time) (store.Queue, error)
	Meta(ctx context.Context, key string) (string, bool, error)
	Path() string
	// Forecast reads the stored weather forecast hours starting in
	// [from, to).
	Forecast(ctx context.Context, from, to time.Time) ([]domain.WeatherHour, error)
	// Snoozes says when the snoozed sendings of occurrences due in
	// [from, to) go out.
	Snoozes(ctx context.Context, from, to time.Time) (map[string]time.Time, error)
	// PauseUntil is the stored pause, for a Service without a daemon.
	PauseUntil(ctx context.Context) (time.Time, bool, error)
	// Count counts the log over a window, as the stats need it.
	Count(ctx context.Context, from, to time.Time, k domain.Kind) (store.Counts, error)
}

// Config configures a Service.
type Config struct {
	Store  Store
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Engine and Host are the running daemon; both nil for a Service run
	// without one.
	Engine Engine
	Host   Host
	// Profile is the profile a Service without a daemon plans from; it
	// may be nil when the caller only reads the journal.
	Profile *profile.Profile
	// Forecast is the stored forecast a Service without a daemon plans
	// from, with Profile.
	Forecast plan.Forecast
	// WebURL is where the daemon serves the web page ("http://127.0.0.1:8737");
	// empty when it serves none.
	WebURL string
}

// Service runs the use cases.
type Service struct {
	store  Store
	clock  clockwork.Clock
	log    *slog.Logger
	engine Engine
	host   Host
	// policy and inputs stand in for the Engine's without a daemon.
	policy *rules.Policy
	inputs plan.Inputs
	// pauseMu orders pause and resume, so that the stored pause and the
	// one in force never disagree.
	pauseMu sync.Mutex
	// events tells subscribers (the web page) what changed.
	events events
	// webURL and web are the web page's address, and its sign-in links
	// and sessions.
	webURL string
	web    webAuth
}

// New returns a Service.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, clock: cfg.Clock, log: cfg.Logger, engine: cfg.Engine, host: cfg.Host, webURL: cfg.WebURL}
	if cfg.Profile != nil {
		s.policy = rules.New(cfg.Profile)
		s.inputs = plan.Inputs{Profile: cfg.Profile, Forecast: cfg.Forecast}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

// Online reports whether a daemon runs behind the Service.
func (s *Service) Online() bool { return s.engine != nil }

// Now reads the Service's clock.
func (s *Service) Now() time.Time { return s.clock.Now() }

// current returns the rules and plan inputs in force, or ErrNoDaemon-free
// stand-ins from the profile a Service without a daemon was given.
func (s *Service) current() (*rules.Policy, plan.Inputs, error) {
	if s.engine != nil {
		return s.engine.Policy(), s.engine.Inputs(), nil
	}
	if s.policy == nil {
		return nil, plan.Inputs{}, errors.New("no profile loaded")
	}
	return s.policy, s.inputs, nil
}

// Location returns the profile's time zone (the machine's without one).
func (s *Service) Location() *time.Location {
	if p, _, err := s.current(); err == nil {
		return p.Location()
	}
	return time.Local
}

// Zone returns the profile's time zone: every time a person types is read
// in it, and every time crampd shows is shown in it.
func (s *Service) Zone(context.Context) (*time.Location, error) { return s.Location(), nil }

func (s *Service) needDaemon() error {
	if s.engine == nil {
		return ErrNoDaemon
	}
	return nil
}

// Status describes the running daemon.
type Status struct {
	StartedAt  time.Time    `json:"started_at"`
	Uptime     string       `json:"uptime"`
	Profile    string       `json:"profile"`
	State      string       `json:"state"`
	Zone       string       `json:"zone"`
	LastReload ReloadStatus `json:"last_reload"`
	Paused     bool         `json:"paused"`
	// PausedUntil is set while paused.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
	// OutboxDepth counts deliveries waiting to go out now (or held by the
	// pause, or retrying).
	OutboxDepth int `json:"outbox_depth"`
	// Scheduled counts repeats and snoozes still to come, and NextRepeat
	// is the first of them.
	Scheduled  int          `json:"scheduled_repeats"`
	NextRepeat *NextSending `json:"next_repeat,omitempty"`
	// Next is the next planned reminder.
	Next *domain.Occurrence `json:"next,omitempty"`
	// Weather says what the plan follows this hour, with [weather].
	Weather *WeatherStatus `json:"weather,omitempty"`
	// Replies are the subscriptions to replies from a phone.
	Replies []ReplyStatus `json:"replies,omitempty"`
}

// WeatherStatus says whether the plan follows a forecast this hour.
type WeatherStatus struct {
	// Following is set while a fresh forecast covers this hour; the plan
	// follows the climate otherwise.
	Following bool `json:"following"`
	// FetchedAt is when the forecast for this hour was fetched, and
	// HeatIndexF and Category the hour's heat index and NWS category.
	FetchedAt  *time.Time `json:"fetched_at,omitempty"`
	HeatIndexF float64    `json:"heat_index_f,omitempty"`
	Category   string     `json:"category,omitempty"`
}

// NextSending is a repeat or snooze to come.
type NextSending struct {
	Occurrence domain.Occurrence `json:"occurrence"`
	At         time.Time         `json:"at"`
}

// ReloadStatus reports the last load of the profile.
type ReloadStatus struct {
	At    time.Time `json:"at"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
}

// Status describes the running daemon.
func (s *Service) Status(ctx context.Context) (Status, error) {
	if err := s.needDaemon(); err != nil {
		return Status{}, err
	}
	now := s.clock.Now()
	policy, inputs, _ := s.current()
	loc := policy.Location()
	info := s.host.Info()
	q, err := s.store.Queue(ctx, now)
	if err != nil {
		return Status{}, err
	}
	st := Status{
		StartedAt: info.StartedAt.In(loc), Uptime: now.Sub(info.StartedAt).Round(time.Second).String(),
		Profile: info.ProfilePath, State: s.store.Path(), Zone: loc.String(),
		LastReload:  ReloadStatus{At: info.LastLoad.In(loc), OK: info.LoadErr == nil},
		OutboxDepth: q.Waiting, Scheduled: q.Scheduled,
	}
	if info.LoadErr != nil {
		st.LastReload.Error = info.LoadErr.Error()
	}
	for _, r := range info.Replies {
		r.Since = r.Since.In(loc)
		st.Replies = append(st.Replies, r)
	}
	if p := s.engine.Pause(); p.Active(now) {
		until := p.Until.In(loc)
		st.Paused, st.PausedUntil = true, &until
	}
	if q.Next != nil {
		st.NextRepeat = &NextSending{Occurrence: q.Next.Occurrence, At: q.Next.NextAttemptAt.In(loc)}
	}
	if next := inputs.Upcoming(now, 1); len(next) > 0 {
		st.Next = &next[0]
	}
	if inputs.Profile.Weather != nil {
		st.Weather = &WeatherStatus{}
		if h, ok := inputs.Forecast.At(now); ok {
			index := heat.IndexC(h.TempC, h.Humidity)
			fetched := h.FetchedAt.In(loc)
			st.Weather = &WeatherStatus{Following: true, FetchedAt: &fetched, HeatIndexF: index, Category: heat.CategoryOf(index).String()}
		}
	}
	return st, nil
}

// Upcoming returns the next n planned reminders (1 to 1000).
func (s *Service) Upcoming(ctx context.Context, n int) ([]domain.Occurrence, error) {
	if n < 1 || n > 1000 {
		return nil, fmt.Errorf("%w: ask for 1 to 1000 reminders, not %d", domain.ErrInvalid, n)
	}
	_, inputs, err := s.current()
	if err != nil {
		return nil, err
	}
	return inputs.Upcoming(s.clock.Now(), n), nil
}

// Reload makes the daemon re-read its profile.
func (s *Service) Reload(ctx context.Context) error {
	if err := s.needDaemon(); err != nil {
		return err
	}
	return s.host.Reload(ctx)
}

// days checks a window length.
func checkDays(days, most int) error {
	if days < 1 || days > most {
		return fmt.Errorf("%w: days must be between 1 and %d, not %d", domain.ErrInvalid, most, days)
	}
	return nil
}
