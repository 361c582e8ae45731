package daemon

import (
	"time"

	"github.com/jonboulle/clockwork"
)

// alarm wakes the loop when the wall clock reaches a deadline. Go's own
// timers count monotonic time, which stops while the machine is suspended,
// so a timer set before a suspend fires late by the length of the sleep.
// On Linux the alarm is a CLOCK_REALTIME timerfd instead: it fires at its
// wall-clock deadline even across a suspend (at once on resume if the
// deadline passed meanwhile), and TFD_TIMER_CANCEL_ON_SET also wakes it when
// the clock is set, so that a step forward or back is noticed at once.
type alarm interface {
	// Set arms the alarm for deadline, replacing any earlier deadline.
	Set(deadline time.Time)
	// C receives a value when the deadline passes or the clock is set.
	C() <-chan struct{}
	// Close stops the alarm.
	Close()
	// MaxSleep is how long the loop may sleep on it: unbounded for a
	// wall-clock alarm, short for a fallback that a suspend would stall.
	MaxSleep() time.Duration
}

// newAlarm returns the realtime alarm for a real clock, or a clock-driven
// one for a fake clock (whose timers are wall-clock timers already).
func newAlarm(clock clockwork.Clock) alarm {
	if _, fake := clock.(*clockwork.FakeClock); !fake {
		if a, err := newRealtimeAlarm(); err == nil {
			return a
		}
		// Without a timerfd, fall back to re-reading the clock often.
		return newClockAlarm(clock, 30*time.Second)
	}
	return newClockAlarm(clock, idleSleep)
}

// clockAlarm is an alarm on a clockwork clock.
type clockAlarm struct {
	clock    clockwork.Clock
	max      time.Duration
	c        chan struct{}
	timer    clockwork.Timer
	deadline time.Time
}

func newClockAlarm(clock clockwork.Clock, max time.Duration) *clockAlarm {
	return &clockAlarm{clock: clock, max: max, c: make(chan struct{}, 1)}
}

func (a *clockAlarm) Set(deadline time.Time) {
	if a.timer != nil {
		if deadline.Equal(a.deadline) {
			return
		}
		a.timer.Stop()
	}
	a.deadline = deadline
	a.timer = a.clock.AfterFunc(deadline.Sub(a.clock.Now()), func() {
		select {
		case a.c <- struct{}{}:
		default:
		}
	})
}

func (a *clockAlarm) C() <-chan struct{} { return a.c }

func (a *clockAlarm) Close() {
	if a.timer != nil {
		a.timer.Stop()
	}
}

func (a *clockAlarm) MaxSleep() time.Duration { return a.max }
