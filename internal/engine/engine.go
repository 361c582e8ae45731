// Package engine fires exactly what the plan says, on time, once. The plan
// decides instants; gocron runs one one-time job per upcoming instant in a
// rolling window; a wall-clock alarm catches up after a suspend, a clock
// jump or downtime; each occurrence is recorded in the store before
// anything is sent; and the outbox delivers it. What becomes of an
// occurrence (fired, missed, skipped, how long it stays worth sending, its
// repeats) is decided by package rules, the same rules a person's actions
// go through.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/google/uuid"
	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/wallclock"
)

// Tunables.
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
	// start-up and reloads stay fast for dense schedules; the alarm tops
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

// Runtime is what a reload replaces: the profile's rules, the plan's
// inputs and which channels take each kind.
type Runtime struct {
	Policy *rules.Policy
	Inputs plan.Inputs
	// Routes maps each kind to the channels that take it.
	Routes map[domain.Kind][]string
}

// Options configures an Engine.
type Options struct {
	Clock   clockwork.Clock
	Logger  *slog.Logger
	Store   *store.Store
	Outbox  *outbox.Outbox
	Runtime *Runtime
	// Pause is the pause in force at start.
	Pause rules.Pause
}

// Engine is the scheduling loop.
type Engine struct {
	clock clockwork.Clock
	log   *slog.Logger
	store *store.Store
	out   *outbox.Outbox
	sched gocron.Scheduler

	rt    atomic.Pointer[Runtime]
	pause atomic.Pointer[rules.Pause]

	// due carries the occurrences of one instant from its gocron job to
	// the loop.
	due chan []domain.Occurrence
	// swaps carries validated runtimes to the loop.
	swaps chan swapReq
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

	// progress is what the loop last reported, for HandledThrough.
	progressMu sync.Mutex
	progress   progress
	changed    chan struct{}

	started   time.Time
	runCtx    context.Context
	cancel    context.CancelFunc
	loopDone  chan struct{}
	firedHook func([]domain.Occurrence)
}

// progress is the loop's state after its last step: when its alarm will
// wake it next, and the earliest armed job's start.
type progress struct {
	running  bool
	deadline time.Time
	nextJob  time.Time
}

type swapReq struct {
	rt    *Runtime
	reply chan struct{}
	// probe asks the loop how many jobs are armed.
	probe chan int
}

// New returns an engine; nothing runs until Start.
func New(opts Options) *Engine {
	e := &Engine{
		clock: opts.Clock, log: opts.Logger, store: opts.Store, out: opts.Outbox,
		due:     make(chan []domain.Occurrence, 64),
		swaps:   make(chan swapReq),
		pings:   make(chan chan struct{}),
		armed:   map[int64]uuid.UUID{},
		handled: map[string]time.Time{},
	}
	e.rt.Store(opts.Runtime)
	e.pause.Store(&opts.Pause)
	// A pause holds the outbox's deliveries too: first sendings wait for
	// its end, repeats and snoozes that fall in it are skipped.
	e.out.SetGate(func(d domain.Delivery, now time.Time) outbox.Verdict {
		h := rules.HoldFor(d, now, e.Pause())
		return outbox.Verdict{Hold: h.Until, Skip: h.Skip, Reason: h.Reason}
	})
	return e
}

// Runtime returns the runtime in force.
func (e *Engine) Runtime() *Runtime { return e.rt.Load() }

// Policy returns the rules in force.
func (e *Engine) Policy() *rules.Policy { return e.rt.Load().Policy }

// Inputs returns the plan inputs in force.
func (e *Engine) Inputs() plan.Inputs { return e.rt.Load().Inputs }

// Routes returns the channels that take reminders of kind k.
func (e *Engine) Routes(k domain.Kind) []string { return e.rt.Load().Routes[k] }

// Pause returns the pause in force.
func (e *Engine) Pause() rules.Pause { return *e.pause.Load() }

// SetPause puts p in force. The caller has stored it.
func (e *Engine) SetPause(p rules.Pause) { e.pause.Store(&p) }

// Started returns when Start ran.
func (e *Engine) Started() time.Time { return e.started }

// Submit hands recorded deliveries to the outbox.
func (e *Engine) Submit(ds []domain.Delivery) { e.out.Submit(ds) }

// Cancel drops deliveries the store has cancelled.
func (e *Engine) Cancel(ids []int64) { e.out.Cancel(ids) }

// Release makes deliveries the store released from a pause due now.
func (e *Engine) Release(ids []int64) { e.out.Release(ids) }

// Upcoming returns the next n planned occurrences.
func (e *Engine) Upcoming(n int) []domain.Occurrence {
	return e.rt.Load().Inputs.Upcoming(e.clock.Now(), n)
}

// Start catches up on what came due while crampd was not running, arms the
// schedule and starts the loop.
func (e *Engine) Start(ctx context.Context) error {
	sched, err := gocron.NewScheduler(
		gocron.WithClock(e.clock),
		gocron.WithLogger(quietLogger{e.log.With("component", "gocron")}),
		// Jobs only hand an occurrence to the loop; many may come due in the
		// same second and must not be dropped.
		gocron.WithLimitConcurrentJobs(256, gocron.LimitModeWait),
		gocron.WithStopTimeout(5*time.Second),
	)
	if err != nil {
		return fmt.Errorf("create scheduler: %w", err)
	}
	e.sched = sched
	e.runCtx, e.cancel = context.WithCancel(context.Background())
	now := e.clock.Now()
	e.started = now
	lastSeen, err := e.store.LastSeen(ctx)
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
	e.lastReconciled = from
	e.reconcile(now)
	e.topUp(now)
	e.persistLastSeen()

	e.loopDone = make(chan struct{})
	sched.Start()
	// The alarm is made here, not in the loop, so that it is armed before
	// Start returns.
	al := wallclock.New(e.clock)
	e.setAlarm(al)
	e.report()
	go e.loop(e.runCtx, al)
	return nil
}

// Stop stops the scheduler and the loop and waits for both; what is due
// later is caught up by the next start. It persists how far it got.
func (e *Engine) Stop(ctx context.Context) error {
	var err error
	if e.sched != nil {
		if serr := e.sched.Shutdown(); serr != nil && !errors.Is(serr, gocron.ErrStopSchedulerTimedOut) {
			err = fmt.Errorf("stop the scheduler: %w", serr)
		}
	}
	if e.cancel != nil {
		e.cancel()
		select {
		case <-e.loopDone:
		case <-ctx.Done():
			return fmt.Errorf("stop the schedule loop: %w", ctx.Err())
		}
		e.persistLastSeen()
	}
	return err
}

// Swap puts a reloaded runtime in force: new routes and a schedule re-armed
// from the new plan, applied by the loop between two steps.
func (e *Engine) Swap(ctx context.Context, rt *Runtime) error {
	reply := make(chan struct{})
	select {
	case e.swaps <- swapReq{rt: rt, reply: reply}:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-reply
	return nil
}

// Ping returns once the loop answers, or an error when ctx ends first.
func (e *Engine) Ping(ctx context.Context) error {
	reply := make(chan struct{})
	select {
	case e.pings <- reply:
	case <-ctx.Done():
		return errors.New("schedule loop does not answer")
	}
	<-reply
	return nil
}

// Armed returns how many jobs the loop has armed.
func (e *Engine) Armed() int {
	n := make(chan int)
	e.swaps <- swapReq{probe: n}
	return <-n
}

// OnFired registers fn to be called with the occurrences each fire step
// newly recorded as fired. It must be set before Start.
func (e *Engine) OnFired(fn func([]domain.Occurrence)) { e.firedHook = fn }

// HandledThrough waits until the loop has handled everything due at or
// before t: its alarm is set for a later time and no armed job starts at
// or before t. Tests use it after moving a fake clock, so that a check that
// nothing fired can fail.
func (e *Engine) HandledThrough(ctx context.Context, t time.Time) error {
	for {
		e.progressMu.Lock()
		p := e.progress
		done := !p.running || (p.deadline.After(t) && (p.nextJob.IsZero() || p.nextJob.After(t)))
		if done {
			e.progressMu.Unlock()
			return nil
		}
		if e.changed == nil {
			e.changed = make(chan struct{})
		}
		ch := e.changed
		e.progressMu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("the schedule loop has not handled what is due by %s (alarm at %s, next job at %s): %w",
				t.Format(time.RFC3339Nano), p.deadline.Format(time.RFC3339Nano), p.nextJob.Format(time.RFC3339Nano), ctx.Err())
		}
	}
}

// report publishes the loop's progress; the loop calls it after each step.
func (e *Engine) report() {
	var next time.Time
	for ns := range e.armed {
		if t := time.Unix(0, ns).Add(-lead); next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(e.overdue) > 0 {
		next = e.clock.Now()
	}
	e.progressMu.Lock()
	e.progress = progress{running: e.runCtx.Err() == nil, deadline: e.wakeAt, nextJob: next}
	if e.changed != nil {
		close(e.changed)
		e.changed = nil
	}
	e.progressMu.Unlock()
}

// loop owns the schedule: it fires what jobs hand it, wakes on the alarm
// and applies reloads, one at a time.
func (e *Engine) loop(ctx context.Context, al wallclock.Alarm) {
	defer close(e.loopDone)
	defer al.Close()
	defer e.report()
	for {
		if len(e.overdue) > 0 {
			occs := e.overdue
			e.overdue = nil
			// A failed write leaves them to the next reconcile, which
			// covers everything after the last one that succeeded.
			e.fire(occs, e.clock.Now())
			e.setAlarm(al)
			e.report()
		}
		select {
		case <-ctx.Done():
			return
		case batch := <-e.due:
			// Group everything already waiting into one transaction: a
			// thousand reminders due in the same second cost one commit.
		drain:
			for len(batch) < 4096 {
				select {
				case more := <-e.due:
					batch = append(batch, more...)
				default:
					break drain
				}
			}
			now := e.clock.Now()
			e.fire(batch, now)
			e.topUp(now)
		case <-al.C():
			now := e.clock.Now()
			if late := now.Sub(e.wakeAt); late > catchUpLog {
				e.log.Info("woke late (suspend or clock change); catching up", "late", late.Round(time.Second).String())
			}
			e.reconcile(now)
			e.topUp(now)
			since := e.lastReconciled.Sub(e.lastPersisted)
			if (e.recordedSince && since >= lastSeenEvery) || since >= lastSeenIdle || since < 0 {
				e.persistLastSeen()
			}
			// Without a timerfd the outbox waits on a Go timer, which a
			// suspend stalls: let it re-read the clock.
			e.out.Wake()
		case req := <-e.swaps:
			if req.probe != nil {
				req.probe <- len(e.armed)
				continue
			}
			e.swap(req.rt)
			// Re-armed before Swap returns, so that its caller may move
			// the clock at once.
			e.setAlarm(al)
			e.report()
			close(req.reply)
			continue
		case reply := <-e.pings:
			close(reply)
			continue
		}
		e.setAlarm(al)
		e.report()
	}
}

// setAlarm arms the wall-clock alarm for the next thing the loop must look
// at: the earliest armed job (a suspend may stall it), the time to top the
// window up, or at most the longest sleep.
func (e *Engine) setAlarm(al wallclock.Alarm) {
	now := e.clock.Now()
	sleep := idleSleep
	if !al.Wall() {
		// Go timers stall in a suspend: re-read the clock often.
		sleep = fallbackSleep
	}
	next := now.Add(sleep)
	if t := e.armedUntil.Add(-horizon / 2); !e.capped && t.Before(next) {
		next = t
	}
	for ns := range e.armed {
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
	e.wakeAt = next
	al.Set(next)
}

// reconcile fires or records everything due between the last reconcile and
// now that nothing has handled yet. On an ordinary wake that window holds
// what the jobs already fired; after a suspend or a forward clock jump it
// holds what their stalled timers have not.
func (e *Engine) reconcile(now time.Time) {
	from := e.lastReconciled
	if now.Before(from) {
		// The wall clock stepped back. Nothing new is due; jobs armed for
		// the old "now" would fire early, so re-arm them.
		e.log.Warn("wall clock stepped back; re-arming", "by", from.Sub(now).Round(time.Second).String())
		e.disarmAll()
		e.lastReconciled = now
		return
	}
	// The plan window is half-open; include now itself.
	occs := e.rt.Load().Inputs.Build(from, now.Add(time.Nanosecond))
	if e.fire(occs, now) {
		// Only once everything up to now is recorded does the window move
		// on; after a failed write the next wake tries the same window.
		e.lastReconciled = now
	}
}

// fire decides, for each occurrence, whether it fires now, was missed, was
// skipped, or came early, then records and delivers. Recording happens in
// one transaction before any delivery is attempted. It reports whether
// everything was recorded.
func (e *Engine) fire(occs []domain.Occurrence, now time.Time) bool {
	if len(occs) == 0 {
		return true
	}
	rt := e.rt.Load()
	pause := e.Pause()
	var (
		due                    []store.Due
		missed, skipped, fired []domain.Occurrence
		ahead                  = map[int64][]domain.Occurrence{}
	)
	for _, o := range occs {
		if _, done := e.handled[o.ID]; done {
			continue
		}
		if o.At.After(now.Add(early)) {
			// A job ran before its instant: the wall clock went back
			// after it was armed. Arm it again for its real instant,
			// with every other occurrence of that instant.
			ahead[o.At.UnixNano()] = append(ahead[o.At.UnixNano()], o)
			continue
		}
		d := rt.Policy.Decide(o, now, pause)
		switch d.Outcome {
		case rules.Missed:
			missed = append(missed, o)
		case rules.Skipped:
			skipped = append(skipped, o)
		default:
			due = append(due, store.Due{Occurrence: o, Channels: rt.Routes[o.Kind], SendAt: d.SendAt,
				Expires: rt.Policy.ExpiresAt(o, d.SendAt), Followups: rt.Policy.Repeats(o, d.SendAt)})
			fired = append(fired, o)
		}
	}
	for _, group := range ahead {
		e.disarm(group[0].At)
		e.arm(group)
	}
	ctx := context.Background()
	var recordedNow []domain.Occurrence
	if len(due) > 0 {
		deliveries, err := e.store.RecordFired(ctx, now, due)
		if err != nil {
			// Nothing was recorded, so nothing is marked handled: the next
			// wake tries again within the grace window.
			e.log.Error("cannot record due reminders; will retry", "count", len(due), "err", err)
			return false
		}
		recorded := map[string]bool{}
		for _, del := range deliveries {
			recorded[del.Occurrence.ID] = true
		}
		for _, o := range fired {
			if recorded[o.ID] {
				recordedNow = append(recordedNow, o)
				e.log.Info("reminder due", "id", o.ID, "kind", o.Kind, "title", o.Title, "at", o.At.Format(time.RFC3339Nano), "late_ms", max(0, now.Sub(o.At).Milliseconds()))
			}
		}
		e.out.Submit(deliveries)
	}
	if len(missed) > 0 {
		ids, err := e.store.RecordUnfired(ctx, now, missed, domain.StatusMissed, "past its grace window")
		if err != nil {
			e.log.Error("cannot record missed reminders; will retry", "count", len(missed), "err", err)
			return false
		}
		e.logMissed(missed, ids)
	}
	if len(skipped) > 0 {
		ids, err := e.store.RecordUnfired(ctx, now, skipped, domain.StatusSkipped, "paused")
		if err != nil {
			e.log.Error("cannot record skipped reminders; will retry", "count", len(skipped), "err", err)
			return false
		}
		if len(ids) > 0 {
			e.log.Info("reminders skipped: crampd is paused", "count", len(ids), "until", pause.Until.Format(time.RFC3339))
		}
	}
	e.recordedSince = true
	for _, group := range [][]domain.Occurrence{fired, missed, skipped} {
		for _, o := range group {
			e.handled[o.ID] = o.At
			// Everything due at an instant is handled together, so its
			// job (which may not have run yet) has nothing left to do.
			e.disarm(o.At)
		}
	}
	if e.firedHook != nil && len(recordedNow) > 0 {
		e.firedHook(recordedNow)
	}
	return true
}

// logMissed logs newly recorded missed reminders: one line each for a few,
// one summary line for many (after days of downtime).
func (e *Engine) logMissed(occs []domain.Occurrence, ids []string) {
	if len(ids) == 0 {
		return
	}
	if len(ids) > 5 {
		e.log.Warn("reminders missed while crampd could not fire them", "count", len(ids),
			"first", occs[0].At.Format(time.RFC3339), "last", occs[len(occs)-1].At.Format(time.RFC3339))
		return
	}
	isNew := map[string]bool{}
	for _, id := range ids {
		isNew[id] = true
	}
	for _, o := range occs {
		if isNew[o.ID] {
			e.log.Warn("reminder missed: too late to be useful", "id", o.ID, "kind", o.Kind, "title", o.Title, "due", o.At.Format(time.RFC3339))
		}
	}
}

// topUp arms jobs for the instants of the next horizon that are not armed
// yet, up to maxArmed, when the armed window runs low.
func (e *Engine) topUp(now time.Time) {
	if e.capped {
		// Stopped at maxArmed: refill once half of it has fired, or the
		// window ran out (a clock jump).
		if len(e.armed) >= maxArmed/2 && e.armedUntil.After(now) {
			return
		}
	} else if e.armedUntil.Sub(now) > horizon/2 {
		return
	}
	e.capped = false
	from := e.armedUntil
	if from.Before(e.lastReconciled) {
		from = e.lastReconciled
	}
	until := now.Add(horizon)
	occs := e.rt.Load().Inputs.Build(from, until)
	for len(occs) > 0 {
		n := 1
		for n < len(occs) && occs[n].At.Equal(occs[0].At) {
			n++
		}
		if len(e.armed) >= maxArmed {
			// The window ends at the first instant left unarmed.
			until, e.capped = occs[0].At, true
			break
		}
		e.arm(occs[:n])
		occs = occs[n:]
	}
	e.armedUntil = until
	e.prune(now)
}

// arm creates the one-time job that hands the occurrences of one instant to
// the loop, leaving out those already handled.
func (e *Engine) arm(occs []domain.Occurrence) {
	at := occs[0].At
	if _, ok := e.armed[at.UnixNano()]; ok {
		return
	}
	todo := make([]domain.Occurrence, 0, len(occs))
	tags := []string{"occurrence"}
	for _, o := range occs {
		if _, done := e.handled[o.ID]; !done {
			todo = append(todo, o)
			tags = append(tags, "kind:"+string(o.Kind), "rule:"+o.Rule)
		}
	}
	if len(todo) == 0 {
		return
	}
	start := at.Add(-lead)
	if !start.After(e.clock.Now()) {
		// Within the lead already (or past): a job could not be armed
		// for it, so the loop fires it as soon as it is free.
		e.overdue = append(e.overdue, todo...)
		return
	}
	j, err := e.sched.NewJob(
		gocron.OneTimeJob(gocron.OneTimeJobStartDateTime(start)),
		gocron.NewTask(func() {
			select {
			case e.due <- todo:
			case <-e.runCtx.Done():
				// Stopping: the next start's catch-up handles them.
			}
		}),
		gocron.WithName(at.UTC().Format(time.RFC3339Nano)),
		gocron.WithTags(slices.Compact(slices.Sorted(slices.Values(tags)))...),
	)
	if err != nil {
		// The clock passed start meanwhile: fire them from the loop.
		e.log.Debug("cannot arm reminders", "at", at, "err", err)
		e.overdue = append(e.overdue, todo...)
		return
	}
	e.armed[at.UnixNano()] = j.ID()
}

// disarm removes the job of one instant.
func (e *Engine) disarm(at time.Time) {
	if jid, ok := e.armed[at.UnixNano()]; ok {
		_ = e.sched.RemoveJob(jid)
		delete(e.armed, at.UnixNano())
	}
}

func (e *Engine) disarmAll() {
	e.sched.RemoveByTags("occurrence")
	clear(e.armed)
	e.armedUntil = time.Time{}
}

// swap puts a reloaded runtime in force and re-arms the schedule from it.
func (e *Engine) swap(rt *Runtime) {
	now := e.clock.Now()
	e.reconcile(now)
	e.rt.Store(rt)
	e.disarmAll()
	e.topUp(now)
	// The new profile's rules may have had instants before now that were
	// never planned; a restart must not take them for missed.
	e.persistLastSeen()
}

// prune forgets handled occurrences older than the loop can look back.
// The store is what guarantees once-only; the map only spares it repeated
// lookups, so keeping a few hours is plenty.
func (e *Engine) prune(now time.Time) {
	for id, at := range e.handled {
		if now.Sub(at) > handledFor {
			delete(e.handled, id)
		}
	}
}

// persistLastSeen stores how far reconciling has got: everything due before
// it is recorded, so the next start scans from there.
func (e *Engine) persistLastSeen() {
	if err := e.store.SetLastSeen(context.Background(), e.lastReconciled); err != nil {
		e.log.Warn("cannot persist last-seen time", "err", err)
		return
	}
	e.lastPersisted = e.lastReconciled
	e.recordedSince = false
}

// quietLogger passes gocron's warnings and errors through and demotes its
// lifecycle chatter to debug.
type quietLogger struct{ *slog.Logger }

func (l quietLogger) Info(msg string, args ...any) { l.Logger.Debug(msg, args...) }
