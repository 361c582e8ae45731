// Package fakenotifyd is a freedesktop notification server for tests. It
// owns org.freedesktop.Notifications on a real bus (such as one from
// desktopenv.StartBus), records every notification it is sent, and lets the
// test play the user: emit ActionInvoked as if a button was pressed, or
// NotificationClosed as if the notification was dismissed. Real servers
// such as dunst cannot be made to press a button from a test.
package fakenotifyd

import (
	"slices"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"
)

const (
	name  = "org.freedesktop.Notifications"
	path  = dbus.ObjectPath("/org/freedesktop/Notifications")
	iface = name
)

// Reason says why a notification closed, as in the NotificationClosed
// signal.
type Reason uint32

// The reasons the specification defines.
const (
	ReasonExpired      Reason = 1
	ReasonDismissed    Reason = 2
	ReasonClosedByCall Reason = 3
	ReasonUndefined    Reason = 4
)

// Notification is one Notify call as the server received it.
type Notification struct {
	// ID is what the server returned.
	ID         uint32
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	// Actions alternates keys and labels, as on the wire.
	Actions       []string
	Hints         map[string]dbus.Variant
	ExpireTimeout int32
	// Sender is the unique bus name of the client that sent it.
	Sender string
}

// Server is a running fake notification server.
type Server struct {
	conn *dbus.Conn

	mu     sync.Mutex
	caps   []string
	lastID uint32
	got    []Notification
	open   map[uint32]bool
}

// Start connects to the bus at busAddress, takes the notification name and
// serves until the test ends. capabilities is what GetCapabilities answers;
// include "actions" for a server that shows buttons.
func Start(t testing.TB, busAddress string, capabilities ...string) *Server {
	t.Helper()
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		t.Fatalf("fakenotifyd: connect to %s: %v", busAddress, err)
	}
	t.Cleanup(func() { conn.Close() })

	s := &Server{conn: conn, caps: slices.Clone(capabilities), open: map[uint32]bool{}}
	if err := conn.Export(methods{s}, path, iface); err != nil {
		t.Fatalf("fakenotifyd: export: %v", err)
	}
	reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatalf("fakenotifyd: request %s: %v", name, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("fakenotifyd: %s already has an owner (reply %d)", name, reply)
	}
	return s
}

// UniqueName is the server's unique name on the bus, the sender of its
// signals.
func (s *Server) UniqueName() string {
	return s.conn.Names()[0]
}

// SetCapabilities changes what later GetCapabilities calls answer.
func (s *Server) SetCapabilities(capabilities ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.caps = slices.Clone(capabilities)
}

// Notifications returns what the server has been sent, oldest first.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.got)
}

// Last returns the latest notification, failing the test if there is none.
func (s *Server) Last(t testing.TB) Notification {
	t.Helper()
	got := s.Notifications()
	if len(got) == 0 {
		t.Fatal("fakenotifyd: no notification received")
	}
	return got[len(got)-1]
}

// EmitActionInvoked broadcasts ActionInvoked(id, key), as a server does
// when the user presses the button with that key.
func (s *Server) EmitActionInvoked(t testing.TB, id uint32, key string) {
	t.Helper()
	if err := s.conn.Emit(path, iface+".ActionInvoked", id, key); err != nil {
		t.Fatalf("fakenotifyd: emit ActionInvoked: %v", err)
	}
}

// EmitNotificationClosed broadcasts NotificationClosed(id, reason).
func (s *Server) EmitNotificationClosed(t testing.TB, id uint32, reason Reason) {
	t.Helper()
	s.mu.Lock()
	delete(s.open, id)
	s.mu.Unlock()
	if err := s.conn.Emit(path, iface+".NotificationClosed", id, uint32(reason)); err != nil {
		t.Fatalf("fakenotifyd: emit NotificationClosed: %v", err)
	}
}

// methods holds the exported D-Bus methods, apart from Server's own so
// that no test helper becomes callable over the bus.
type methods struct{ s *Server }

// GetCapabilities implements org.freedesktop.Notifications.GetCapabilities.
func (m methods) GetCapabilities() ([]string, *dbus.Error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	return slices.Clone(m.s.caps), nil
}

// Notify implements org.freedesktop.Notifications.Notify. Ids start at 1
// and only grow, as the specification asks.
func (m methods) Notify(sender dbus.Sender, appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, expireTimeout int32) (uint32, *dbus.Error) {
	m.s.mu.Lock()
	defer m.s.mu.Unlock()
	id := replacesID
	if id == 0 || !m.s.open[id] {
		m.s.lastID++
		id = m.s.lastID
	}
	m.s.open[id] = true
	m.s.got = append(m.s.got, Notification{
		ID: id, AppName: appName, ReplacesID: replacesID, AppIcon: appIcon, Summary: summary, Body: body,
		Actions: actions, Hints: hints, ExpireTimeout: expireTimeout, Sender: string(sender),
	})
	return id, nil
}

// CloseNotification implements org.freedesktop.Notifications.CloseNotification:
// it closes an open notification and signals that, and answers an empty
// error for one that is not open.
func (m methods) CloseNotification(id uint32) *dbus.Error {
	m.s.mu.Lock()
	wasOpen := m.s.open[id]
	delete(m.s.open, id)
	m.s.mu.Unlock()
	if !wasOpen {
		return dbus.NewError(iface+".Error.NotFound", nil)
	}
	if err := m.s.conn.Emit(path, iface+".NotificationClosed", id, uint32(ReasonClosedByCall)); err != nil {
		return dbus.MakeFailedError(err)
	}
	return nil
}

// GetServerInformation implements
// org.freedesktop.Notifications.GetServerInformation.
func (m methods) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "fakenotifyd", "crampd", "1", "1.2", nil
}
