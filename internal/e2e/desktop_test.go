package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/desktopenv"
)

// TestDesktopNotificationReachesDunst runs crampd against a real
// notification server (dunst on a private bus and display) and checks that
// a due reminder shows up there under crampd's name, found only through
// the DBUS_SESSION_BUS_ADDRESS and DISPLAY a desktop session would set.
func TestDesktopNotificationReachesDunst(t *testing.T) {
	t.Parallel()
	env := desktopenv.Start(t)

	const title, message, why = "Calf stretch", "Lean on a wall, heel down, 30 seconds.", "Stretching before bed helps prevent night cramps."
	at := soon(2 * time.Second)
	s := newSandbox(t)
	s.writeProfile(quietBase + custom("stretch", cronAt(at), title, message, why) + "\n[[channel]]\ntype = \"desktop\"\n")
	d := s.run("crampd", "DBUS_SESSION_BUS_ADDRESS="+env.BusAddress, "DISPLAY="+env.Display)

	want := desktopenv.Notification{Summary: title, Body: message + "\n\n" + why, AppName: "crampd", Urgency: "normal"}
	var got []desktopenv.Notification
	d.waitFor(time.Until(at)+10*time.Second, fmt.Sprintf("notification %q in dunst's history", title), func() bool {
		got = env.History(t)
		return len(got) > 0
	})
	if len(got) != 1 || got[0] != want {
		t.Errorf("dunst history = %+v, want only %+v", got, want)
	}
	d.waitStderr(5*time.Second, `msg="reminder delivered"`, "channel=desktop")
	d.stopCleanly()
}
