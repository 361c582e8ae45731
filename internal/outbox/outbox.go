// Package outbox delivers recorded reminders through their channels and
// retries failures. It is the one place that holds retry policy: exponential
// backoff with jitter, Retry-After, permanent failures and expiry. Every
// outcome is written back to the store, so a restart resumes where the last
// run stopped, and a delivery keeps its message ID across retries so that
// receivers can drop the duplicate a crash may cause.
package outbox

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/wallclock"
)

// Store is what the outbox needs from the state database.
type Store interface {
	Pending(ctx context.Context) ([]domain.Delivery, error)
	// StillPending reports whether a delivery is still waiting to be
	// sent, as the store has it now.
	StillPending(ctx context.Context, id int64) (bool, error)
	// UpdateDelivery stores an attempt's outcome if the row is still
	// pending, and reports whether it was.
	UpdateDelivery(ctx context.Context, now time.Time, d domain.Delivery) (bool, error)
}

// schedule is the delay before retry n (1-based); after the last entry the
// delay stays hourly until the delivery expires.
var schedule = []time.Duration{
	5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute,
	30 * time.Minute, time.Hour,
}

// Backoff returns the delay before retry n (1-based), without jitter.
func Backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > len(schedule) {
		return schedule[len(schedule)-1]
	}
	return schedule[n-1]
}

// jitter spreads d by up to ±10% so that many failed deliveries do not
// retry in lockstep.
func jitter(d time.Duration) time.Duration {
	spread := int64(d / 10)
	if spread <= 0 {
		return d
	}
	return d + time.Duration(rand.Int64N(2*spread+1)-spread)
}

// PerChannel bounds the attempts in flight to one channel. It trades
// throughput (a burst of a thousand reminders to one webhook) against how
// many a crash can leave sent but unrecorded, and so resent.
var PerChannel = 4

// attemptTimeout bounds one attempt whatever the channel does; channels set
// tighter limits of their own (15 s for webhooks).
const attemptTimeout = 30 * time.Second

// Outbox sends pending deliveries. Create it with New, set its channels and
// gate, Load what a previous run left, then Start it; Stop it before the
// store closes.
type Outbox struct {
	store Store
	clock clockwork.Clock
	log   *slog.Logger

	channels atomic.Pointer[map[string]notify.Notifier]
	// sem bounds concurrent attempts.
	sem chan struct{}

	mu sync.Mutex
	// queue holds every pending delivery by row ID; inflight marks those
	// being attempted so that no delivery is sent twice at once, and
	// cancelled those cancelled while in flight, so that their attempt does
	// not queue them again whatever its outcome.
	queue     map[int64]domain.Delivery
	inflight  map[int64]bool
	cancelled map[int64]bool
	// due orders each channel's queue by next attempt. Entries go stale
	// when a delivery is rescheduled or dropped; they are skipped when
	// popped.
	due map[string]*dueHeap
	// busy counts each channel's attempts in flight, at most
	// PerChannel. A crash can leave that many deliveries sent but not yet
	// recorded, which a restart resends under the same message IDs.
	busy map[string]int
	// down remembers channels reported unavailable, so that the condition
	// is logged once rather than on every attempt.
	down map[string]bool
	wake chan struct{}
	// stopped is set once Stop began: nothing new is attempted after it,
	// and what is submitted stays pending in the store for the next start.
	stopped bool
	// changed is closed (and cleared) at every change of the queue while
	// someone waits in HandledThrough.
	changed chan struct{}
	// unsaved holds outcomes the store could not take (a full disk), by
	// row: they are written again until it takes them, so that a delivered
	// reminder is not sent again on the next start.
	unsaved map[int64]unsavedOutcome

	// sendCtx outlives the loop by the stop grace, so in-flight attempts
	// can finish.
	sendCtx    context.Context
	cancelSend context.CancelFunc
	wg         sync.WaitGroup
	stopLoop   context.CancelFunc
	loopDone   chan struct{}

	// settled, when set, is called after each attempt's outcome is stored;
	// tests use it to wait for deliveries without sleeping.
	settled func(domain.Delivery)
	gate    Gate
}

// Verdict is a Gate's answer about one delivery.
type Verdict struct {
	// Hold, when after now, postpones the attempt until then.
	Hold time.Time
	// Skip drops the delivery, recording Reason.
	Skip   bool
	Reason string
}

// Gate decides, just before an attempt, whether a delivery may go now. The
// engine uses it to hold deliveries during a pause.
type Gate func(d domain.Delivery, now time.Time) Verdict

// SetGate installs g. It must be set before Start.
func (o *Outbox) SetGate(g Gate) { o.gate = g }

// New returns an outbox with no channels.
func New(store Store, clock clockwork.Clock, log *slog.Logger, concurrency int) *Outbox {
	if concurrency < 1 {
		concurrency = 1
	}
	sendCtx, cancel := context.WithCancel(context.Background())
	o := &Outbox{
		store: store, clock: clock, log: log,
		sem:       make(chan struct{}, concurrency),
		queue:     map[int64]domain.Delivery{},
		inflight:  map[int64]bool{},
		cancelled: map[int64]bool{},
		unsaved:   map[int64]unsavedOutcome{},
		down:      map[string]bool{},
		due:       map[string]*dueHeap{},
		busy:      map[string]int{},
		wake:      make(chan struct{}, 1),
		sendCtx:   sendCtx, cancelSend: cancel,
	}
	empty := map[string]notify.Notifier{}
	o.channels.Store(&empty)
	return o
}

// OnSettled registers fn to be called after every attempt's outcome is
// stored. It must be set before Start.
func (o *Outbox) OnSettled(fn func(domain.Delivery)) { o.settled = fn }

// SetChannels swaps the channels deliveries go to; a reload calls it once
// the new channels are built.
func (o *Outbox) SetChannels(chs map[string]notify.Notifier) {
	o.channels.Store(&chs)
	o.kick()
}

// Load queues every delivery the store holds as pending: those a previous
// run left unsent or failing.
func (o *Outbox) Load(ctx context.Context) error {
	ds, err := o.store.Pending(ctx)
	if err != nil {
		return err
	}
	o.Submit(ds)
	return nil
}

// Submit queues deliveries that the store already holds as pending and
// starts those that are due.
func (o *Outbox) Submit(ds []domain.Delivery) {
	if len(ds) == 0 {
		return
	}
	o.mu.Lock()
	for _, d := range ds {
		if !o.inflight[d.ID] {
			o.enqueue(d)
		}
	}
	stopped := o.stopped
	o.mu.Unlock()
	if stopped {
		// They are pending in the store: the next start sends them.
		return
	}
	// Start what is due now from the caller's goroutine: a reminder that
	// just fired should not wait for the outbox loop to wake up.
	o.dispatchDue(o.sendCtx, false)
	o.kick()
}

// Cancel drops deliveries the store has already marked cancelled (the
// reminder was acknowledged). One being attempted right now is not queued
// again, whatever its attempt's outcome.
func (o *Outbox) Cancel(ids []int64) {
	if len(ids) == 0 {
		return
	}
	o.mu.Lock()
	for _, id := range ids {
		if o.inflight[id] {
			o.cancelled[id] = true
		}
		delete(o.queue, id)
	}
	o.notifyChange()
	o.mu.Unlock()
}

// Release makes the deliveries with the given row IDs due now: the store
// has moved them forward because the pause that held them ended early.
func (o *Outbox) Release(ids []int64) {
	if len(ids) == 0 {
		return
	}
	now := o.clock.Now()
	o.mu.Lock()
	for _, id := range ids {
		if d, ok := o.queue[id]; ok && !o.inflight[id] && d.NextAttemptAt.After(now) {
			d.NextAttemptAt = now
			o.enqueue(d)
		}
	}
	o.mu.Unlock()
	o.dispatchDue(o.sendCtx, false)
	o.kick()
}

// idle marks an attempt on channel as finished; the caller holds mu.
func (o *Outbox) idle(channel string) {
	if o.busy[channel]--; o.busy[channel] <= 0 {
		delete(o.busy, channel)
	}
}

// enqueue puts d in the queue; the caller holds mu.
func (o *Outbox) enqueue(d domain.Delivery) {
	o.queue[d.ID] = d
	h := o.due[d.Channel]
	if h == nil {
		h = &dueHeap{}
		o.due[d.Channel] = h
	}
	heap.Push(h, dueItem{at: d.NextAttemptAt, id: d.ID})
	o.notifyChange()
}

// dueItem is one entry of the due heap.
type dueItem struct {
	at time.Time
	id int64
}

type dueHeap []dueItem

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueItem)) }
func (h *dueHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// Depth returns the number of deliveries waiting or in flight.
func (o *Outbox) Depth() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.queue)
}

// Wake makes the outbox re-read the clock, for after a suspend stalled its
// alarm (where the alarm is a Go timer, without a timerfd).
func (o *Outbox) Wake() { o.kick() }

func (o *Outbox) kick() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Start sends due deliveries until Stop.
func (o *Outbox) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	o.stopLoop = cancel
	o.loopDone = make(chan struct{})
	// The alarm is made here, not in the goroutine, so that it is armed
	// before Start returns.
	al := wallclock.New(o.clock)
	go func() {
		defer close(o.loopDone)
		o.run(ctx, al)
	}()
}

// Stop stops starting attempts, gives those in flight until ctx ends to
// finish, then cancels them and waits for every one: when Stop returns the
// outbox writes nothing more. What is left stays pending in the store.
func (o *Outbox) Stop(ctx context.Context) {
	o.mu.Lock()
	o.stopped = true
	o.mu.Unlock()
	if o.stopLoop != nil {
		o.stopLoop()
		<-o.loopDone
	}
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		o.cancelSend()
		<-done
	}
	o.cancelSend()
	// One last try for outcomes the store refused; what still fails is
	// resent on the next start, under the same message ID.
	o.mu.Lock()
	for id, u := range o.unsaved {
		u.next = time.Time{}
		o.unsaved[id] = u
	}
	o.mu.Unlock()
	o.saveOutcomes(ctx)
}

func (o *Outbox) run(ctx context.Context, al wallclock.Alarm) {
	// The next attempt waits on a wall-clock alarm: a reminder's first
	// delivery is held until its instant, and a Go timer would fire up to
	// a millisecond late (and a suspend's length late).
	defer al.Close()
	for {
		next := o.dispatchDue(ctx, true)
		if retry := o.saveOutcomes(ctx); !retry.IsZero() && (next.IsZero() || retry.Before(next)) {
			next = retry
		}
		if next.IsZero() {
			al.Stop()
		} else {
			al.Set(next)
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-al.C():
		}
	}
}

// dispatchDue starts every due delivery that is not in flight and returns
// when the next one falls due (zero if none).
func (o *Outbox) dispatchDue(ctx context.Context, wait bool) time.Time {
	now := o.clock.Now()
	for {
		o.mu.Lock()
		if o.stopped {
			o.mu.Unlock()
			return time.Time{}
		}
		d, next, found := o.nextDue(now)
		if !found {
			o.mu.Unlock()
			return next
		}
		if !wait {
			select {
			case o.sem <- struct{}{}:
			default:
				// Every slot is busy; the loop starts it when one frees.
				o.mu.Unlock()
				return time.Time{}
			}
		}
		heap.Pop(o.due[d.Channel])
		o.inflight[d.ID] = true
		o.busy[d.Channel]++
		// Counted under mu, so that Stop, once it has set stopped, waits
		// for every attempt started.
		o.wg.Add(1)
		o.mu.Unlock()
		if wait {
			select {
			case o.sem <- struct{}{}:
			case <-ctx.Done():
				o.mu.Lock()
				delete(o.inflight, d.ID)
				o.idle(d.Channel)
				o.enqueue(d)
				o.mu.Unlock()
				o.wg.Done()
				return time.Time{}
			}
		}
		go func(d domain.Delivery) {
			defer o.wg.Done()
			defer func() { <-o.sem }()
			o.attempt(d)
		}(d)
	}
}

// nextDue finds the earliest due delivery on a channel with nothing in
// flight, or else when the next one falls due (zero when only busy
// channels have work: their attempts wake the loop when they finish). The
// caller holds mu.
func (o *Outbox) nextDue(now time.Time) (domain.Delivery, time.Time, bool) {
	var (
		best  domain.Delivery
		found bool
		next  time.Time
	)
	for ch, h := range o.due {
		for h.Len() > 0 {
			top := (*h)[0]
			cur, ok := o.queue[top.id]
			if ok && !o.inflight[top.id] && cur.NextAttemptAt.Equal(top.at) {
				break
			}
			heap.Pop(h) // stale
		}
		if h.Len() == 0 {
			delete(o.due, ch)
			continue
		}
		if o.busy[ch] >= PerChannel {
			continue
		}
		top := (*h)[0]
		if top.at.After(now) {
			if next.IsZero() || top.at.Before(next) {
				next = top.at
			}
			continue
		}
		if !found || top.at.Before(best.NextAttemptAt) {
			best, found = o.queue[top.id], true
		}
	}
	return best, next, found
}

// attempt makes one delivery attempt and stores its outcome.
func (o *Outbox) attempt(d domain.Delivery) {
	now := o.clock.Now()
	log := o.log.With("id", d.Occurrence.ID, "kind", d.Occurrence.Kind, "channel", d.Channel, "message_id", d.MessageID)
	ch, ok := (*o.channels.Load())[d.Channel]
	var verdict Verdict
	if o.gate != nil {
		verdict = o.gate(d, now)
	}
	switch {
	case verdict.Skip:
		d.Status, d.LastError = domain.StatusSkipped, verdict.Reason
		log.Info("delivery skipped", "reason", verdict.Reason)
	case verdict.Hold.After(now) && verdict.Hold.Before(d.ExpiresAt):
		d.NextAttemptAt, d.LastError = verdict.Hold, verdict.Reason
		log.Debug("delivery held", "until", verdict.Hold, "reason", verdict.Reason)
	case verdict.Hold.After(now):
		d.Status, d.LastError = domain.StatusExpired, verdict.Reason
		log.Info("delivery expired while held", "reason", verdict.Reason)
	case !now.Before(d.ExpiresAt):
		d.Status = domain.StatusExpired
		log.Warn("delivery expired before it succeeded", "attempts", d.Attempts, "last_error", d.LastError)
	case !ok:
		d.Status = domain.StatusFailed
		d.LastError = "channel is no longer configured"
		log.Warn("delivery dropped: its channel is no longer in the profile")
	case o.cancelledInStore(d, log):
		// An acknowledgement committed since it was queued, and its
		// Cancel has not reached the outbox yet: nothing is sent, and
		// the store already has the row's last word.
		o.finish(d, false)
		o.kick()
		return
	default:
		d.Attempts++
		ctx, cancel := context.WithTimeout(o.sendCtx, attemptTimeout)
		err := ch.Notify(ctx, notify.Message{ID: d.MessageID, Occurrence: d.Occurrence, Attempt: d.Attempts})
		cancel()
		now = o.clock.Now()
		o.outcome(&d, err, now, log)
	}
	if o.sendCtx.Err() != nil && d.Status == domain.StatusPending {
		// Stopping: leave the row as the store has it, to be retried on
		// the next start.
		o.finish(d, false)
		return
	}
	applied, err := o.store.UpdateDelivery(context.Background(), now, d)
	switch {
	case err != nil:
		// The row is still pending in the store: keep writing the outcome
		// until the store takes it.
		log.Error("cannot store delivery outcome; will write it again", "err", err)
		o.keepUnsaved(d, now)
		applied = true
	case !applied:
		// Cancelled while it was being attempted: it stays cancelled.
		log.Debug("delivery was cancelled during its attempt", "outcome", d.Status)
	}
	o.finish(d, applied && d.Status == domain.StatusPending)
	if o.settled != nil {
		o.settled(d)
	}
	o.kick()
}

// cancelledInStore reports whether the store no longer holds d as
// pending. The use cases cancel a reminder's deliveries in the store
// first and tell the outbox after the commit; this read closes the moment
// in between, so that a delivery decided after an acknowledgement is never
// sent. A store that cannot answer does not stop the reminder.
func (o *Outbox) cancelledInStore(d domain.Delivery, log *slog.Logger) bool {
	pending, err := o.store.StillPending(context.Background(), d.ID)
	if err != nil {
		log.Warn("cannot read the delivery before its attempt; sending it", "err", err)
		return false
	}
	if !pending {
		log.Debug("delivery was cancelled before its attempt")
	}
	return !pending
}

// finish ends an attempt: the delivery goes back in the queue when it is
// still pending and was not cancelled meanwhile, and leaves it otherwise.
func (o *Outbox) finish(d domain.Delivery, requeue bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.inflight, d.ID)
	o.idle(d.Channel)
	if requeue && !o.cancelled[d.ID] && !o.stopped {
		o.enqueue(d)
	} else {
		delete(o.queue, d.ID)
	}
	delete(o.cancelled, d.ID)
	o.notifyChange()
}

// unsavedOutcome is an attempt's outcome waiting to be written.
type unsavedOutcome struct {
	d     domain.Delivery
	at    time.Time
	tries int
	next  time.Time
}

// saveBackoff is the delay before writing an unsaved outcome again the nth
// time: short, since the disk may free up at any moment, and capped.
func saveBackoff(n int) time.Duration {
	return min(5*time.Second<<min(n, 4), time.Minute)
}

func (o *Outbox) keepUnsaved(d domain.Delivery, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	u := o.unsaved[d.ID]
	u.d, u.at = d, now
	u.next = now.Add(saveBackoff(u.tries))
	u.tries++
	o.unsaved[d.ID] = u
	o.notifyChange()
	o.kick()
}

// saveOutcomes writes the unsaved outcomes that are due again, and returns
// when the next one is (zero if none).
func (o *Outbox) saveOutcomes(ctx context.Context) time.Time {
	now := o.clock.Now()
	o.mu.Lock()
	var due []unsavedOutcome
	var next time.Time
	for _, u := range o.unsaved {
		if !u.next.After(now) {
			due = append(due, u)
		} else if next.IsZero() || u.next.Before(next) {
			next = u.next
		}
	}
	o.mu.Unlock()
	for _, u := range due {
		if ctx.Err() != nil {
			break
		}
		_, err := o.store.UpdateDelivery(ctx, u.at, u.d)
		o.mu.Lock()
		if err == nil {
			delete(o.unsaved, u.d.ID)
			o.log.Info("delivery outcome stored at last", "id", u.d.Occurrence.ID, "channel", u.d.Channel, "status", u.d.Status)
		} else {
			u.next = now.Add(saveBackoff(u.tries))
			u.tries++
			o.unsaved[u.d.ID] = u
			if next.IsZero() || u.next.Before(next) {
				next = u.next
			}
		}
		o.notifyChange()
		o.mu.Unlock()
	}
	return next
}

// notifyChange wakes HandledThrough's waiters; the caller holds mu.
func (o *Outbox) notifyChange() {
	if o.changed != nil {
		close(o.changed)
		o.changed = nil
	}
}

// HandledThrough waits until every delivery due at or before t has been
// attempted (or dropped) and no attempt is in flight, or ctx ends. Tests
// use it to check that nothing more was sent, knowing that the outbox has
// looked.
func (o *Outbox) HandledThrough(ctx context.Context, t time.Time) error {
	for {
		o.mu.Lock()
		busy := len(o.inflight) > 0
		for _, d := range o.queue {
			if busy {
				break
			}
			busy = !d.NextAttemptAt.After(t)
		}
		for _, u := range o.unsaved {
			if busy {
				break
			}
			busy = !u.next.After(t)
		}
		if !busy {
			o.mu.Unlock()
			return nil
		}
		if o.changed == nil {
			o.changed = make(chan struct{})
		}
		ch := o.changed
		o.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("the outbox has not handled what is due by %s: %w", t.Format(time.RFC3339Nano), ctx.Err())
		}
	}
}

// outcome classifies an attempt's error and sets the delivery's next state.
func (o *Outbox) outcome(d *domain.Delivery, err error, now time.Time, log *slog.Logger) {
	if err == nil {
		d.Status, d.LastError = domain.StatusDelivered, ""
		o.setDown(d.Channel, false, nil, log)
		log.Info("reminder delivered", "attempt", d.Attempts, "late_ms", now.Sub(d.Occurrence.At).Milliseconds())
		return
	}
	d.LastError = err.Error()
	if notify.IsPermanent(err) {
		d.Status = domain.StatusFailed
		log.Warn("delivery failed for good", "attempt", d.Attempts, "err", err)
		return
	}
	delay := jitter(Backoff(d.Attempts))
	if hint, ok := notify.RetryAfterHint(err); ok {
		delay = hint
	}
	d.NextAttemptAt = now.Add(delay)
	if !d.NextAttemptAt.Before(d.ExpiresAt) {
		// One last try just before expiry is still worth more than none.
		d.NextAttemptAt = d.ExpiresAt.Add(-time.Second)
		if !d.NextAttemptAt.After(now) {
			d.Status = domain.StatusExpired
			log.Warn("delivery expired before it succeeded", "attempts", d.Attempts, "err", err)
			return
		}
	}
	d.Status = domain.StatusPending
	if errors.Is(err, notify.ErrUnavailable) {
		o.setDown(d.Channel, true, err, log)
		return
	}
	log.Info("delivery will be retried", "attempt", d.Attempts, "retry_in", delay.Round(time.Second).String(), "err", err)
}

// setDown logs a channel becoming unavailable or available again, once per
// change.
func (o *Outbox) setDown(channel string, down bool, err error, log *slog.Logger) {
	o.mu.Lock()
	was := o.down[channel]
	o.down[channel] = down
	o.mu.Unlock()
	switch {
	case down && !was:
		log.Warn("channel unavailable; deliveries wait in the outbox", "err", err)
	case !down && was:
		log.Info("channel available again")
	}
}
