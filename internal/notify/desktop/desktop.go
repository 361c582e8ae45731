// Package desktop shows reminders as freedesktop notifications on the
// user's graphical session, through github.com/gen2brain/beeep.
//
// Given an OnAction callback, reminders on a D-Bus desktop carry "Done" and
// "Snooze 10 min" buttons when the notification server advertises the
// "actions" capability. Those are sent with github.com/esiqveland/notify
// (the library beeep itself uses) on a private session bus connection that
// stays open to hear which button was pressed. Without the capability, or
// without a callback, reminders go through beeep as plain notifications.
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
	"github.com/jonboulle/clockwork"

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

// Options configures a Notifier.
type Options struct {
	// Logger receives outage reports; nil discards them.
	Logger *slog.Logger
	// OnAction, when set, asks for Done and Snooze buttons and is called
	// once per notification whose button the user pressed, with the
	// occurrence the notification showed. It runs on its own goroutine,
	// one press at a time; it should return promptly, and Close waits for
	// it. Nil shows no buttons.
	OnAction func(occurrenceID string, action Action)
	// Clock ages the notifications remembered for their buttons; nil
	// means the real clock.
	Clock clockwork.Clock
}

// Notifier sends reminders to the session's notification server. It is safe
// for concurrent use. A Notifier with buttons holds a bus connection and a
// goroutine once it has shown one; Close releases them.
type Notifier struct {
	logger   *slog.Logger
	onAction func(occurrenceID string, action Action)
	clock    clockwork.Clock

	// slot admits one call to the desktop at a time. Neither beeep nor
	// esiqveland/notify takes a context, so a call to a hung server can
	// only be abandoned, not cancelled; the slot keeps abandoned calls
	// from piling up.
	slot chan struct{}

	// loops counts running signal loops, one per connection ever opened
	// (an old one may still be draining after a reconnect).
	loops sync.WaitGroup

	mu sync.Mutex
	// down records that the last attempt found no session bus or no
	// notification server, so the warning is logged once per outage
	// rather than once per retry.
	down bool
	// plain records that the server last said it cannot show buttons,
	// so that is logged once rather than per reminder.
	plain bool
	// closed is set by Close; no connection is opened after it.
	closed bool
	// sess is the private connection for buttons, nil before first use
	// and after it dropped.
	sess *session
	// presses feeds dispatch, which closes dispatched when it returns.
	// Both are made with the first connection and never replaced.
	presses    chan press
	dispatched chan struct{}
}

// New returns a Notifier without buttons that reports outages of the
// desktop session to logger; a nil logger discards them.
func New(logger *slog.Logger) *Notifier {
	return NewWithOptions(Options{Logger: logger})
}

// NewWithOptions returns a Notifier configured by opts. It starts nothing:
// the bus connection is opened by the first Notify that wants buttons.
func NewWithOptions(opts Options) *Notifier {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	clock := opts.Clock
	if clock == nil {
		clock = clockwork.NewRealClock()
	}
	setAppName.Do(func() { beeep.AppName = AppName })
	return &Notifier{
		logger:   logger,
		onAction: opts.OnAction,
		clock:    clock,
		slot:     make(chan struct{}, 1),
	}
}

// Notify shows m, with Done and Snooze buttons when the Notifier has an
// OnAction and the server can show them. When there is no session bus or
// no notification server (crampd running before login, or headless), the
// error wraps notify.ErrUnavailable and stays retryable: the user may log
// in later.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	o := m.Occurrence
	body := o.Body
	if o.Why != "" {
		body += "\n\n" + o.Why
	}

	if n.onAction != nil && buttonsPlatform {
		err := n.run(ctx, func() error { return n.showWithButtons(m, o.Title, body) })
		if err == nil {
			n.mu.Lock()
			n.plain = false
			n.mu.Unlock()
			n.markUp()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("show desktop notification: %w", err)
		}
		// Whatever stopped the buttons (no bus, no server, a server
		// without actions), beeep's path below either shows the reminder
		// plainly or works out whether the desktop is there at all.
		n.notePlain(err)
	}

	if err := n.run(ctx, func() error { return beeep.Notify(o.Title, body, "") }); err != nil {
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

// run calls f in the slot, giving up when ctx ends.
func (n *Notifier) run(ctx context.Context, f func() error) error {
	select {
	case n.slot <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-n.slot }()
		done <- f()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// notePlain logs why a reminder goes without buttons: once when the server
// turns out not to support them, and at debug level for anything else,
// since the plain path reports real outages itself.
func (n *Notifier) notePlain(err error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case errors.Is(err, errNoActions):
		if !n.plain {
			n.plain = true
			n.logger.Info("notification server cannot show buttons; sending reminders without Done and Snooze")
		}
	case errors.Is(err, errClosed):
	default:
		n.logger.Debug("desktop buttons unavailable; sending a plain notification", "err", err)
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
