package desktopenv_test

import (
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/crampd/crampd/internal/testutil/desktopenv"
)

func TestStartReceivesNotifications(t *testing.T) {
	env := desktopenv.Start(t)
	// notify-send is independent of crampd's own D-Bus code, so this test
	// checks the environment rather than the code under test.
	if _, err := exec.LookPath("notify-send"); err != nil {
		if os.Getenv(desktopenv.RequireEnv) == "1" {
			t.Fatal("notify-send not found: apt-get install -y libnotify-bin")
		}
		t.Skip("notify-send not found: apt-get install -y libnotify-bin")
	}

	tests := []struct {
		name    string
		urgency string
	}{
		{name: "low", urgency: "low"},
		{name: "normal", urgency: "normal"},
		{name: "critical", urgency: "critical"},
	}
	for _, tt := range tests {
		cmd := exec.Command("notify-send", "-a", "desktopenv-test", "-u", tt.urgency, "summary "+tt.name, "body "+tt.name)
		cmd.Env = append(cmd.Environ(), "DBUS_SESSION_BUS_ADDRESS="+env.BusAddress)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("notify-send: %v: %s", err, out)
		}
	}

	got := map[string]desktopenv.Notification{}
	for _, n := range env.History(t) {
		got[n.Summary] = n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, ok := got["summary "+tt.name]
			if !ok {
				t.Fatalf("history has no %q notification: %+v", "summary "+tt.name, got)
			}
			want := desktopenv.Notification{Summary: "summary " + tt.name, Body: "body " + tt.name, AppName: "desktopenv-test", Urgency: tt.urgency}
			if n != want {
				t.Errorf("notification = %+v, want %+v", n, want)
			}
		})
	}
}

func TestStartBusWithStopDropsConnections(t *testing.T) {
	addr, stop := desktopenv.StartBusWithStop(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()

	stop()
	select {
	case <-conn.Context().Done():
	case <-time.After(10 * time.Second):
		t.Fatal("connection still open 10s after the bus stopped")
	}
	if _, err := dbus.Connect(addr); err == nil {
		t.Error("connected to a stopped bus")
	}
	stop() // a second stop is harmless
}
