package weather

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// retryAfter is how long after a failed fetch the next attempt comes; once
// these are used up, the Fetcher waits for its regular refresh. A forecast
// is good for hours, so a few tries are plenty, and an API that is down or
// refusing crampd is not hammered.
var retryAfter = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute}

// Store is what the Fetcher needs from the state database.
type Store interface {
	SaveForecast(ctx context.Context, hours []domain.WeatherHour) error
	Forecast(ctx context.Context, from, to time.Time) ([]domain.WeatherHour, error)
}

// Options configures a Fetcher.
type Options struct {
	Clock  clockwork.Clock
	Logger *slog.Logger
	Store  Store
	// Client fetches; a Client with its own http.Client and the 10 s
	// Timeout when nil.
	Client *Client
	// Stored is called, on the Fetcher's goroutine, after each forecast
	// is stored; its ctx ends when the Fetcher stops. The daemon re-plans
	// from it.
	Stored func(ctx context.Context)
}

// config is what the Fetcher fetches: the profile's [weather] and zone.
type config struct {
	w    *profile.Weather
	zone *time.Location
}

// Fetcher is the daemon component that keeps the stored forecast fresh.
type Fetcher struct {
	clock  clockwork.Clock
	log    *slog.Logger
	store  Store
	client *Client
	stored func(ctx context.Context)

	cfg atomic.Pointer[config]
	// changed wakes the loop when the configuration changes.
	changed chan struct{}

	cancel context.CancelFunc
	done   chan struct{}

	// progress is what the loop last reported, for HandledThrough.
	progressMu sync.Mutex
	busy       bool
	running    bool
	// pending is set when the configuration changed and the loop has not
	// taken the change in yet.
	pending    bool
	nextAt     time.Time
	progressed chan struct{}
}

// New returns a Fetcher; nothing is fetched until Start, and nothing at all
// while it has no configuration.
func New(opts Options) *Fetcher {
	c := opts.Client
	if c == nil {
		c = &Client{HTTP: &http.Client{}}
	}
	stored := opts.Stored
	if stored == nil {
		stored = func(context.Context) {}
	}
	return &Fetcher{clock: opts.Clock, log: opts.Logger, store: opts.Store, client: c, stored: stored,
		changed: make(chan struct{}, 1)}
}

// Configure sets what to fetch: the profile's [weather] (nil to fetch
// nothing) and its zone. A new place or endpoint is fetched at once.
func (f *Fetcher) Configure(w *profile.Weather, zone *time.Location) {
	var next *config
	if w != nil {
		cp := *w
		next = &config{w: &cp, zone: zone}
	}
	old := f.cfg.Swap(next)
	if same(old, next) {
		return
	}
	// Until the loop has taken the change in, an attempt is pending.
	f.progressMu.Lock()
	f.pending = true
	f.progressMu.Unlock()
	select {
	case f.changed <- struct{}{}:
	default: // a wake is already pending
	}
}

func same(a, b *config) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a.w == *b.w && a.zone.String() == b.zone.String()
}

// Start starts the loop, which fetches at once.
func (f *Fetcher) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.done = make(chan struct{})
	// The first fetch comes at once whatever was configured before.
	select {
	case <-f.changed:
	default:
	}
	f.progressMu.Lock()
	f.running, f.pending = true, false
	f.progressMu.Unlock()
	f.report(true, f.clock.Now())
	go f.loop(ctx)
	return nil
}

// Stop ends the loop, abandoning a fetch in flight, and waits for it.
func (f *Fetcher) Stop(ctx context.Context) error {
	if f.cancel == nil {
		return nil
	}
	f.cancel()
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("stop the weather fetcher: %w", ctx.Err())
	}
}

// streak follows a run of failed fetches, so that it is logged once.
type streak struct {
	failures int
	// retries counts the retries used since the last regular attempt.
	retries int
}

func (f *Fetcher) loop(ctx context.Context) {
	defer close(f.done)
	defer func() {
		f.progressMu.Lock()
		f.running = false
		f.notify()
		f.progressMu.Unlock()
	}()
	var (
		s     streak
		timer clockwork.Timer
	)
	due := f.clock.Now() // fetch on start
	for {
		cfg := f.cfg.Load()
		now := f.clock.Now()
		if cfg != nil && !now.Before(due) {
			f.report(true, now)
			due = f.attempt(ctx, cfg, &s)
			if ctx.Err() != nil {
				return
			}
			continue
		}
		var wake <-chan time.Time
		if cfg != nil {
			timer = f.clock.NewTimer(due.Sub(now))
			wake = timer.Chan()
			f.report(false, due)
		} else {
			f.report(false, time.Time{})
		}
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return
		case <-f.changed:
			// A new place or endpoint: fetch at once, with a fresh
			// streak.
			s = streak{}
			due = f.clock.Now()
			f.progressMu.Lock()
			f.pending, f.busy = false, true
			f.progressMu.Unlock()
		case <-wake:
		}
		if timer != nil {
			timer.Stop()
			timer = nil
		}
	}
}

// attempt fetches and stores the forecast once, and returns when to try
// next.
func (f *Fetcher) attempt(ctx context.Context, cfg *config, s *streak) time.Time {
	now := f.clock.Now()
	hours, err := f.client.Fetch(ctx, cfg.w, cfg.zone, now)
	if err == nil {
		err = f.store.SaveForecast(ctx, hours)
		if err != nil {
			err = fmt.Errorf("store the forecast: %w", err)
		}
	}
	if ctx.Err() != nil {
		return now // stopping
	}
	if err != nil {
		next := now.Add(cfg.w.Refresh)
		if s.retries < len(retryAfter) {
			next = now.Add(min(retryAfter[s.retries], cfg.w.Refresh))
			s.retries++
		} else {
			s.retries = 0
		}
		f.failed(ctx, cfg, s, err, next)
		return next
	}
	if s.failures > 0 {
		f.log.Info("weather forecast fetched again", "failed_attempts", s.failures)
	}
	*s = streak{}
	first, last := hours[0].At, hours[len(hours)-1].At
	f.log.Info("weather forecast stored", "hours", len(hours),
		"from", first.In(cfg.zone).Format(time.RFC3339), "to", last.In(cfg.zone).Format(time.RFC3339))
	f.stored(ctx)
	return now.Add(cfg.w.Refresh)
}

// failed logs a failed fetch: once, as a warning that says what the plan
// follows meanwhile, at the start of a streak; quietly after that.
func (f *Fetcher) failed(ctx context.Context, cfg *config, s *streak, err error, next time.Time) {
	s.failures++
	if s.failures > 1 {
		f.log.Debug("weather forecast still unavailable", "err", err, "failed_attempts", s.failures,
			"next_attempt", next.In(cfg.zone).Format(time.RFC3339))
		return
	}
	now := f.clock.Now()
	f.log.Warn("cannot fetch the weather forecast; "+f.fallback(ctx, cfg, now), "err", err,
		"next_attempt", next.In(cfg.zone).Format(time.RFC3339))
}

// fallback says what the plan follows while fetches fail: the stored
// forecast while it is fresh, then the climate.
func (f *Fetcher) fallback(ctx context.Context, cfg *config, now time.Time) string {
	hours, err := f.store.Forecast(ctx, now.Add(-time.Hour), now.Add(time.Nanosecond))
	var cur *domain.WeatherHour
	for i := range hours {
		if h := hours[i]; h.Latitude == cfg.w.Latitude && h.Longitude == cfg.w.Longitude && !now.Before(h.At) && now.Before(h.At.Add(time.Hour)) {
			cur = &hours[i]
		}
	}
	if err != nil || cur == nil || !cur.Fresh() {
		return "the plan follows the profile's climate (no forecast fetched within the last two days)"
	}
	until := cur.FetchedAt.Add(domain.MaxForecastAge)
	return fmt.Sprintf("the plan follows the forecast fetched %s until %s, then the profile's climate",
		cur.FetchedAt.In(cfg.zone).Format("Mon 15:04 MST"), until.In(cfg.zone).Format("Mon 15:04 MST"))
}

// report publishes the loop's state: busy while it fetches, and when its
// next attempt is due.
func (f *Fetcher) report(busy bool, next time.Time) {
	f.progressMu.Lock()
	f.busy, f.nextAt = busy, next
	f.notify()
	f.progressMu.Unlock()
}

// notify wakes HandledThrough's waiters; progressMu is held.
func (f *Fetcher) notify() {
	if f.progressed != nil {
		close(f.progressed)
		f.progressed = nil
	}
}

// HandledThrough waits until the Fetcher has made every attempt due at or
// before t: it is not fetching, and its next attempt is later (or it has
// nothing to fetch). Tests use it after moving a fake clock, so that a
// check that nothing was fetched can fail.
func (f *Fetcher) HandledThrough(ctx context.Context, t time.Time) error {
	for {
		f.progressMu.Lock()
		done := !f.running || (!f.pending && !f.busy && (f.nextAt.IsZero() || f.nextAt.After(t)))
		if done {
			f.progressMu.Unlock()
			return nil
		}
		if f.progressed == nil {
			f.progressed = make(chan struct{})
		}
		ch := f.progressed
		f.progressMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("the weather fetcher has not made the attempts due by %s: %w", t.Format(time.RFC3339), ctx.Err())
		}
	}
}
