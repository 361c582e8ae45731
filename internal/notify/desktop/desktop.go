// Package desktop shows reminders as freedesktop notifications on the
// user's graphical session, through github.com/gen2brain/beeep.
//
// All reminders use normal urgency, medication included. beeep offers
// critical urgency only through Alert, which also beeps: without a PC
// speaker device it writes a BEL byte to os.Stdout, which would corrupt the
// stdout channel's JSON lines, and a failed beep returns an error after the
// notification was already shown, so the outbox would show it again.
package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"

	"github.com/gen2brain/beeep"
	"github.com/godbus/dbus/v5"

	"github.com/crampd/crampd/internal/notify"
)

// AppName is the application name notification servers show and group by.
const AppName = "crampd"

// notificationsName is the bus name of a freedesktop notification server.
const notificationsName = "org.freedesktop.Notifications"

// setAppName runs once: beeep keeps the name in a package variable that its
// Notify reads without locking, so it is written before any Notifier exists
// and never again.
var setAppName sync.Once

// Notifier sends reminders to the session's notification server. It is safe
// for concurrent use.
type Notifier struct {
	logger *slog.Logger

	// slot admits one beeep call at a time. beeep takes no context, so a
	// call to a hung server can only be abandoned, not cancelled; the slot
	// keeps abandoned calls from piling up.
	slot chan struct{}

	mu sync.Mutex
	// down records that the last attempt found no session bus or no
	// notification server, so the warning is logged once per outage
	// rather than once per retry.
	down bool
}

// New returns a Notifier that reports outages of the desktop session to
// logger; a nil logger discards them.
func New(logger *slog.Logger) *Notifier {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	setAppName.Do(func() { beeep.AppName = AppName })
	return &Notifier{logger: logger, slot: make(chan struct{}, 1)}
}

// Notify shows m. When there is no session bus or no notification server
// (crampd running before login, or headless), the error wraps
// notify.ErrUnavailable and stays retryable: the user may log in later.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	o := m.Occurrence
	body := o.Body
	if o.Why != "" {
		body += "\n\n" + o.Why
	}

	if err := n.send(ctx, o.Title, body); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("show desktop notification: %w", err)
		}
		// beeep's own error mixes three fallbacks' failures; asking the bus
		// directly says whether the desktop is there at all.
		if perr := probe(ctx); perr != nil {
			uerr := notify.Unavailable(fmt.Errorf("show desktop notification: %w", perr))
			n.markDown(uerr)
			return uerr
		}
		return fmt.Errorf("show desktop notification: %w", err)
	}
	n.markUp()
	return nil
}

// send runs beeep.Notify, giving up when ctx ends.
func (n *Notifier) send(ctx context.Context, title, body string) error {
	select {
	case n.slot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-n.slot }()
		done <- beeep.Notify(title, body, "")
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (n *Notifier) markDown(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.down {
		return
	}
	n.down = true
	n.logger.Warn("desktop notifications unavailable; retrying quietly until the session is back", "err", err)
}

func (n *Notifier) markUp() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.down {
		return
	}
	n.down = false
	n.logger.Info("desktop notifications available again")
}

// probe reports why notifications cannot be shown: no session bus, or no
// server owning (or activatable for) the notification name. It uses a
// private connection, because closing beeep's shared dbus.SessionBus
// connection would break beeep's next call.
func probe(ctx context.Context) error {
	conn, err := dbus.SessionBusPrivateNoAutoStartup(dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("no session bus: %w", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("no session bus: authenticate: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("no session bus: hello: %w", err)
	}

	bus := conn.BusObject()
	var owned bool
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, notificationsName).Store(&owned); err != nil {
		return fmt.Errorf("ask session bus for %s: %w", notificationsName, err)
	}
	if owned {
		return nil
	}
	// A server that D-Bus starts on demand does not own the name yet.
	var activatable []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err == nil &&
		slices.Contains(activatable, notificationsName) {
		return nil
	}
	return errors.New("no notification server owns " + notificationsName)
}
