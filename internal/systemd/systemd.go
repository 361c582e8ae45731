// Package systemd speaks the sd_notify protocol for crampd: readiness,
// reloads, stopping and watchdog pings. Outside systemd (no NOTIFY_SOCKET)
// every call is a no-op.
package systemd

import (
	"fmt"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"golang.org/x/sys/unix"
)

// Notifier sends service state changes to the service manager.
type Notifier interface {
	Ready() error
	Reloading() error
	Stopping() error
	Watchdog() error
}

// Notify sends state changes through $NOTIFY_SOCKET.
type Notify struct{}

func send(state string) error {
	// unsetEnvironment=false: a reload must be able to notify again.
	if _, err := daemon.SdNotify(false, state); err != nil {
		return fmt.Errorf("sd_notify %q: %w", state, err)
	}
	return nil
}

// Ready reports that the schedule is armed.
func (Notify) Ready() error { return send(daemon.SdNotifyReady) }

// Reloading reports a reload in progress. systemd (since v253) wants the
// CLOCK_MONOTONIC time of the request with it, to pair it with the READY=1
// that ends it.
func (Notify) Reloading() error {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return fmt.Errorf("read monotonic clock: %w", err)
	}
	usec := ts.Sec*1_000_000 + ts.Nsec/1_000
	return send(fmt.Sprintf("%s\nMONOTONIC_USEC=%d", daemon.SdNotifyReloading, usec))
}

// Stopping reports an orderly shutdown.
func (Notify) Stopping() error { return send(daemon.SdNotifyStopping) }

// Watchdog feeds the service watchdog.
func (Notify) Watchdog() error { return send(daemon.SdNotifyWatchdog) }

// WatchdogInterval returns how often to feed the watchdog, half of
// WATCHDOG_USEC, or 0 when the watchdog is off for this process.
func WatchdogInterval() time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}

// Nop is a Notifier that does nothing, for tests and embedding.
type Nop struct{}

// Ready does nothing.
func (Nop) Ready() error { return nil }

// Reloading does nothing.
func (Nop) Reloading() error { return nil }

// Stopping does nothing.
func (Nop) Stopping() error { return nil }

// Watchdog does nothing.
func (Nop) Watchdog() error { return nil }
