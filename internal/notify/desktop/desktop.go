// Package desktop shows reminders as freedesktop notifications on the
// user's graphical session.
//
// On D-Bus desktops (Linux and the BSDs) it talks to the notification
// server itself, with github.com/esiqveland/notify over private session bus
// connections. It never starts a session bus and never runs a helper
// program: with no session there is nothing to show a notification on, and
// a bus started by crampd would outlive it. Given an OnAction callback,
// reminders carry "Done" and "Snooze 10 min" buttons when the server
// advertises the "actions" capability; a private connection stays open to
// hear which button was pressed. Elsewhere (macOS, Windows) reminders go
// through github.com/gen2brain/beeep as plain notifications.
//
// Medication and doctor reminders are sent with critical urgency and no
// expiry, plus the "resident" hint where the server keeps notifications
// (the "persistence" capability), so they stay on screen until the user
// dismisses them; servers drop normal notifications after a few seconds.
// The other kinds use normal urgency.
package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"

	fdo "github.com/esiqveland/notify"
	"github.com/gen2brain/beeep"
	"github.com/godbus/dbus/v5"
	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
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
	// Logger receives notes about buttons (a server that cannot show
	// them); nil discards them. Outages are not logged here: Notify
	// returns an error wrapping notify.ErrUnavailable, which the outbox
	// logs once per outage.
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

// New returns a Notifier without buttons that logs to logger; a nil logger
// discards its notes.
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
// OnAction and the server can show them. When there is no desktop session
// or no notification server (crampd running before login, or headless),
// the error wraps notify.ErrUnavailable and stays retryable: the user may
// log in later.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	o := m.Occurrence
	// Notification servers show plain text (or their own markup), not
	// Markdown.
	body := notify.StripEmphasis(o.Body)
	if o.Why != "" {
		body += "\n\n" + o.Why
	}
	nt := newNote(o.Kind, o.Title, body)

	if !buttonsPlatform {
		// Neither a session bus nor buttons here; beeep knows the
		// platform's own way.
		if err := n.run(ctx, func() error { return beeep.Notify(o.Title, body, "") }); err != nil {
			return fmt.Errorf("show desktop notification: %w", err)
		}
		return nil
	}

	if n.onAction != nil {
		err := n.run(ctx, func() error { return n.showWithButtons(m, nt) })
		if err == nil {
			n.mu.Lock()
			n.plain = false
			n.mu.Unlock()
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("show desktop notification: %w", err)
		}
		// Whatever stopped the buttons (no bus, no server, a server
		// without actions), the plain path below either shows the
		// reminder or says why the desktop is not there.
		n.notePlain(err)
	}

	if err := n.run(ctx, func() error { return showPlain(ctx, nt) }); err != nil {
		return fmt.Errorf("show desktop notification: %w", err)
	}
	return nil
}

// run calls f in the slot, giving up when ctx ends.
func (n *Notifier) run(ctx context.Context, f func() error) error {
	// select picks at random among ready cases: an attempt whose context
	// has already ended must not start, whatever slot is free.
	if err := ctx.Err(); err != nil {
		return err
	}
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

// note is a notification before it is sent: its urgency and expiry follow
// the reminder's kind, and its hints also depend on what the server can do.
type note struct {
	title, body string
	// urgent marks a reminder that must not vanish on its own.
	urgent bool
}

// urgentKinds are the reminders that stay on screen until dismissed: a
// missed dose or a nudge to see a doctor matters more than a glass of
// water, and notification servers drop normal notifications after a few
// seconds.
var urgentKinds = []domain.Kind{domain.KindMedication, domain.KindDoctor}

func newNote(kind domain.Kind, title, body string) note {
	return note{title: title, body: body, urgent: slices.Contains(urgentKinds, kind)}
}

// capabilityPersistence is what a server advertises when it keeps
// notifications until they are dismissed, which is where the resident
// hint means something.
const capabilityPersistence = "persistence"

// notification builds the freedesktop notification for a server with caps.
func (nt note) notification(caps []string, actions []fdo.Action) fdo.Notification {
	out := fdo.Notification{
		AppName: AppName,
		Summary: nt.title,
		Body:    nt.body,
		Actions: actions,
		// The server's default suits a reminder that may wait for a
		// button; a few seconds would be too short to reach one.
		ExpireTimeout: fdo.ExpireTimeoutSetByNotificationServer,
	}
	if !nt.urgent {
		out.SetUrgency(fdo.UrgencyNormal)
		return out
	}
	out.SetUrgency(fdo.UrgencyCritical)
	out.ExpireTimeout = fdo.ExpireTimeoutNever
	if slices.Contains(caps, capabilityPersistence) {
		// Keeps the notification after a button is pressed, or in the
		// server's history, until the user removes it.
		out.AddHint(fdo.Hint{ID: "resident", Variant: dbus.MakeVariant(true)})
	}
	return out
}

// errNoSession means there is no session bus to reach: no desktop session.
var errNoSession = errors.New("no desktop session")

// errNoServer means the session bus has no notification server, and none
// it can start.
var errNoServer = errors.New("no notification server on the session bus")

// connect opens a private, authenticated connection to the session bus. It
// never autolaunches a bus (as dbus.ConnectSessionBus would with
// dbus-launch when no address is known): a bus started by crampd before
// login has no notification server, would outlive crampd, and godbus would
// export its address into our environment, so crampd would never find the
// real session once the user logs in. A failure wraps errNoSession and
// notify.ErrUnavailable.
func connect(opts ...dbus.ConnOption) (*dbus.Conn, error) {
	fail := func(format string, args ...any) error {
		return notify.Unavailable(fmt.Errorf("%w: "+format, append([]any{errNoSession}, args...)...))
	}
	conn, err := dbus.SessionBusPrivateNoAutoStartup(opts...)
	if err != nil {
		if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
			return nil, fail("DBUS_SESSION_BUS_ADDRESS is not set and there is no bus at $XDG_RUNTIME_DIR/bus; crampd does not start a session bus of its own")
		}
		return nil, fail("cannot reach the session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, fail("authenticate to the session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, fail("session bus hello: %w", err)
	}
	return conn, nil
}

// noServer reports whether err is the bus saying that nobody owns the
// notification name and nobody can be started for it.
func noServer(err error) bool {
	var derr dbus.Error
	if !errors.As(err, &derr) {
		return false
	}
	return derr.Name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
		derr.Name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
		strings.HasPrefix(derr.Name, "org.freedesktop.DBus.Error.Spawn.")
}

// showPlain shows nt without buttons on a connection of its own, closed
// again at once: dbus.SessionBus, the process's shared connection, may be
// closed by any of its users and autolaunches a bus when there is none.
func showPlain(ctx context.Context, nt note) error {
	conn, err := connect(dbus.WithContext(ctx))
	if err != nil {
		return err
	}
	defer conn.Close()
	caps, err := fdo.GetCapabilities(conn)
	if err != nil {
		if noServer(err) {
			return notify.Unavailable(fmt.Errorf("%w: %w", errNoServer, err))
		}
		return fmt.Errorf("ask notification server for capabilities: %w", err)
	}
	if _, err := fdo.SendNotification(conn, nt.notification(caps, nil)); err != nil {
		return fmt.Errorf("send notification: %w", err)
	}
	return nil
}
