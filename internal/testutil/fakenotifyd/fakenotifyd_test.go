package fakenotifyd_test

import (
	"slices"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/crampd/crampd/internal/testutil/desktopenv"
	"github.com/crampd/crampd/internal/testutil/fakenotifyd"
)

const (
	name = "org.freedesktop.Notifications"
	path = dbus.ObjectPath("/org/freedesktop/Notifications")
)

// client is a bare godbus connection subscribed to the server's signals,
// independent of the code the fake exists to test.
func client(t *testing.T, bus string) (*dbus.Conn, chan *dbus.Signal) {
	t.Helper()
	conn, err := dbus.Connect(bus)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(path), dbus.WithMatchInterface(name)); err != nil {
		t.Fatalf("add match: %v", err)
	}
	ch := make(chan *dbus.Signal, 8)
	conn.Signal(ch)
	return conn, ch
}

func nextSignal(t *testing.T, ch chan *dbus.Signal) *dbus.Signal {
	t.Helper()
	select {
	case s := <-ch:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no signal within 10s")
		return nil
	}
}

func TestServer(t *testing.T) {
	bus := desktopenv.StartBus(t)
	srv := fakenotifyd.Start(t, bus, "body")
	conn, signals := client(t, bus)
	obj := conn.Object(name, path)

	var caps []string
	if err := obj.Call(name+".GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatalf("GetCapabilities: %v", err)
	}
	if !slices.Equal(caps, []string{"body"}) {
		t.Errorf("capabilities = %q, want [body]", caps)
	}
	srv.SetCapabilities("actions", "body")
	if err := obj.Call(name+".GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatalf("GetCapabilities: %v", err)
	}
	if !slices.Equal(caps, []string{"actions", "body"}) {
		t.Errorf("capabilities after SetCapabilities = %q, want [actions body]", caps)
	}

	var info [4]string
	if err := obj.Call(name+".GetServerInformation", 0).Store(&info[0], &info[1], &info[2], &info[3]); err != nil {
		t.Fatalf("GetServerInformation: %v", err)
	}
	if info[0] != "fakenotifyd" {
		t.Errorf("server name = %q, want fakenotifyd", info[0])
	}

	notifyCall := func(summary string) uint32 {
		t.Helper()
		var id uint32
		err := obj.Call(name+".Notify", 0, "app", uint32(0), "", summary, "body",
			[]string{"ok", "OK"}, map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(1))}, int32(-1)).Store(&id)
		if err != nil {
			t.Fatalf("Notify: %v", err)
		}
		return id
	}
	id1, id2 := notifyCall("one"), notifyCall("two")
	if id1 == 0 || id2 <= id1 {
		t.Errorf("ids %d, %d: want increasing and non-zero", id1, id2)
	}
	got := srv.Last(t)
	if got.ID != id2 || got.AppName != "app" || got.Summary != "two" || got.Body != "body" ||
		!slices.Equal(got.Actions, []string{"ok", "OK"}) || got.ExpireTimeout != -1 ||
		got.Hints["urgency"].Value() != byte(1) || got.Sender != conn.Names()[0] {
		t.Errorf("last notification = %+v", got)
	}

	srv.EmitActionInvoked(t, id1, "ok")
	s := nextSignal(t, signals)
	if s.Name != name+".ActionInvoked" || s.Sender != srv.UniqueName() || s.Body[0] != id1 || s.Body[1] != "ok" {
		t.Errorf("signal = %+v, want ActionInvoked(%d, ok) from %s", s, id1, srv.UniqueName())
	}

	if err := obj.Call(name+".CloseNotification", 0, id2).Err; err != nil {
		t.Fatalf("CloseNotification: %v", err)
	}
	s = nextSignal(t, signals)
	if s.Name != name+".NotificationClosed" || s.Body[0] != id2 || s.Body[1] != uint32(fakenotifyd.ReasonClosedByCall) {
		t.Errorf("signal = %+v, want NotificationClosed(%d, 3)", s, id2)
	}
	if err := obj.Call(name+".CloseNotification", 0, id2).Err; err == nil {
		t.Error("closing a closed notification succeeded, want an error")
	}

	srv.EmitNotificationClosed(t, id1, fakenotifyd.ReasonDismissed)
	s = nextSignal(t, signals)
	if s.Name != name+".NotificationClosed" || s.Body[0] != id1 || s.Body[1] != uint32(fakenotifyd.ReasonDismissed) {
		t.Errorf("signal = %+v, want NotificationClosed(%d, 2)", s, id1)
	}
}
