package daemon_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/testutil/desktopenv"
	"github.com/crampd/crampd/internal/testutil/fakenotifyd"
)

// buttonProfile sends a dose at 10:00 (repeating every 10 minutes) and a
// walk at 10:30 to the desktop.
var buttonProfile = strings.Replace(doseProfile, `type = "stdout"`, `type = "desktop"`, 1)

// waitNotified waits until the server has received n notifications.
func waitNotified(t *testing.T, srv *fakenotifyd.Server, n int) []fakenotifyd.Notification {
	t.Helper()
	var got []fakenotifyd.Notification
	eventually(t, func() bool { got = srv.Notifications(); return len(got) >= n },
		func() string {
			return fmt.Sprintf("the notification server got %d notifications, want %d", len(got), n)
		})
	return got
}

// Pressing Done on a dose stops its repeats; pressing Snooze on a reminder
// sends it again after ten minutes of the fake clock.
func TestDesktopButtons(t *testing.T) {
	bus := desktopenv.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	srv := fakenotifyd.Start(t, bus, "actions", "body")

	h := newHarness(t, buttonProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := h.waitFired(1)[0]
	h.waitSettled(1)
	got := waitNotified(t, srv, 1)[0]
	if got.AppName != "crampd" || got.Summary != "Take your Pill" || strings.Join(got.Actions, "|") != "done|Taken|snooze|Snooze 10 min|skip|Skip" {
		t.Fatalf("notification %+v", got)
	}

	srv.EmitActionInvoked(t, got.ID, "done")
	waitStatus(t, h, dose.ID, domain.StatusAcked)
	// The store commits the acknowledgement before the outbox drops the
	// repeats; the log line comes after both.
	waitLog(t, h, `msg="reminder acknowledged"`)
	// No repeats at 10:10 and 10:20.
	h.advanceTo(time.Date(2027, 6, 1, 10, 10, 0, 0, time.UTC))
	h.advanceTo(time.Date(2027, 6, 1, 10, 20, 0, 0, time.UTC))
	h.settle()

	h.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	walk := h.waitFired(1)[0]
	h.waitSettled(1)
	notes := waitNotified(t, srv, 2)
	if len(notes) != 2 || notes[1].Summary != "Walk" {
		t.Fatalf("after Done the dose repeated: %d notifications, last %q", len(notes), notes[len(notes)-1].Summary)
	}
	srv.EmitActionInvoked(t, notes[1].ID, "snooze")
	srv.EmitActionInvoked(t, notes[1].ID, "snooze") // a server may repeat itself
	waitDeliveries(t, h, walk.ID, 2)
	h.advanceTo(time.Date(2027, 6, 1, 10, 39, 0, 0, time.UTC))
	h.settle()
	if n := len(srv.Notifications()); n != 2 {
		t.Fatalf("the snoozed walk came back early: %d notifications", n)
	}
	h.advanceTo(time.Date(2027, 6, 1, 10, 40, 0, 0, time.UTC))
	if d := h.waitSettled(1)[0]; d.MessageID != walk.ID+".1" {
		t.Fatalf("snoozed re-fire %s", d.MessageID)
	}
	if notes := waitNotified(t, srv, 3); notes[2].Summary != "Walk" {
		t.Fatalf("third notification %q", notes[2].Summary)
	}
	h.advanceTo(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	h.settle()
	if n := len(srv.Notifications()); n != 3 {
		t.Fatalf("%d notifications; one snooze press (sent twice) must re-fire once", n)
	}
}

func waitStatus(t *testing.T, h *harness, id string, want domain.Status) {
	t.Helper()
	var (
		rec domain.Record
		err error
	)
	eventually(t, func() bool {
		rec, err = h.d.Store().Record(context.Background(), id)
		return err == nil && rec.Status == want
	}, func() string {
		return fmt.Sprintf("%s: status %s, want %s (%v)\nlogs:\n%s", id, rec.Status, want, err, h.logs.String())
	})
}

// waitDeliveries waits until id has n deliveries in the outbox.
func waitDeliveries(t *testing.T, h *harness, id string, n int) {
	t.Helper()
	total := 0
	eventually(t, func() bool {
		rec, err := h.d.Store().Record(context.Background(), id)
		total = 0
		for _, c := range rec.Deliveries {
			total += c
		}
		return err == nil && total >= n
	}, func() string { return fmt.Sprintf("%s has %d deliveries, want %d", id, total, n) })
}

// waitLog waits until the daemon's log holds s.
func waitLog(t *testing.T, h *harness, s string) {
	t.Helper()
	eventually(t, func() bool { return strings.Contains(h.logs.String(), s) },
		func() string { return fmt.Sprintf("the log never said %s:\n%s", s, h.logs.String()) })
}
