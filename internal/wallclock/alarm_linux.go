package wallclock

import (
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// realtimeAlarm is a CLOCK_REALTIME timerfd armed with an absolute deadline
// and TFD_TIMER_CANCEL_ON_SET.
type realtimeAlarm struct {
	fd int
	f  *os.File
	c  chan struct{}
}

func newRealtime() (*realtimeAlarm, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_REALTIME, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	// A non-blocking descriptor joins Go's poller, so the reader below
	// parks instead of holding a thread.
	a := &realtimeAlarm{fd: fd, f: os.NewFile(uintptr(fd), "crampd-alarm"), c: make(chan struct{}, 1)}
	go a.read()
	return a, nil
}

// read forwards expirations and clock sets (ECANCELED) to C until Close.
func (a *realtimeAlarm) read() {
	buf := make([]byte, 8)
	for {
		_, err := a.f.Read(buf)
		if errors.Is(err, os.ErrClosed) {
			return
		}
		select {
		case a.c <- struct{}{}:
		default:
		}
	}
}

func (a *realtimeAlarm) Set(deadline time.Time) {
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(max(deadline.UnixNano(), 1))}
	// Setting an armed timerfd replaces its deadline; a deadline already
	// past expires at once.
	_ = unix.TimerfdSettime(a.fd, unix.TFD_TIMER_ABSTIME|unix.TFD_TIMER_CANCEL_ON_SET, &spec, nil)
}

// Stop disarms the timer: a zero value disarms a timerfd.
func (a *realtimeAlarm) Stop() {
	_ = unix.TimerfdSettime(a.fd, 0, &unix.ItimerSpec{}, nil)
}

func (a *realtimeAlarm) C() <-chan struct{} { return a.c }

func (a *realtimeAlarm) Close() { a.f.Close() }

func (a *realtimeAlarm) Wall() bool { return true }
