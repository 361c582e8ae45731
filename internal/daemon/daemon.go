// Package daemon wires crampd together: it loads the profile and builds the
// channels, opens the state, and starts the components (outbox, engine,
// state check, control socket, web page, reply subscriptions, watchdog,
// weather fetcher) in order and stops them in reverse, waiting for every
// goroutine. It holds no logic of its own: scheduling is package engine's,
// use cases package app's, delivery package outbox's.
//
// The package holds no signal handling: cmd wires signals to Run's reload
// channel and context, so tests drive the whole daemon directly.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/engine"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/replies"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/systemd"
	"github.com/crampd/crampd/internal/weather"
)

// defaultStopGrace is how long a stop gives deliveries in flight.
const defaultStopGrace = 5 * time.Second

// stateCheckEvery is how often an idle daemon looks for its database or
// WAL removed or replaced under it. Every write looks first, so nothing is
// written into a removed file; this only tells sooner when nothing is
// written for a while, and is no more often than the loop's own idle wake,
// so that it costs an idle daemon nothing it did not spend already.
const stateCheckEvery = time.Hour

// Options configures a Daemon.
type Options struct {
	// ProfilePath is the profile to load and reload.
	ProfilePath string
	// StateDir holds state.db.
	StateDir string
	Clock    clockwork.Clock
	Logger   *slog.Logger
	// Getenv reads secrets named by secret_env and $CREDENTIALS_DIRECTORY.
	Getenv func(string) string
	// Stdout receives the stdout channel's lines.
	Stdout io.Writer
	// Systemd receives readiness and watchdog notifications.
	Systemd systemd.Notifier
	// Watchdog is how often to feed the systemd watchdog; 0 disables it.
	Watchdog time.Duration
	// Socket is the control socket's path; empty serves no control API.
	Socket string
	// StopGrace bounds a stop: deliveries in flight get this long, and so
	// does the rest of the shutdown (5 s when zero).
	StopGrace time.Duration
	// WeatherTimeout bounds each forecast fetch (weather.Timeout, 10 s,
	// when zero).
	WeatherTimeout time.Duration
}

// loaded is what a load of the profile builds: everything that can fail,
// done before anything is swapped.
type loaded struct {
	rt        *engine.Runtime
	notifiers map[string]notify.Notifier
}

// loadResult describes the latest load or reload, for status.
type loadResult struct {
	At  time.Time
	Err error
}

// component is one long-lived part of the daemon.
type component struct {
	name  string
	start func(ctx context.Context) error
	stop  func(ctx context.Context) error
}

// Daemon is a running crampd.
type Daemon struct {
	opts  Options
	clock clockwork.Clock
	log   *slog.Logger

	lock  *store.Lock
	store *store.Store
	out   *outbox.Outbox
	eng   *engine.Engine
	svc   *app.Service
	ln    net.Listener
	// weather keeps the stored forecast fresh; each new one is re-planned
	// through the engine.
	weather *weather.Fetcher
	// webLn is the web page's listener, when the profile has a [web]
	// table.
	webLn net.Listener
	// testFired is called after the engine's fired hook, in tests.
	testFired func([]domain.Occurrence)
	// replies holds the subscriptions to the channels' reply topics;
	// replyKey loads (or makes) the key their buttons are signed with,
	// once, when a channel first needs it.
	replies  *replies.Set
	replyKey func() (reply.Key, error)

	// notifiers are the channels in force; a reload swaps them.
	notifiers atomic.Pointer[map[string]notify.Notifier]

	// components start in order and stop in reverse; started counts those
	// that started.
	components []component
	started    int

	reloadMu  sync.Mutex
	lastLoad  atomic.Pointer[loadResult]
	startedAt time.Time
	stopOnce  sync.Once
}

// New loads the profile, reads the channels' secrets, locks and opens the
// state, and builds every component. Any problem is returned before
// anything runs, with the same messages as `crampd check`.
func New(ctx context.Context, opts Options) (*Daemon, error) {
	if opts.Systemd == nil {
		opts.Systemd = systemd.Nop{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	if opts.StopGrace <= 0 {
		opts.StopGrace = defaultStopGrace
	}
	d := &Daemon{opts: opts, clock: opts.Clock, log: opts.Logger}
	d.replyKey = keyLoader(opts.StateDir)
	l, err := d.load()
	if err != nil {
		return nil, err
	}
	d.notifiers.Store(&l.notifiers)
	d.lastLoad.Store(&loadResult{At: d.clock.Now()})
	if d.lock, err = store.LockDir(opts.StateDir); err != nil {
		d.Close()
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("%w: another crampd uses the state directory %s", control.ErrRunning, opts.StateDir)
		}
		return nil, err
	}
	if d.store, err = store.Open(ctx, opts.StateDir); err != nil {
		d.Close()
		return nil, err
	}
	until, _, err := d.store.PauseUntil(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	// The plan follows the stored forecast from the start: a restart does
	// not forget a heat wave while the first fetch is under way.
	if err := d.withForecast(ctx, l.rt); err != nil {
		d.Close()
		return nil, err
	}
	d.out = outbox.New(d.store, d.clock, d.log.With("component", "outbox"), 16)
	d.out.SetChannels(l.notifiers)
	d.eng = engine.New(engine.Options{
		Clock: d.clock, Logger: d.log, Store: d.store, Outbox: d.out, Runtime: l.rt, Pause: rules.Pause{Until: until},
	})
	web, err := d.listenWeb(l.rt.Policy.Profile())
	if err != nil {
		d.Close()
		return nil, err
	}
	d.svc = app.New(app.Config{Store: d.store, Clock: d.clock, Logger: d.log, Engine: d.eng, Host: d, WebURL: web.url})
	// A page showing today learns at once of what the schedule fires.
	d.eng.OnFired(d.fired)
	d.components = []component{
		{name: "outbox", start: d.startOutbox, stop: d.stopOutbox},
		{name: "engine", start: d.eng.Start, stop: d.eng.Stop},
		d.every("state check", stateCheckEvery, func(context.Context) { d.store.Check() }),
	}
	if opts.Socket != "" {
		if d.ln, err = control.Listen(opts.Socket); err != nil {
			d.Close()
			return nil, err
		}
		d.components = append(d.components, d.serveControl(d.ln))
	}
	if d.webLn != nil {
		c, err := d.serveWeb(web)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.components = append(d.components, c)
	}
	d.replies = replies.NewSet(replies.SetConfig{Service: d.svc, Clock: d.clock, Logger: d.log.With("component", "replies"), Key: d.replyKey})
	d.replies.Update(ctx, subscriptions(l.notifiers))
	d.components = append(d.components, component{name: "replies", start: d.replies.Start, stop: d.replies.Stop})
	if opts.Watchdog > 0 {
		d.components = append(d.components, d.watchdog())
	}
	d.weather = weather.New(weather.Options{
		Clock: d.clock, Logger: d.log.With("component", "weather"), Store: d.store,
		Client: &weather.Client{HTTP: &http.Client{}, Timeout: opts.WeatherTimeout}, Stored: d.forecastStored,
	})
	p := l.rt.Policy.Profile()
	d.weather.Configure(p.Weather, p.Location)
	d.components = append(d.components, component{name: "weather", start: d.weather.Start, stop: d.weather.Stop})
	return d, nil
}

// withForecast puts the stored forecast rt's profile asks for into rt's
// plan inputs.
func (d *Daemon) withForecast(ctx context.Context, rt *engine.Runtime) error {
	fc, err := weather.ForPlanAround(ctx, d.store, rt.Policy.Profile(), d.clock.Now())
	if err != nil {
		return fmt.Errorf("read the stored forecast: %w", err)
	}
	rt.Inputs.Forecast = fc
	return nil
}

// forecastStored re-plans from a forecast the fetcher just stored: the
// running runtime with new plan inputs, swapped in like a reload, so that
// what was already recorded never fires again and what the new plan drops
// does not fire.
func (d *Daemon) forecastStored(ctx context.Context) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	next := *d.eng.Runtime()
	if err := d.withForecast(ctx, &next); err != nil {
		d.log.Error("cannot re-plan from the new forecast; the previous plan stays", "err", err)
		return
	}
	if err := d.eng.Swap(ctx, &next); err != nil {
		if ctx.Err() == nil {
			d.log.Error("cannot re-plan from the new forecast; the previous plan stays", "err", err)
		}
		return
	}
	d.log.Debug("re-planned from the new forecast", "next", d.nextDescription())
}

// load builds the runtime and channels from the profile file.
func (d *Daemon) load() (*loaded, error) {
	p, err := profile.LoadWith(d.opts.ProfilePath, d.opts.Getenv)
	if err != nil {
		return nil, err
	}
	deps := channelDeps{clock: d.clock, log: d.log, stdout: d.opts.Stdout, getenv: d.opts.Getenv, onAction: d.onAction, replyKey: d.replyKey}
	if old := d.notifiers.Load(); old != nil {
		deps.previous = *old
	}
	notifiers, chs, err := buildChannels(p, deps)
	if err != nil {
		return nil, err
	}
	rt := &engine.Runtime{Policy: rules.New(p), Inputs: plan.Inputs{Profile: p}, Routes: routes(chs)}
	return &loaded{rt: rt, notifiers: notifiers}, nil
}

// Start starts the components in order, checks the journal for cramps
// logged while crampd was down, and tells systemd it is ready.
func (d *Daemon) Start(ctx context.Context) error {
	d.startedAt = d.clock.Now()
	for _, c := range d.components {
		if err := c.start(ctx); err != nil {
			d.stopComponents()
			return fmt.Errorf("start %s: %w", c.name, err)
		}
		d.started++
	}
	if _, err := d.svc.CheckJournal(ctx); err != nil {
		d.log.Warn("cannot check the cramp journal", "err", err)
	}
	rt := d.eng.Runtime()
	d.log.Info("crampd is running", "profile", d.opts.ProfilePath, "state", d.store.Path(),
		"zone", rt.Policy.Location().String(), "next", d.nextDescription())
	if err := d.opts.Systemd.Ready(); err != nil {
		d.log.Warn("cannot notify systemd", "err", err)
	}
	return nil
}

// Run starts the daemon, reloads on every value from hup, and stops when
// ctx ends.
func (d *Daemon) Run(ctx context.Context, hup <-chan struct{}) error {
	if err := d.Start(ctx); err != nil {
		d.Close()
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return d.Stop()
		case <-hup:
			// A failed reload is logged and keeps the old schedule.
			_ = d.Reload(ctx)
		case <-d.store.Broken():
			// Going on would write into files nobody can open again.
			err := d.store.Err()
			d.log.Error("stopping: the state database is gone from under crampd", "err", err)
			return errors.Join(err, d.Stop())
		}
	}
}

// Reload re-reads the profile. It is all-or-nothing: the new profile,
// secrets and channels are built first, and only then swapped in; on any
// error the running schedule is untouched and the error is returned.
func (d *Daemon) Reload(ctx context.Context) error {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	if err := d.opts.Systemd.Reloading(); err != nil {
		d.log.Warn("cannot notify systemd", "err", err)
	}
	defer func() {
		if err := d.opts.Systemd.Ready(); err != nil {
			d.log.Warn("cannot notify systemd", "err", err)
		}
	}()
	l, err := d.load()
	if err == nil {
		if err = d.withForecast(ctx, l.rt); err != nil {
			closeUnused(l.notifiers, *d.notifiers.Load())
		}
	}
	now := d.clock.Now()
	if err != nil {
		d.lastLoad.Store(&loadResult{At: now, Err: err})
		d.log.Error("reload failed; the previous profile stays in force", "profile", d.opts.ProfilePath, "err", err)
		return err
	}
	if was, now := d.eng.Runtime().Policy.Profile().Web, l.rt.Policy.Profile().Web; !sameWeb(was, now) {
		d.log.Warn("the profile's [web] table changed; restart crampd to apply it", "profile", d.opts.ProfilePath)
	}
	if err := d.eng.Swap(ctx, l.rt); err != nil {
		closeUnused(l.notifiers, *d.notifiers.Load())
		return err
	}
	old := d.notifiers.Swap(&l.notifiers)
	d.out.SetChannels(l.notifiers)
	closeUnused(*old, l.notifiers)
	if err := d.replies.Update(ctx, subscriptions(l.notifiers)); err != nil {
		d.log.Error("cannot follow the reply topics of the reloaded channels", "err", err)
	}
	p := l.rt.Policy.Profile()
	d.weather.Configure(p.Weather, p.Location)
	d.lastLoad.Store(&loadResult{At: now})
	d.log.Info("profile reloaded", "profile", d.opts.ProfilePath, "next", d.nextDescription())
	return nil
}

// Stop stops the components in reverse order, each given what is left of
// the stop grace, then closes the channels, the store and the lock. Work
// not finished stays pending in the store for the next start.
func (d *Daemon) Stop() error {
	var err error
	d.stopOnce.Do(func() {
		if nerr := d.opts.Systemd.Stopping(); nerr != nil {
			d.log.Warn("cannot notify systemd", "err", nerr)
		}
		err = errors.Join(d.stopComponents(), d.Close())
		d.log.Info("crampd stopped")
	})
	return err
}

// stopComponents stops the started components in reverse order.
func (d *Daemon) stopComponents() error {
	ctx, cancel := context.WithTimeout(context.Background(), d.opts.StopGrace)
	defer cancel()
	var errs []error
	for ; d.started > 0; d.started-- {
		c := d.components[d.started-1]
		if err := c.stop(ctx); err != nil {
			d.log.Warn("component did not stop cleanly", "component", c.name, "err", err)
			errs = append(errs, fmt.Errorf("stop %s: %w", c.name, err))
		}
	}
	return errors.Join(errs...)
}

// Close releases the socket, the channels, the store and the state lock of
// a daemon that was never started (Stop calls it too).
func (d *Daemon) Close() error {
	if d.ln != nil {
		d.ln.Close()
	}
	if d.webLn != nil {
		d.webLn.Close()
	}
	if n := d.notifiers.Load(); n != nil {
		closeUnused(*n, nil)
	}
	var err error
	if d.store != nil {
		err = d.store.Close()
	}
	d.lock.Close()
	return err
}

func (d *Daemon) startOutbox(ctx context.Context) error {
	if err := d.out.Load(ctx); err != nil {
		return err
	}
	d.out.Start()
	return nil
}

func (d *Daemon) stopOutbox(ctx context.Context) error {
	d.out.Stop(ctx)
	return nil
}

// serveControl is the control socket as a component.
func (d *Daemon) serveControl(ln net.Listener) component {
	srv := control.NewServer(d.svc, d.log.With("component", "control"))
	if d.opts.Socket == control.SystemSocket {
		srv.AllowRoot()
	}
	done := make(chan struct{})
	return component{
		name: "control",
		start: func(context.Context) error {
			go func() {
				defer close(done)
				if err := srv.Serve(ln); err != nil {
					d.log.Error("control API stopped", "err", err)
				}
			}()
			return nil
		},
		stop: func(ctx context.Context) error {
			err := srv.Shutdown(ctx)
			<-done
			return err
		},
	}
}

// watchdog feeds systemd's watchdog while the schedule loop answers and the
// store responds; if either hangs, systemd restarts crampd.
func (d *Daemon) watchdog() component {
	return d.every("watchdog", d.opts.Watchdog, func(ctx context.Context) {
		if err := d.healthy(ctx); err != nil {
			d.log.Error("unhealthy; not feeding the watchdog", "err", err)
			return
		}
		if err := d.opts.Systemd.Watchdog(); err != nil {
			d.log.Warn("cannot notify systemd", "err", err)
		}
	})
}

// every is a component that runs fn every period of the daemon's clock.
func (d *Daemon) every(name string, period time.Duration, fn func(context.Context)) component {
	var (
		cancel context.CancelFunc
		done   = make(chan struct{})
	)
	return component{
		name: name,
		start: func(context.Context) error {
			var ctx context.Context
			ctx, cancel = context.WithCancel(context.Background())
			t := d.clock.NewTicker(period)
			go func() {
				defer close(done)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.Chan():
						fn(ctx)
					}
				}
			}()
			return nil
		},
		stop: func(ctx context.Context) error {
			cancel()
			select {
			case <-done:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		},
	}
}

// healthy checks that the loop answers and the store responds.
func (d *Daemon) healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Watchdog)
	defer cancel()
	if err := d.eng.Ping(ctx); err != nil {
		return err
	}
	return d.store.Ping(ctx)
}

// Info describes the running daemon, for the status use case.
func (d *Daemon) Info() app.HostInfo {
	last := d.lastLoad.Load()
	return app.HostInfo{StartedAt: d.startedAt, ProfilePath: d.opts.ProfilePath, LastLoad: last.At, LoadErr: last.Err, Replies: d.replies.Status()}
}

// Service returns the use cases the daemon serves.
func (d *Daemon) Service() *app.Service { return d.svc }

// onAction turns a desktop button press into an action: the button's
// answer is the action's verb.
func (d *Daemon) onAction(id string, a desktop.Action) {
	if _, err := d.svc.Handle(context.Background(), app.Action{OccurrenceID: id, Verb: app.Verb(a), Source: app.SourceDesktop}); err != nil {
		d.log.Warn("notification button failed", "id", id, "err", err)
	}
}

// keyLoader returns a function that loads (or makes) the reply key in dir
// the first time it is asked, and keeps it. A failure is not kept: a key
// file fixed after a refused reload works on the next one.
func keyLoader(dir string) func() (reply.Key, error) {
	var (
		mu  sync.Mutex
		key reply.Key
	)
	return func() (reply.Key, error) {
		mu.Lock()
		defer mu.Unlock()
		if !key.IsZero() {
			return key, nil
		}
		k, err := reply.LoadKey(dir)
		if err == nil {
			key = k
		}
		return k, err
	}
}

// nextDescription names the next reminder, for logs.
func (d *Daemon) nextDescription() string {
	for _, o := range d.eng.Upcoming(1) {
		return fmt.Sprintf("%s %s at %s", o.Kind, o.ID, o.At.Format(time.RFC3339))
	}
	return "none planned"
}

// routes maps each kind to the channels that take it.
func routes(chs []profile.Channel) map[domain.Kind][]string {
	out := map[domain.Kind][]string{}
	for _, k := range domain.Kinds() {
		for _, c := range chs {
			if c.Takes(k) {
				out[k] = append(out[k], c.Name)
			}
		}
	}
	return out
}
