package desktop_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/jonboulle/clockwork"
	"go.uber.org/goleak"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/testutil/desktopenv"
	"github.com/crampd/crampd/internal/testutil/fakenotifyd"
)

// wantActions is what a reminder with buttons offers, as on the wire.
var wantActions = []string{"done", "Done", "snooze", "Snooze 10 min"}

// waitFor bounds every wait for something asynchronous; nothing sleeps.
const waitFor = 10 * time.Second

type pressed struct {
	occurrence string
	action     desktop.Action
}

// buttons is a Notifier with buttons whose presses the test reads in order.
type buttons struct {
	*desktop.Notifier
	presses chan pressed
	logs    *logBuffer
}

func newButtons(t *testing.T, clock clockwork.Clock) *buttons {
	t.Helper()
	b := &buttons{presses: make(chan pressed, 32), logs: &logBuffer{}}
	b.Notifier = desktop.NewWithOptions(desktop.Options{
		Logger:   slog.New(slog.NewTextHandler(b.logs, nil)),
		OnAction: func(occ string, a desktop.Action) { b.presses <- pressed{occ, a} },
		Clock:    clock,
	})
	t.Cleanup(func() {
		if err := b.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return b
}

// next returns the next press. Presses reach OnAction in the order their
// signals were sent, so waiting for a later press proves that earlier
// signals produced no other.
func (b *buttons) next(t *testing.T) pressed {
	t.Helper()
	select {
	case p := <-b.presses:
		return p
	case <-time.After(waitFor):
		t.Fatalf("no button press reported within %v", waitFor)
		return pressed{}
	}
}

// show sends m and returns the notification the server received.
func (b *buttons) show(t *testing.T, srv *fakenotifyd.Server, m notify.Message) fakenotifyd.Notification {
	t.Helper()
	if err := b.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify %s: %v", m.ID, err)
	}
	got := srv.Last(t)
	if got.Summary != m.Occurrence.Title {
		t.Fatalf("server's latest notification is %q, want %q", got.Summary, m.Occurrence.Title)
	}
	return got
}

// actionsBus starts a bus with a fake server that shows buttons, and points
// the session at it.
func actionsBus(t *testing.T) (string, *fakenotifyd.Server) {
	t.Helper()
	bus := desktopenv.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	return bus, fakenotifyd.Start(t, bus, "actions", "body")
}

func TestButtonsAreShown(t *testing.T) {
	_, srv := actionsBus(t)
	b := newButtons(t, nil)

	m := message(domain.KindHydration, "Drink water", "A glass before bed.", "Dehydration makes night cramps likelier.")
	got := b.show(t, srv, m)
	if got.AppName != "crampd" || got.Body != "A glass before bed.\n\nDehydration makes night cramps likelier." {
		t.Errorf("app name, body = %q, %q; want crampd and the body with its reason", got.AppName, got.Body)
	}
	if !slices.Equal(got.Actions, wantActions) {
		t.Errorf("actions = %q, want %q", got.Actions, wantActions)
	}
	if u, ok := got.Hints["urgency"]; !ok || u.Value() != byte(1) {
		t.Errorf("urgency hint = %v, want normal (byte 1)", got.Hints["urgency"])
	}
	if got.ExpireTimeout != -1 {
		t.Errorf("expire timeout = %d, want -1 (the server's default)", got.ExpireTimeout)
	}
	if s := b.logs.String(); s != "" {
		t.Errorf("a healthy delivery logged: %s", s)
	}
}

func TestButtonPressesReachOnAction(t *testing.T) {
	tests := []struct {
		key  string
		want desktop.Action
	}{
		{key: "done", want: desktop.ActionDone},
		{key: "snooze", want: desktop.ActionSnooze},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, srv := actionsBus(t)
			b := newButtons(t, nil)
			m := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
			got := b.show(t, srv, m)

			srv.EmitActionInvoked(t, got.ID, tt.key)
			if p := b.next(t); p != (pressed{m.Occurrence.ID, tt.want}) {
				t.Errorf("press = %+v, want %s on %s", p, tt.want, m.Occurrence.ID)
			}
		})
	}
}

func TestButtonsReportOnlyTheFirstAnswerFromTheServer(t *testing.T) {
	bus, srv := actionsBus(t)
	clock := clockwork.NewFakeClockAt(time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC))
	b := newButtons(t, clock)

	shown := map[string]fakenotifyd.Notification{}
	msgs := map[string]notify.Message{}
	for _, kind := range []domain.Kind{domain.KindStretch, domain.KindHydration, domain.KindFood, domain.KindMedication} {
		m := message(kind, string(kind), "body", "")
		msgs[string(kind)], shown[string(kind)] = m, b.show(t, srv, m)
	}
	id := func(kind domain.Kind) uint32 { return shown[string(kind)].ID }

	// Stretch: a server may report a press twice, or a second button
	// after the first.
	srv.EmitActionInvoked(t, id(domain.KindStretch), "snooze")
	srv.EmitActionInvoked(t, id(domain.KindStretch), "snooze")
	srv.EmitActionInvoked(t, id(domain.KindStretch), "done")
	// Another application's notification.
	srv.EmitActionInvoked(t, 9999, "done")
	// Hydration: a click on the body is not an answer and must not use up
	// the notification; a stranger on the bus cannot answer for the user.
	srv.EmitActionInvoked(t, id(domain.KindHydration), "default")
	impostor, err := dbus.Connect(bus)
	if err != nil {
		t.Fatalf("connect impostor: %v", err)
	}
	defer impostor.Close()
	if err := impostor.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.ActionInvoked",
		id(domain.KindHydration), "snooze"); err != nil {
		t.Fatalf("impostor emit: %v", err)
	}
	// Once the bus answers the impostor, it has routed the impostor's
	// signal ahead of anything the server sends next.
	var busID string
	if err := impostor.BusObject().Call("org.freedesktop.DBus.GetId", 0).Store(&busID); err != nil {
		t.Fatalf("impostor round trip: %v", err)
	}
	srv.EmitActionInvoked(t, id(domain.KindHydration), "done")
	srv.EmitNotificationClosed(t, id(domain.KindHydration), fakenotifyd.ReasonDismissed)
	for _, w := range []pressed{
		{msgs[string(domain.KindStretch)].Occurrence.ID, desktop.ActionSnooze},
		{msgs[string(domain.KindHydration)].Occurrence.ID, desktop.ActionDone},
	} {
		if p := b.next(t); p != w {
			t.Fatalf("press = %+v, want %+v", p, w)
		}
	}

	// Food: closed before any press, so a late press is ignored.
	srv.EmitNotificationClosed(t, id(domain.KindFood), fakenotifyd.ReasonExpired)
	srv.EmitActionInvoked(t, id(domain.KindFood), "done")
	// Medication: pressed after it was forgotten for its age. The presses
	// above have been handled, so only this one sees the later clock.
	clock.Advance(24 * time.Hour)
	srv.EmitActionInvoked(t, id(domain.KindMedication), "done")
	// A fresh reminder whose press marks the end of the signals above.
	last := message(domain.KindElectrolytes, "Electrolytes", "body", "")
	srv.EmitActionInvoked(t, b.show(t, srv, last).ID, "snooze")

	if p := b.next(t); p != (pressed{last.Occurrence.ID, desktop.ActionSnooze}) {
		t.Errorf("press = %+v, want only snooze on %s after the first two", p, last.Occurrence.ID)
	}
}

func TestButtonsFallBackToPlainWithoutActionsCapability(t *testing.T) {
	bus := desktopenv.StartBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	srv := fakenotifyd.Start(t, bus, "body")
	b := newButtons(t, nil)

	var plain []fakenotifyd.Notification
	for _, m := range []notify.Message{
		message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "Stretching before bed helps."),
		message(domain.KindFood, "Banana", "Potassium.", ""),
	} {
		got := b.show(t, srv, m)
		plain = append(plain, got)
		if len(got.Actions) != 0 {
			t.Errorf("%s: actions = %q, want none from a server without the actions capability", m.ID, got.Actions)
		}
	}
	if got := plain[0]; got.AppName != "crampd" || got.Body != "Hold 30 s each side.\n\nStretching before bed helps." {
		t.Errorf("plain notification = %+v, want crampd's with the body and its reason", got)
	}
	if n := b.logs.count("cannot show buttons"); n != 1 {
		t.Errorf("logged the missing capability %d times over two reminders, want once:\n%s", n, b.logs)
	}
	// Whatever the server says about a plain notification is not a press.
	srv.EmitActionInvoked(t, plain[0].ID, "done")

	// The server gains buttons (say the user switched servers): the next
	// reminder has them, and its press is the first one reported.
	srv.SetCapabilities("actions", "body")
	m := message(domain.KindHydration, "Drink water", "A glass before bed.", "")
	got := b.show(t, srv, m)
	if !slices.Equal(got.Actions, wantActions) {
		t.Fatalf("actions after the server gained them = %q, want %q", got.Actions, wantActions)
	}
	if got.Sender == plain[0].Sender {
		t.Errorf("plain and button notifications came from the same connection %s; want a short-lived one and the private one", got.Sender)
	}
	srv.EmitActionInvoked(t, got.ID, "snooze")
	if p := b.next(t); p != (pressed{m.Occurrence.ID, desktop.ActionSnooze}) {
		t.Errorf("press = %+v, want snooze on %s", p, m.Occurrence.ID)
	}
}

func TestButtonsSurviveTheSharedConnectionClosing(t *testing.T) {
	_, srv := actionsBus(t)
	b := newButtons(t, nil)
	first := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
	firstID := b.show(t, srv, first).ID

	// Another part of the process shows a notification and closes the
	// process's shared connection, as any of its users may.
	plain := message(domain.KindFood, "Banana", "Potassium.", "")
	if got := (&buttons{Notifier: desktop.New(nil)}).show(t, srv, plain); len(got.Actions) != 0 {
		t.Fatalf("plain notification has actions %q", got.Actions)
	}
	shared, err := dbus.SessionBus()
	if err != nil {
		t.Fatalf("shared session bus: %v", err)
	}
	if err := shared.Close(); err != nil {
		t.Fatalf("close shared session bus: %v", err)
	}

	srv.EmitActionInvoked(t, firstID, "done")
	if p := b.next(t); p != (pressed{first.Occurrence.ID, desktop.ActionDone}) {
		t.Errorf("press on the earlier reminder = %+v, want done on %s", p, first.Occurrence.ID)
	}
	second := message(domain.KindHydration, "Drink water", "A glass before bed.", "")
	got := b.show(t, srv, second)
	if !slices.Equal(got.Actions, wantActions) {
		t.Fatalf("actions = %q, want %q", got.Actions, wantActions)
	}
	srv.EmitActionInvoked(t, got.ID, "snooze")
	if p := b.next(t); p != (pressed{second.Occurrence.ID, desktop.ActionSnooze}) {
		t.Errorf("press = %+v, want snooze on %s", p, second.Occurrence.ID)
	}
}

func TestButtonsUnavailableThenRecover(t *testing.T) {
	tests := []struct {
		name string
		// bus returns the session's first bus address, and a function that
		// brings up a notification server and returns it.
		bus     func(t *testing.T) (string, func() *fakenotifyd.Server)
		wantErr string
	}{
		{
			name:    "no session bus",
			wantErr: "no desktop session: cannot reach the session bus",
			bus: func(t *testing.T) (string, func() *fakenotifyd.Server) {
				return "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus"), func() *fakenotifyd.Server {
					_, srv := actionsBus(t)
					return srv
				}
			},
		},
		{
			name:    "no notification server",
			wantErr: "no notification server on the session bus",
			bus: func(t *testing.T) (string, func() *fakenotifyd.Server) {
				bus := desktopenv.StartBus(t)
				return bus, func() *fakenotifyd.Server { return fakenotifyd.Start(t, bus, "actions") }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus, recover := tt.bus(t)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
			b := newButtons(t, nil)

			for attempt := 1; attempt <= 3; attempt++ {
				m := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
				m.Attempt = attempt
				err := b.Notify(context.Background(), m)
				if !errors.Is(err, notify.ErrUnavailable) {
					t.Fatalf("attempt %d: error %v does not wrap notify.ErrUnavailable", attempt, err)
				}
				if notify.IsPermanent(err) {
					t.Fatalf("attempt %d: error %v is permanent, want retryable", attempt, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("attempt %d: error %q does not say %q", attempt, err, tt.wantErr)
				}
			}
			// The outbox reports the outage, once.
			if s := b.logs.String(); s != "" {
				t.Errorf("the Notifier logged the outage itself:\n%s", s)
			}

			srv := recover()
			m := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
			m.Attempt = 4
			got := b.show(t, srv, m)
			if !slices.Equal(got.Actions, wantActions) {
				t.Fatalf("actions after recovery = %q, want %q", got.Actions, wantActions)
			}
			srv.EmitActionInvoked(t, got.ID, "done")
			if p := b.next(t); p != (pressed{m.Occurrence.ID, desktop.ActionDone}) {
				t.Errorf("press = %+v, want done on %s", p, m.Occurrence.ID)
			}
			if s := b.logs.String(); s != "" {
				t.Errorf("the Notifier logged:\n%s", s)
			}
		})
	}
}

func TestButtonsReconnectAfterTheBusRestarts(t *testing.T) {
	bus, stop := desktopenv.StartBusWithStop(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
	old := fakenotifyd.Start(t, bus, "actions")
	b := newButtons(t, nil)
	before := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
	b.show(t, old, before)

	// The session bus goes away and a new one comes up, as when the user
	// logs out and in again.
	stop()
	_, srv := actionsBus(t)
	after := message(domain.KindHydration, "Drink water", "A glass before bed.", "")
	got := b.show(t, srv, after)
	if !slices.Equal(got.Actions, wantActions) {
		t.Fatalf("actions on the new bus = %q, want %q", got.Actions, wantActions)
	}
	// The new server numbers from 1 again, like the old one: the press
	// must be for the reminder it showed.
	srv.EmitActionInvoked(t, got.ID, "snooze")
	if p := b.next(t); p != (pressed{after.Occurrence.ID, desktop.ActionSnooze}) {
		t.Errorf("press = %+v, want snooze on %s", p, after.Occurrence.ID)
	}
}

func TestCloseStopsButtons(t *testing.T) {
	_, srv := actionsBus(t)
	// Everything running now (the bus, the fake server, goroutines of
	// earlier tests' shared connections) is not the Notifier's.
	before := goleak.IgnoreCurrent()

	presses := make(chan pressed, 8)
	n := desktop.NewWithOptions(desktop.Options{
		OnAction: func(occ string, a desktop.Action) { presses <- pressed{occ, a} },
	})
	b := &buttons{Notifier: n, presses: presses}
	m := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
	srv.EmitActionInvoked(t, b.show(t, srv, m).ID, "done")
	if p := b.next(t); p != (pressed{m.Occurrence.ID, desktop.ActionDone}) {
		t.Fatalf("press = %+v, want done on %s", p, m.Occurrence.ID)
	}
	pending := b.show(t, srv, message(domain.KindFood, "Banana", "Potassium.", "")).ID

	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	goleak.VerifyNone(t, before)

	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	srv.EmitActionInvoked(t, pending, "done")
	// A closed Notifier still shows reminders, without buttons.
	got := b.show(t, srv, message(domain.KindHydration, "Drink water", "A glass before bed.", ""))
	if len(got.Actions) != 0 {
		t.Errorf("actions after Close = %q, want none", got.Actions)
	}
	if len(presses) != 0 {
		t.Errorf("OnAction called after Close: %+v", <-presses)
	}
}

func TestButtonsOnDunst(t *testing.T) {
	env := desktopenv.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", env.BusAddress)
	conn, err := dbus.Connect(env.BusAddress)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close()
	var caps []string
	if err := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").
		Call("org.freedesktop.Notifications.GetCapabilities", 0).Store(&caps); err != nil {
		t.Fatalf("GetCapabilities: %v", err)
	}
	if !slices.Contains(caps, "actions") {
		t.Fatalf("dunst capabilities %q lack actions, so this test would not exercise buttons", caps)
	}

	logs := &logBuffer{}
	n := desktop.NewWithOptions(desktop.Options{
		// Debug, so that a silent fallback to the plain path shows up.
		Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnAction: func(string, desktop.Action) {},
	})
	defer n.Close()
	m := message(domain.KindMedication, "Magnesium", "Take 300 mg.", "Low magnesium is linked to cramps.")
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if s := logs.String(); s != "" {
		t.Errorf("sending with buttons logged: %s", s)
	}
	want := desktopenv.Notification{
		Summary: "Magnesium",
		Body:    "Take 300 mg.\n\nLow magnesium is linked to cramps.",
		AppName: "crampd",
		Urgency: "critical",
	}
	if h := env.History(t); len(h) != 1 || h[0] != want {
		t.Errorf("dunst history = %+v, want just %+v", h, want)
	}
}

func TestButtonsHonourCancelledContext(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-such-bus"))
	b := newButtons(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := b.Notify(ctx, message(domain.KindFood, "Banana", "Potassium.", ""))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Notify = %v, want context.Canceled", err)
	}
}

// Medication and doctor reminders must stay until the user dismisses them:
// critical urgency, no expiry, and the resident hint where the server keeps
// notifications. The other kinds leave expiry to the server.
func TestUrgentKindsStayUntilDismissed(t *testing.T) {
	tests := []struct {
		name         string
		kind         domain.Kind
		caps         []string
		buttons      bool
		wantUrgency  byte
		wantExpire   int32
		wantResident bool
	}{
		{name: "hydration is normal", kind: domain.KindHydration, caps: []string{"body", "persistence"}, wantUrgency: 1, wantExpire: -1},
		{name: "medication is critical", kind: domain.KindMedication, caps: []string{"body"}, wantUrgency: 2, wantExpire: 0},
		{name: "medication is resident where the server keeps notifications", kind: domain.KindMedication, caps: []string{"body", "persistence"}, wantUrgency: 2, wantExpire: 0, wantResident: true},
		{name: "doctor is critical and resident", kind: domain.KindDoctor, caps: []string{"persistence"}, wantUrgency: 2, wantExpire: 0, wantResident: true},
		{name: "medication with buttons", kind: domain.KindMedication, caps: []string{"actions", "persistence"}, buttons: true, wantUrgency: 2, wantExpire: 0, wantResident: true},
		{name: "stretch with buttons is normal", kind: domain.KindStretch, caps: []string{"actions", "persistence"}, buttons: true, wantUrgency: 1, wantExpire: -1},
		{name: "food on a server that keeps nothing", kind: domain.KindFood, caps: []string{"body"}, wantUrgency: 1, wantExpire: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bus := desktopenv.StartBus(t)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus)
			srv := fakenotifyd.Start(t, bus, tt.caps...)
			b := &buttons{Notifier: desktop.New(nil)}
			if tt.buttons {
				b = newButtons(t, nil)
			}
			got := b.show(t, srv, message(tt.kind, "Reminder", "Body.", ""))
			if u, ok := got.Hints["urgency"]; !ok || u.Value() != tt.wantUrgency {
				t.Errorf("urgency hint = %v, want byte %d", got.Hints["urgency"], tt.wantUrgency)
			}
			if got.ExpireTimeout != tt.wantExpire {
				t.Errorf("expire timeout = %d, want %d", got.ExpireTimeout, tt.wantExpire)
			}
			r, ok := got.Hints["resident"]
			if tt.wantResident && (!ok || r.Value() != true) || !tt.wantResident && ok {
				t.Errorf("resident hint = %v (present %v), want present %v", r, ok, tt.wantResident)
			}
			if hasActions := len(got.Actions) > 0; hasActions != tt.buttons {
				t.Errorf("actions = %q, want buttons %v", got.Actions, tt.buttons)
			}
		})
	}
}

// Each kind shows its own answers: Taken, Snooze and Skip on a dose; No
// cramps, Cramp and Severe cramp on the check-in, whose Markdown emphasis
// the desktop shows as plain text. Only an answer the notification offers
// is reported.
func TestEachKindShowsItsAnswers(t *testing.T) {
	_, srv := actionsBus(t)
	b := newButtons(t, nil)

	dose := message(domain.KindMedication, "Take your Pill", "It's 09:00.", "")
	if got := b.show(t, srv, dose); !slices.Equal(got.Actions, []string{"done", "Taken", "snooze", "Snooze 10 min", "skip", "Skip"}) {
		t.Errorf("dose actions = %q", got.Actions)
	}
	checkin := message(domain.KindCheckin, "How was your night?", "Answer **No cramps**, **Cramp** or **Severe cramp**.", "")
	got := b.show(t, srv, checkin)
	if !slices.Equal(got.Actions, []string{"none", "No cramps", "cramp", "Cramp", "severe", "Severe cramp"}) {
		t.Errorf("check-in actions = %q", got.Actions)
	}
	if got.Body != "Answer No cramps, Cramp or Severe cramp." {
		t.Errorf("check-in body = %q, want it without Markdown", got.Body)
	}
	// "done" is no answer to the check-in: it does not use it up.
	srv.EmitActionInvoked(t, got.ID, "done")
	srv.EmitActionInvoked(t, got.ID, "severe")
	if p := b.next(t); p != (pressed{checkin.Occurrence.ID, notify.ActionSevere}) {
		t.Fatalf("press = %+v, want severe on the check-in", p)
	}
}
