// Package wallclock wakes a goroutine when the wall clock reaches a
// deadline. Go's own timers count monotonic time, which stops while the
// machine is suspended, so a timer set before a suspend fires late by the
// length of the sleep; and the runtime waits for them in epoll with
// millisecond resolution, so they fire up to a millisecond late anyway. On
// Linux an Alarm is a CLOCK_REALTIME timerfd instead: the kernel fires it at
// its wall-clock deadline to the microsecond, even across a suspend (at
// once on resume if the deadline passed meanwhile), and
// TFD_TIMER_CANCEL_ON_SET also wakes it when the clock is set, so that a
// step forward or back is noticed at once.
package wallclock

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// Alarm wakes its owner at a deadline. One goroutine owns it.
type Alarm interface {
	// Set arms the alarm for deadline, replacing any earlier deadline.
	Set(deadline time.Time)
	// Stop disarms it.
	Stop()
	// C receives a value when the deadline passes or the clock is set.
	// A value may be stale (from a deadline since replaced): an owner
	// re-reads the clock on every receive.
	C() <-chan struct{}
	// Close stops the alarm for good.
	Close()
	// Wall reports whether the alarm follows the wall clock across a
	// suspend. A fallback on Go timers does not, so its owner must not
	// sleep long on it.
	Wall() bool
}

// New returns a realtime alarm for a real clock, or one on the clock's own
// timers for a fake clock (which are wall-clock timers already).
func New(clock clockwork.Clock) Alarm {
	if _, fake := clock.(*clockwork.FakeClock); !fake {
		if a, err := newRealtime(); err == nil {
			return a
		}
		return &clockAlarm{clock: clock, c: make(chan struct{}, 1)}
	}
	return &clockAlarm{clock: clock, c: make(chan struct{}, 1), wall: true}
}

// clockAlarm is an alarm on a clockwork clock.
type clockAlarm struct {
	clock    clockwork.Clock
	wall     bool
	c        chan struct{}
	timer    clockwork.Timer
	deadline time.Time
}

func (a *clockAlarm) Set(deadline time.Time) {
	if a.timer != nil {
		if deadline.Equal(a.deadline) {
			return
		}
		a.timer.Stop()
	}
	a.deadline = deadline
	// Timers take a duration, so if the clock moves between reading it
	// and arming the timer (a test's fake clock jumps, or the process
	// stalls), the timer would fire late by that much; arm it again until
	// the reading holds.
	for {
		before := a.clock.Now()
		a.timer = a.clock.AfterFunc(deadline.Sub(before), a.fire)
		if a.clock.Now().Sub(before) < time.Millisecond {
			return
		}
		a.timer.Stop()
	}
}

func (a *clockAlarm) fire() {
	select {
	case a.c <- struct{}{}:
	default:
	}
}

func (a *clockAlarm) Stop() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

func (a *clockAlarm) C() <-chan struct{} { return a.c }

func (a *clockAlarm) Close() { a.Stop() }

func (a *clockAlarm) Wall() bool { return a.wall }
