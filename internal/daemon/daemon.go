// Package daemon is crampd's runtime: it fires exactly what the plan says,
// on time, once. The plan decides instants; gocron runs one one-time job per
// upcoming occurrence in a rolling window; a wall-clock sentinel catches up
// after a suspend, a clock jump or downtime; the store records each
// occurrence before anything is sent; and the outbox delivers and retries.
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
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"
	"golang.org/x/sys/unix"

	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/systemd"
	"github.com/crampd/crampd/internal/wallclock"
)

// Tunables. They are variables only so the documentation can cite them.
const (
	// idleSleep is the longest the loop sleeps on its wall-clock alarm
	// with nothing due: long, because the alarm also wakes it at every
	// armed instant, on resume from suspend and when the clock is set.
	idleSleep = time.Hour
	// fallbackSleep replaces it where the alarm cannot follow the wall
	// clock across a suspend (no timerfd).
	fallbackSleep = 30 * time.Second
	// catchUpLog is how far past its deadline the alarm must wake before
	// the loop says it is catching up (a suspend, or the clock set).
	catchUpLog = time.Minute
	// horizon is how far ahead jobs are armed; the window is topped up
	// when less than half of it remains. Armed jobs cost nothing while
	// they wait, and a long window spares the idle daemon wakes.
	horizon = 6 * time.Hour
	// maxArmed caps the jobs armed at once (one per instant), so that
	// start-up and reloads stay fast for dense schedules; the sentinel tops
	// the window up as it drains.
	maxArmed = 256
	// handledFor is how long the loop remembers what it handled.
	handledFor = 6 * time.Hour
	// maxCatchUp bounds how far back a start scans for missed reminders.
	maxCatchUp = 7 * 24 * time.Hour
	// lastSeenEvery is how often the reconciled high-water mark is
	// persisted while reminders are being recorded, and lastSeenIdle how
	// often while none are; it is also persisted on start, reload and
	// stop. Everything the current profile had due before the mark is in
	// the store, so a restart rescans at most this much of what the store
	// already holds, and an idle daemon does not write every wake.
	lastSeenEvery = 5 * time.Minute
	lastSeenIdle  = 6 * time.Hour
	// stopGrace is how long in-flight deliveries get on shutdown.
	stopGrace = 5 * time.Second
	// lead is how long before its instant an occurrence's job runs. The
	// loop records it then, with its deliveries held until the instant, so
	// that the fsync'd commit is done by the time it is due and the outbox
	// sends at the instant itself. A crash in between finds it in the store
	// and sends it at its instant (or, if later, on start).
	lead = 500 * time.Millisecond
	// early is how far before its instant a job may run and still count as
	// on time (lead included); earlier means the wall clock was stepped
	// back.
	early = lead + time.Second
)

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
}

// runtime is everything a reload replaces, swapped as one pointer.
type runtime struct {
	profile  *profile.Profile
	notifier map[string]notify.Notifier
	routes   map[domain.Kind][]string
	// repeats maps a medication dose's rule to its repeat settings.
	repeats map[string]profile.Medication
}

// Daemon is a running crampd.
type Daemon struct {
	opts  Options
	clock clockwork.Clock
	log   *slog.Logger
	store *store.Store
	out   *outbox.Outbox
	sched gocron.Scheduler
	// lock holds the state directory, so that two daemons never fire the
	// same reminders.
	lock    *os.File
	ctl     *control.Server
	ln      net.Listener
	ctlDone chan struct{}

	rt atomic.Pointer[runtime]

	// due carries the occurrences of one instant from its gocron job to
	// the loop.
	due chan []domain.Occurrence
	// reloads carries validated runtimes to the loop.
	reloads chan reloadReq
	// pings lets the watchdog check that the loop is alive.
	pings chan chan struct{}

	// The loop goroutine owns the fields below.
	// armed holds one job per instant (unix nanoseconds); armedUntil is the
	// end of the window whose instants are armed.
	armed      map[int64]uuid.UUID
	armedUntil time.Time
	// capped is set when the last top-up stopped at maxArmed.
	capped bool
	// recordedSince is set when occurrences were recorded after the
	// high-water mark was last persisted.
	recordedSince bool
	// overdue holds occurrences that came within the lead of their instant
	// before a job could be armed for them; the loop fires them next.
	overdue []domain.Occurrence
	// wakeAt is the deadline the alarm was last set for.
	wakeAt         time.Time
	handled        map[string]time.Time
	lastReconciled time.Time
	lastPersisted  time.Time

	// pauseUntil caches the persisted pause end (unix ms; 0 for none).
	pauseUntil atomic.Int64

	started   time.Time
	reloadMu  sync.Mutex
	lastLoad  atomic.Pointer[loadResult]
	runCtx    context.Context
	cancel    context.CancelFunc
	loopDone  chan struct{}
	outDone   chan struct{}
	stopOnce  sync.Once
	firedHook func([]domain.Occurrence)
}

type reloadReq struct {
	rt    *runtime
	reply chan struct{}
	// probe, in tests, asks the loop how many jobs are armed.
	probe chan int
}

// loadResult describes the latest load or reload, for status.
type loadResult struct {
	At  time.Time
	Err error
}

// New loads the profile, reads the channels' secrets and opens the store.
// Any problem is returned before anything runs, with the same messages as
// `crampd check`.
func New(ctx context.Context, opts Options) (*Daemon, error) {
	if opts.Systemd == nil {
		opts.Systemd = systemd.Nop{}
	}
	if opts.Stdout == nil {
		opts.Stdout = io.Discard
	}
	d := &Daemon{
		opts:    opts,
		clock:   opts.Clock,
		log:     opts.Logger,
		due:     make(chan []domain.Occurrence, 64),
		reloads: make(chan reloadReq),
		pings:   make(chan chan struct{}),
		armed:   map[int64]uuid.UUID{},
		handled: map[string]time.Time{},
	}
	rt, err := d.load()
	if err != nil {
		return nil, err
	}
	d.rt.Store(rt)
	d.lastLoad.Store(&loadResult{At: d.clock.Now()})
	if d.lock, err = lockDir(opts.StateDir); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, opts.StateDir)
	if err != nil {
		d.lock.Close()
		return nil, err
	}
	d.store = st
	if opts.Socket != "" {
		if d.ln, err = control.Listen(opts.Socket); err != nil {
			d.Close()
			return nil, err
		}
		d.ctl = control.NewServer(d, d.log.With("component", "control"))
	}
	d.out = outbox.New(st, d.clock, d.log.With("component", "outbox"), 16)
	d.out.SetChannels(rt.notifier)
	d.out.SetGate(d.gate)
	until, ok, err := st.PauseUntil(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	if ok {
		d.pauseUntil.Store(until.UnixMilli())
	}
	return d, nil
}

// load builds a runtime from the profile file: everything that can fail,
// done before anything is swapped.
func (d *Daemon) load() (*runtime, error) {
	p, err := profile.Load(d.opts.ProfilePath)
	if err != nil {
		return nil, err
	}
	if err := p.CheckSecrets(d.opts.Getenv); err != nil {
		return nil, err
	}
	deps := channelDeps{clock: d.clock, log: d.log, stdout: d.opts.Stdout, getenv: d.opts.Getenv,
		onAction: func(id string, a desktop.Action) { d.onAction(id, a == desktop.ActionSnooze) }}
	if old := d.rt.Load(); old != nil {
		deps.previous = old.notifier
	}
	notifiers, chs, err := buildChannels(p, deps)
	if err != nil {
		return nil, err
	}
	repeats := map[string]profile.Medication{}
	for _, m := range p.Medications {
		for _, c := range m.Times {
			repeats["medication/"+m.Name+"/"+c.String()] = m
		}
	}
	return &runtime{profile: p, notifier: notifiers, routes: routes(chs), repeats: repeats}, nil
}

// Start catches up on what came due while crampd was not running, arms the
// schedule, starts delivering, and tells systemd it is ready.
func (d *Daemon) Start(ctx context.Context) error {
	sched, err := gocron.NewScheduler(
		gocron.WithClock(d.clock),
		gocron.WithLogger(quietLogger{d.log.With("component", "gocron")}),
		// Jobs only hand an occurrence to the loop; many may come due in the
		// same second and must not be dropped.
		gocron.WithLimitConcurrentJobs(256, gocron.LimitModeWait),
		gocron.WithStopTimeout(stopGrace),
	)
	if err != nil {
		return fmt.Errorf("create scheduler: %w", err)
	}
	d.sched = sched
	if err := d.out.Load(ctx); err != nil {
		return err
	}

	d.runCtx, d.cancel = context.WithCancel(context.Background())
	now := d.clock.Now()
	d.started = now
	lastSeen, err := d.store.LastSeen(ctx)
	if err != nil {
		return err
	}
	// On a first start there is nothing to catch up: crampd was not meant
	// to be reminding anyone before it was installed.
	from := now
	if !lastSeen.IsZero() && lastSeen.Before(now) {
		from = lastSeen
		if limit := now.Add(-maxCatchUp); from.Before(limit) {
			from = limit
		}
	}
	d.lastReconciled = from
	d.reconcile(now)
	d.topUp(now)
	d.persistLastSeen()

	runCtx := d.runCtx
	d.loopDone = make(chan struct{})
	d.outDone = make(chan struct{})
	go func() { defer close(d.outDone); d.out.Run(runCtx, stopGrace) }()
	sched.Start()
	// Timers are created here, not in their goroutines, so that they are
	// armed before Start returns.
	al := wallclock.New(d.clock)
	d.setAlarm(al)
	go d.loop(runCtx, al)
	if d.opts.Watchdog > 0 {
		wd := d.clock.NewTicker(d.opts.Watchdog)
		go d.watchdog(runCtx, wd)
	}
	if d.ctl != nil {
		d.ctlDone = make(chan struct{})
		go func() {
			defer close(d.ctlDone)
			if err := d.ctl.Serve(d.ln); err != nil {
				d.log.Error("control API stopped", "err", err)
			}
		}()
	}
	// Cramps logged while the daemon was down may call for a nudge.
	if _, err := d.nudge(ctx, now); err != nil {
		d.log.Warn("cannot check the cramp journal", "err", err)
	}
	d.log.Info("crampd is running", "profile", d.opts.ProfilePath, "state", d.store.Path(),
		"zone", d.rt.Load().profile.Location.String(), "armed", len(d.armed), "next", d.nextDescription())
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
	rt, err := d.load()
	now := d.clock.Now()
	if err != nil {
		d.lastLoad.Store(&loadResult{At: now, Err: err})
		d.log.Error("reload failed; the previous profile stays in force", "profile", d.opts.ProfilePath, "err", err)
		return err
	}
	reply := make(chan struct{})
	select {
	case d.reloads <- reloadReq{rt: rt, reply: reply}:
		<-reply
	case <-ctx.Done():
		return ctx.Err()
	}
	d.lastLoad.Store(&loadResult{At: now})
	d.log.Info("profile reloaded", "profile", d.opts.ProfilePath, "armed", d.armedCount(), "next", d.nextDescription())
	return nil
}

// Stop stops arming and firing, gives in-flight deliveries up to five
// seconds, and leaves the rest pending in the outbox for the next start.
func (d *Daemon) Stop() error {
	var err error
	d.stopOnce.Do(func() {
		if nerr := d.opts.Systemd.Stopping(); nerr != nil {
			d.log.Warn("cannot notify systemd", "err", nerr)
		}
		if d.ctlDone != nil {
			ctx, cancel := context.WithTimeout(context.Background(), stopGrace)
			d.ctl.Shutdown(ctx)
			cancel()
			<-d.ctlDone
		}
		if d.sched != nil {
			if serr := d.sched.Shutdown(); serr != nil && !errors.Is(serr, gocron.ErrStopSchedulerTimedOut) {
				d.log.Warn("scheduler shutdown", "err", serr)
			}
		}
		if d.cancel != nil {
			d.cancel()
			<-d.loopDone
			<-d.outDone
		}
		d.persistLastSeen()
		closeUnused(d.rt.Load().notifier, nil)
		err = d.Close()
		d.log.Info("crampd stopped")
	})
	return err
}

// Close releases the socket, the store and the state lock of a daemon that
// was never started (Stop calls it too).
func (d *Daemon) Close() error {
	if d.ln != nil {
		d.ln.Close()
		if d.ctlDone == nil {
			os.Remove(d.opts.Socket)
		}
	}
	err := d.store.Close()
	d.lock.Close()
	return err
}

// lockDir takes an exclusive lock on dir/lock for the life of the process.
func lockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: another crampd uses the state directory %s", control.ErrRunning, dir)
		}
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	return f, nil
}

// loop owns the schedule: it fires what jobs hand it, ticks the sentinel
// and applies reloads, one at a time.
func (d *Daemon) loop(ctx context.Context, al wallclock.Alarm) {
	defer close(d.loopDone)
	defer al.Close()
	for {
		if len(d.overdue) > 0 {
			occs := d.overdue
			d.overdue = nil
			// A failed write leaves them to the next reconcile, which
			// covers everything after the last one that succeeded.
			d.fire(occs, d.clock.Now())
			d.setAlarm(al)
		}
		select {
		case <-ctx.Done():
			return
		case batch := <-d.due:
			// Group everything already waiting into one transaction: a
			// thousand reminders due in the same second cost one commit.
		drain:
			for len(batch) < 4096 {
				select {
				case more := <-d.due:
					batch = append(batch, more...)
				default:
					break drain
				}
			}
			now := d.clock.Now()
			d.fire(batch, now)
			d.topUp(now)
		case <-al.C():
			now := d.clock.Now()
			if late := now.Sub(d.wakeAt); late > catchUpLog {
				d.log.Info("woke late (suspend or clock change); catching up", "late", late.Round(time.Second).String())
			}
			d.reconcile(now)
			d.topUp(now)
			since := d.lastReconciled.Sub(d.lastPersisted)
			if (d.recordedSince && since >= lastSeenEvery) || since >= lastSeenIdle || since < 0 {
				d.persistLastSeen()
			}
			// Without a timerfd the outbox waits on a Go timer, which a
			// suspend stalls: let it re-read the clock.
			d.out.Wake()
		case req := <-d.reloads:
			if req.probe != nil {
				req.probe <- len(d.armed)
				continue
			}
			d.swap(req.rt)
			close(req.reply)
		case reply := <-d.pings:
			close(reply)
			continue
		}
		d.setAlarm(al)
	}
}

// setAlarm arms the wall-clock alarm for the next thing the loop must look
// at: the earliest armed job (a suspend may stall it), the time to top the
// window up, or at most the longest sleep.
func (d *Daemon) setAlarm(al wallclock.Alarm) {
	now := d.clock.Now()
	sleep := idleSleep
	if !al.Wall() {
		// Go timers stall in a suspend: re-read the clock often.
		sleep = fallbackSleep
	}
	next := now.Add(sleep)
	if t := d.armedUntil.Add(-horizon / 2); !d.capped && t.Before(next) {
		next = t
	}
	for ns := range d.armed {
		// With its job, so that nothing but the delivery runs at the
		// instant itself.
		if t := time.Unix(0, ns).Add(-lead); t.Before(next) {
			next = t
		}
	}
	// Never spin: an instant already due is its job's to fire, and a
	// failed write is retried a second later.
	if floor := now.Add(time.Second); next.Before(floor) {
		next = floor
	}
	d.wakeAt = next
	al.Set(next)
}

// reconcile fires or records everything due between the last reconcile and
// now that nothing has handled yet. On an ordinary tick that window holds
// what the jobs already fired; after a suspend or a forward clock jump it
// holds what their stalled timers have not.
func (d *Daemon) reconcile(now time.Time) {
	from := d.lastReconciled
	if now.Before(from) {
		// The wall clock stepped back. Nothing new is due; jobs armed for
		// the old "now" would fire early, so re-arm them.
		d.log.Warn("wall clock stepped back; re-arming", "by", from.Sub(now).Round(time.Second).String())
		d.disarmAll()
		d.lastReconciled = now
		return
	}
	rt := d.rt.Load()
	// The plan window is half-open; include now itself.
	occs := plan.Build(rt.profile, from, now.Add(time.Nanosecond))
	if d.fire(occs, now) {
		// Only once everything up to now is recorded does the window move
		// on; after a failed write the next tick tries the same window.
		d.lastReconciled = now
	}
}

// fire decides, for each occurrence, whether it fires now, was missed, or
// came early, then records and delivers. Recording happens in one
// transaction before any delivery is attempted. It reports whether
// everything was recorded.
func (d *Daemon) fire(occs []domain.Occurrence, now time.Time) bool {
	if len(occs) == 0 {
		return true
	}
	rt := d.rt.Load()
	var due []store.Due
	var missed, skipped, fired []domain.Occurrence
	pausedNow := d.paused(now)
	for _, o := range occs {
		if _, done := d.handled[o.ID]; done {
			continue
		}
		if o.At.After(now.Add(early)) {
			// A job ran before its instant: the wall clock went back
			// after it was armed. Arm it again for its real instant.
			d.disarm(o.At)
			d.arm([]domain.Occurrence{o})
			continue
		}
		grace := rt.profile.Grace[o.Kind]
		if late := now.Sub(o.At); late > grace {
			missed = append(missed, o)
			continue
		}
		// Due during a pause, or handled during one: skipped, even when a
		// stalled timer only hands it over after the pause has ended.
		if pausedNow || d.paused(o.At) {
			skipped = append(skipped, o)
			continue
		}
		// Recorded ahead of its instant (see lead): everything that counts
		// from the firing counts from the instant.
		at := now
		if o.At.After(now) {
			at = o.At
		}
		due = append(due, store.Due{Occurrence: o, Channels: rt.routes[o.Kind], SendAt: at, Expires: expiresAt(o, grace, at), Followups: d.repeatsOf(rt, o, at)})
		fired = append(fired, o)
	}
	ctx := context.Background()
	var recordedNow []domain.Occurrence
	if len(due) > 0 {
		deliveries, err := d.store.RecordFired(ctx, now, due)
		if err != nil {
			// Nothing was recorded, so nothing is marked handled: the next
			// tick tries again within the grace window.
			d.log.Error("cannot record due reminders; will retry", "count", len(due), "err", err)
			return false
		}
		recorded := map[string]bool{}
		for _, del := range deliveries {
			recorded[del.Occurrence.ID] = true
		}
		for _, o := range fired {
			if recorded[o.ID] {
				recordedNow = append(recordedNow, o)
				d.log.Info("reminder due", "id", o.ID, "kind", o.Kind, "title", o.Title, "at", o.At.Format(time.RFC3339Nano), "late_ms", max(0, now.Sub(o.At).Milliseconds()))
			}
		}
		d.out.Submit(deliveries)
	}
	if len(missed) > 0 {
		ids, err := d.store.RecordUnfired(ctx, now, missed, domain.StatusMissed, "past its grace window")
		if err != nil {
			d.log.Error("cannot record missed reminders; will retry", "count", len(missed), "err", err)
			return false
		}
		d.logMissed(missed, ids)
	}
	if len(skipped) > 0 {
		ids, err := d.store.RecordUnfired(ctx, now, skipped, domain.StatusSkipped, "paused")
		if err != nil {
			d.log.Error("cannot record skipped reminders; will retry", "count", len(skipped), "err", err)
			return false
		}
		if len(ids) > 0 {
			d.log.Info("reminders skipped: crampd is paused", "count", len(ids), "until", time.UnixMilli(d.pauseUntil.Load()).Format(time.RFC3339))
		}
	}
	d.recordedSince = true
	for _, group := range [][]domain.Occurrence{fired, missed, skipped} {
		for _, o := range group {
			d.handled[o.ID] = o.At
			// Everything due at an instant is handled together, so its
			// job (which may not have run yet) has nothing left to do.
			d.disarm(o.At)
		}
	}
	if d.firedHook != nil && len(recordedNow) > 0 {
		d.firedHook(recordedNow)
	}
	return true
}

// logMissed logs newly recorded missed reminders: one line each for a few,
// one summary line for many (after days of downtime).
func (d *Daemon) logMissed(occs []domain.Occurrence, ids []string) {
	if len(ids) == 0 {
		return
	}
	if len(ids) > 5 {
		d.log.Warn("reminders missed while crampd could not fire them", "count", len(ids),
			"first", occs[0].At.Format(time.RFC3339), "last", occs[len(occs)-1].At.Format(time.RFC3339))
		return
	}
	isNew := map[string]bool{}
	for _, id := range ids {
		isNew[id] = true
	}
	for _, o := range occs {
		if isNew[o.ID] {
			d.log.Warn("reminder missed: too late to be useful", "id", o.ID, "kind", o.Kind, "title", o.Title, "due", o.At.Format(time.RFC3339))
		}
	}
}

// topUp arms jobs for the instants of the next horizon that are not armed
// yet, up to maxArmed, when the armed window runs low.
func (d *Daemon) topUp(now time.Time) {
	if d.capped {
		// Stopped at maxArmed: refill once half of it has fired, or the
		// window ran out (a clock jump).
		if len(d.armed) >= maxArmed/2 && d.armedUntil.After(now) {
			return
		}
	} else if d.armedUntil.Sub(now) > horizon/2 {
		return
	}
	d.capped = false
	from := d.armedUntil
	if from.Before(d.lastReconciled) {
		from = d.lastReconciled
	}
	until := now.Add(horizon)
	occs := plan.Build(d.rt.Load().profile, from, until)
	for len(occs) > 0 {
		n := 1
		for n < len(occs) && occs[n].At.Equal(occs[0].At) {
			n++
		}
		if len(d.armed) >= maxArmed {
			// The window ends at the first instant left unarmed.
			until, d.capped = occs[0].At, true
			break
		}
		d.arm(occs[:n])
		occs = occs[n:]
	}
	d.armedUntil = until
	d.prune(now)
}

// arm creates the one-time job that hands the occurrences of one instant to
// the loop, leaving out those already handled.
func (d *Daemon) arm(occs []domain.Occurrence) {
	at := occs[0].At
	if _, ok := d.armed[at.UnixNano()]; ok {
		return
	}
	todo := make([]domain.Occurrence, 0, len(occs))
	tags := []string{"occurrence"}
	for _, o := range occs {
		if _, done := d.handled[o.ID]; !done {
			todo = append(todo, o)
			tags = append(tags, "kind:"+string(o.Kind), "rule:"+o.Rule)
		}
	}
	if len(todo) == 0 {
		return
	}
	start := at.Add(-lead)
	if !start.After(d.clock.Now()) {
		// Within the lead already (or past): a job could not be armed
		// for it, so the loop fires it as soon as it is free.
		d.overdue = append(d.overdue, todo...)
		return
	}
	j, err := d.sched.NewJob(
		gocron.OneTimeJob(gocron.OneTimeJobStartDateTime(start)),
		gocron.NewTask(func() {
			select {
			case d.due <- todo:
			case <-d.runCtx.Done():
				// Stopping: the next start's catch-up handles them.
			}
		}),
		gocron.WithName(at.UTC().Format(time.RFC3339Nano)),
		gocron.WithTags(slices.Compact(slices.Sorted(slices.Values(tags)))...),
	)
	if err != nil {
		// The clock passed start meanwhile: fire them from the loop.
		d.log.Debug("cannot arm reminders", "at", at, "err", err)
		d.overdue = append(d.overdue, todo...)
		return
	}
	d.armed[at.UnixNano()] = j.ID()
}

// disarm removes the job of one instant.
func (d *Daemon) disarm(at time.Time) {
	if jid, ok := d.armed[at.UnixNano()]; ok {
		_ = d.sched.RemoveJob(jid)
		delete(d.armed, at.UnixNano())
	}
}

func (d *Daemon) disarmAll() {
	d.sched.RemoveByTags("occurrence")
	clear(d.armed)
	d.armedUntil = time.Time{}
}

// swap puts a reloaded runtime in force: new channels, new routes, and a
// schedule re-armed from the new plan.
func (d *Daemon) swap(rt *runtime) {
	now := d.clock.Now()
	d.reconcile(now)
	old := d.rt.Load()
	d.rt.Store(rt)
	defer closeUnused(old.notifier, rt.notifier)
	d.out.SetChannels(rt.notifier)
	d.disarmAll()
	d.topUp(now)
	// The new profile's rules may have had instants before now that were
	// never planned; a restart must not take them for missed.
	d.persistLastSeen()
}

// prune forgets handled occurrences older than the sentinel can look back.
// The store is what guarantees once-only; the map only spares it repeated
// lookups, so keeping a few hours is plenty.
func (d *Daemon) prune(now time.Time) {
	for id, at := range d.handled {
		if now.Sub(at) > handledFor {
			delete(d.handled, id)
		}
	}
}

// persistLastSeen stores how far reconciling has got: everything due before
// it is recorded, so the next start scans from there.
func (d *Daemon) persistLastSeen() {
	if err := d.store.SetLastSeen(context.Background(), d.lastReconciled); err != nil {
		d.log.Warn("cannot persist last-seen time", "err", err)
		return
	}
	d.lastPersisted = d.lastReconciled
	d.recordedSince = false
}

// nextDescription names the next reminder, for logs.
func (d *Daemon) nextDescription() string {
	for _, o := range Upcoming(d.rt.Load().profile, d.clock.Now(), 1) {
		return fmt.Sprintf("%s %s at %s", o.Kind, o.ID, o.At.Format(time.RFC3339))
	}
	return "none planned"
}

func (d *Daemon) armedCount() int { return len(d.sched.Jobs()) }

// watchdog feeds systemd's watchdog while the loop answers and the store
// responds; if either hangs, systemd restarts crampd.
func (d *Daemon) watchdog(ctx context.Context, t clockwork.Ticker) {
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.Chan():
		}
		if err := d.healthy(ctx); err != nil {
			d.log.Error("unhealthy; not feeding the watchdog", "err", err)
			continue
		}
		if err := d.opts.Systemd.Watchdog(); err != nil {
			d.log.Warn("cannot notify systemd", "err", err)
		}
	}
}

// healthy checks that the loop answers and the store responds.
func (d *Daemon) healthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.Watchdog)
	defer cancel()
	reply := make(chan struct{})
	select {
	case d.pings <- reply:
	case <-ctx.Done():
		return errors.New("schedule loop does not answer")
	}
	<-reply
	return d.store.Ping(ctx)
}

// quietLogger passes gocron's warnings and errors through and demotes its
// lifecycle chatter to debug.
type quietLogger struct{ *slog.Logger }

func (l quietLogger) Info(msg string, args ...any) { l.Logger.Debug(msg, args...) }
