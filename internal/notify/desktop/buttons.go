package desktop

import (
	"errors"
	"fmt"
	"slices"

	fdo "github.com/esiqveland/notify"
	"github.com/godbus/dbus/v5"

	"github.com/crampd/crampd/internal/notify"
)

// Action is a button the user pressed on a reminder: the answer every
// channel shares (see notify.Action).
type Action = notify.Action

// Some of the answers a reminder's buttons give when the notification
// server supports them; each kind's are notify.Buttons. The values double
// as the freedesktop action keys.
const (
	// ActionDone acknowledges the reminder.
	ActionDone = notify.ActionDone
	// ActionSnooze asks for the reminder again in ten minutes.
	ActionSnooze = notify.ActionSnooze
)

const (
	notificationsPath        dbus.ObjectPath = "/org/freedesktop/Notifications"
	signalActionInvoked                      = notificationsName + ".ActionInvoked"
	signalNotificationClosed                 = notificationsName + ".NotificationClosed"
	// capabilityActions is what a server advertises when it can show
	// buttons.
	capabilityActions = "actions"
)

// signalBuffer absorbs bursts of notification signals, including other
// applications' (the match rule cannot tell ours apart). godbus never
// blocks on a full channel but then delivers from extra goroutines, which
// loses ordering, so the buffer is generous.
const signalBuffer = 64

// actionBuffer holds button presses waiting for OnAction. A full buffer
// means OnAction is stuck; further presses are dropped with a warning
// rather than stalling the signal loop.
const actionBuffer = 16

var (
	// errNoActions means the notification server cannot show buttons.
	errNoActions = errors.New("notification server shows no action buttons")
	// errClosed means Close was called; buttons are off for good.
	errClosed = errors.New("desktop notifier closed")
)

// session is one private connection to the session bus and what was shown
// through it. The connection is private because dbus.SessionBus is shared
// by the whole process: beeep adds and removes a match rule and a signal
// channel on it for every notification, and any user of it may close it.
// Button presses must keep arriving regardless.
type session struct {
	conn    *dbus.Conn
	signals chan *dbus.Signal
	// shown is per connection: after a reconnect the bus may be a new
	// one, whose unique names (and so server identities) repeat the old
	// bus's.
	shown *shownTable
}

// press is one button press on its way to OnAction.
type press struct {
	occurrence string
	message    string
	action     Action
}

// showWithButtons shows m's reminder with Done and Snooze buttons and
// remembers which occurrence the notification is for. It returns
// errNoActions when the server cannot show buttons, and errClosed after
// Close; the caller then sends a plain notification instead.
func (n *Notifier) showWithButtons(m notify.Message, nt note) error {
	for try := 1; ; try++ {
		s, err := n.session()
		if err != nil {
			return err
		}
		err = n.showOn(s, m, nt)
		if try == 1 && errors.Is(err, errConnGone) {
			// Nothing was shown, and a dropped connection is often only
			// noticed on use: one fresh connection is worth a try.
			continue
		}
		return err
	}
}

// errConnGone marks a GetCapabilities call, an attempt's first, that got
// no D-Bus reply at all: the connection is gone (the bus restarted, say)
// even if godbus had not noticed yet, and nothing was shown.
var errConnGone = errors.New("session bus connection lost")

// isReply reports whether err is a D-Bus error reply (no such server, a
// server refusing the call) rather than a failure of the connection.
func isReply(err error) bool {
	var derr dbus.Error
	return errors.As(err, &derr)
}

// showOn sends the notification on s. Capabilities are asked on every
// call, not cached: the user may swap notification servers (or the server
// restart) while our connection lives, and it costs one round trip per
// reminder.
func (n *Notifier) showOn(s *session, m notify.Message, nt note) error {
	caps, err := fdo.GetCapabilities(s.conn)
	if err != nil {
		if !isReply(err) {
			s.conn.Close()
			return fmt.Errorf("ask notification server for capabilities: %w: %w", errConnGone, err)
		}
		return fmt.Errorf("ask notification server for capabilities: %w", err)
	}
	if !slices.Contains(caps, capabilityActions) {
		return errNoActions
	}
	// Signals carry the sender's unique name, not the well-known one, so
	// record which connection is the server now. Should the server be
	// replaced between this call and Notify, its signals are ignored:
	// that notification loses its buttons, and nothing is misattributed.
	var server string
	if err := s.conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, notificationsName).Store(&server); err != nil {
		return fmt.Errorf("ask session bus for the owner of %s: %w", notificationsName, err)
	}

	buttons := notify.Buttons(m.Occurrence.Kind)
	actions := make([]fdo.Action, len(buttons))
	offered := make([]Action, len(buttons))
	for i, b := range buttons {
		actions[i], offered[i] = fdo.Action{Key: string(b.Action), Label: b.Label}, b.Action
	}
	id, err := fdo.SendNotification(s.conn, nt.notification(caps, actions))
	if err != nil {
		if !isReply(err) {
			// The server may or may not have shown it; the outbox
			// decides about another attempt, which will redial.
			s.conn.Close()
		}
		return fmt.Errorf("send notification: %w", err)
	}
	s.shown.add(id, shown{server: server, occurrence: m.Occurrence.ID, message: m.ID, actions: offered, at: n.clock.Now()})
	return nil
}

// session returns the live private connection, dialling a new one on first
// use and after the old one dropped. Callers hold the slot, so two dials
// never race; Close may, and wins.
func (n *Notifier) session() (*session, error) {
	n.mu.Lock()
	closed, s := n.closed, n.sess
	n.mu.Unlock()
	if closed {
		return nil, errClosed
	}
	if s != nil && s.conn.Connected() {
		return s, nil
	}

	s, err := dial()
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		s.conn.Close()
		return nil, errClosed
	}
	n.sess = s
	if n.presses == nil {
		n.presses = make(chan press, actionBuffer)
		n.dispatched = make(chan struct{})
		go n.dispatch()
	}
	n.loops.Add(1)
	go n.listen(s)
	return s, nil
}

// dial opens a private connection to the session bus (see connect) and
// subscribes it to the notification signals.
func dial() (*session, error) {
	conn, err := connect()
	if err != nil {
		return nil, err
	}
	// The rule cannot name the server's unique name, which changes when
	// the server restarts; listen checks each signal's sender instead.
	if err := conn.AddMatchSignal(
		dbus.WithMatchObjectPath(notificationsPath),
		dbus.WithMatchInterface(notificationsName),
	); err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribe to notification signals: %w", err)
	}
	s := &session{conn: conn, signals: make(chan *dbus.Signal, signalBuffer), shown: newShownTable()}
	conn.Signal(s.signals)
	return s, nil
}

// listen handles s's signals until its connection closes, which closes the
// channel.
func (n *Notifier) listen(s *session) {
	defer n.loops.Done()
	for sig := range s.signals {
		n.handle(s, sig)
	}
	n.mu.Lock()
	if n.sess == s {
		n.sess = nil
	}
	n.mu.Unlock()
	n.logger.Debug("desktop notification connection closed")
}

// handle turns one signal into at most one press. It reads the signal body
// defensively: any client on the session bus can emit a signal with this
// path and interface and any arguments, which is also why esiqveland's own
// event loop (which type-asserts without checking) is not used here.
func (n *Notifier) handle(s *session, sig *dbus.Signal) {
	if sig == nil || sig.Path != notificationsPath {
		return
	}
	switch sig.Name {
	case signalActionInvoked:
		if len(sig.Body) < 2 {
			return
		}
		id, ok1 := sig.Body[0].(uint32)
		key, ok2 := sig.Body[1].(string)
		if !ok1 || !ok2 {
			return
		}
		// Only an answer the notification offered counts. Some servers
		// report a click on the body, or a dismissal, as "default"
		// although we offered no such action: that is not an answer, so
		// it does not use up the notification.
		action := Action(key)
		e, ok := s.shown.take(id, sig.Sender, action, n.clock.Now())
		if !ok {
			return
		}
		p := press{occurrence: e.occurrence, message: e.message, action: action}
		select {
		case n.presses <- p:
		default:
			n.logger.Warn("desktop button press dropped: earlier presses are still being handled",
				"occurrence_id", p.occurrence, "action", string(p.action))
		}
	case signalNotificationClosed:
		if len(sig.Body) < 1 {
			return
		}
		if id, ok := sig.Body[0].(uint32); ok {
			s.shown.forget(id, sig.Sender)
		}
	}
}

// dispatch calls OnAction for each press in order, outside any lock and
// off the signal loop, until Close.
func (n *Notifier) dispatch() {
	defer close(n.dispatched)
	for p := range n.presses {
		n.logger.Debug("desktop button pressed", "occurrence_id", p.occurrence, "message_id", p.message, "action", string(p.action))
		n.onAction(p.occurrence, p.action)
	}
}

// Close closes the private connection used for buttons and waits for the
// signal loop and any running OnAction call to finish; presses already
// received are still handed to OnAction. Do not call it while holding a
// lock that OnAction takes. Notify still works after Close, without
// buttons. Close is safe to call more than once.
func (n *Notifier) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	s := n.sess
	n.sess = nil
	presses, dispatched := n.presses, n.dispatched
	n.mu.Unlock()

	var err error
	if s != nil {
		err = s.conn.Close()
	}
	// Older sessions' loops may still be draining; no loop can start now.
	n.loops.Wait()
	if presses != nil {
		close(presses)
		<-dispatched
	}
	if err != nil {
		return fmt.Errorf("close desktop notification connection: %w", err)
	}
	return nil
}
