package desktop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/testutil/desktopenv"
)

func message(kind domain.Kind, title, body, why string) notify.Message {
	return notify.Message{
		ID:      "msg-" + string(kind),
		Attempt: 1,
		Occurrence: domain.Occurrence{
			ID:    string(kind) + "-0123456789ab",
			Kind:  kind,
			At:    time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC),
			Title: title,
			Body:  body,
			Why:   why,
		},
	}
}

// logBuffer collects slog text output; the handler may be called from the
// Notifier's goroutines while the test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) count(s string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Count(b.buf.String(), s)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newNotifier() (*desktop.Notifier, *logBuffer) {
	logs := &logBuffer{}
	return desktop.New(slog.New(slog.NewTextHandler(logs, nil))), logs
}

func TestNotifyShowsNotifications(t *testing.T) {
	env := desktopenv.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", env.BusAddress)
	n, logs := newNotifier()

	tests := []struct {
		name        string
		msg         notify.Message
		wantBody    string
		wantUrgency string
	}{
		{
			name:        "hydration",
			msg:         message(domain.KindHydration, "Drink water", "A glass before bed.", "Dehydration makes night cramps likelier."),
			wantBody:    "A glass before bed.\n\nDehydration makes night cramps likelier.",
			wantUrgency: "normal",
		},
		{
			// The second call checks that the first left nothing behind
			// that breaks the next.
			name:        "medication stays until dismissed",
			msg:         message(domain.KindMedication, "Magnesium", "Take 300 mg.", ""),
			wantBody:    "Take 300 mg.",
			wantUrgency: "critical",
		},
		{
			name:        "doctor stays until dismissed",
			msg:         message(domain.KindDoctor, "See a doctor", "Three cramps this week.", ""),
			wantBody:    "Three cramps this week.",
			wantUrgency: "critical",
		},
		{
			name:        "stretch",
			msg:         message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", ""),
			wantBody:    "Hold 30 s each side.",
			wantUrgency: "normal",
		},
	}
	for _, tt := range tests {
		if err := n.Notify(context.Background(), tt.msg); err != nil {
			t.Fatalf("Notify %s: %v", tt.name, err)
		}
	}

	shown := map[string]desktopenv.Notification{}
	for _, s := range env.History(t) {
		shown[s.Summary] = s
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := shown[tt.msg.Occurrence.Title]
			if !ok {
				t.Fatalf("dunst did not receive %q; history: %+v", tt.msg.Occurrence.Title, shown)
			}
			want := desktopenv.Notification{
				Summary: tt.msg.Occurrence.Title,
				Body:    tt.wantBody,
				AppName: "crampd",
				Urgency: tt.wantUrgency,
			}
			if got != want {
				t.Errorf("notification = %+v, want %+v", got, want)
			}
		})
	}
	if s := logs.String(); s != "" {
		t.Errorf("healthy deliveries logged: %s", s)
	}
}

// An outage is the outbox's to report, once: the Notifier returns an error
// that says what is missing and logs nothing itself on any attempt.
func TestNotifyUnavailableIsRetryableAndQuiet(t *testing.T) {
	tests := []struct {
		name    string
		bus     func(t *testing.T) string
		wantErr string
	}{
		{
			name: "no session bus",
			bus: func(t *testing.T) string {
				return "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")
			},
			wantErr: "no desktop session: cannot reach the session bus",
		},
		{
			name:    "no notification server",
			bus:     func(t *testing.T) string { return desktopenv.StartBus(t) },
			wantErr: "no notification server on the session bus",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", tt.bus(t))
			n, logs := newNotifier()

			for attempt := 1; attempt <= 3; attempt++ {
				m := message(domain.KindStretch, "Calf stretch", "Hold 30 s each side.", "")
				m.Attempt = attempt
				err := n.Notify(context.Background(), m)
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
			if s := logs.String(); s != "" {
				t.Errorf("the Notifier logged the outage itself; the outbox reports it once:\n%s", s)
			}

			// The session comes back: the next attempts are delivered.
			env := desktopenv.Start(t)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", env.BusAddress)
			for attempt := 4; attempt <= 5; attempt++ {
				// Distinct titles, because dunst stacks identical
				// notifications into one history entry.
				m := message(domain.KindStretch, fmt.Sprintf("Calf stretch %d", attempt), "Hold 30 s each side.", "")
				m.Attempt = attempt
				if err := n.Notify(context.Background(), m); err != nil {
					t.Fatalf("attempt %d after recovery: %v", attempt, err)
				}
			}
			if h := env.History(t); len(h) != 2 || h[0].AppName != "crampd" {
				t.Errorf("history after recovery = %+v, want the two delivered reminders", h)
			}
			if s := logs.String(); s != "" {
				t.Errorf("the Notifier logged: %s", s)
			}
		})
	}
}

// spawnTrap puts stand-ins for every program a notification library could
// fall back to first on PATH; each records that it ran, in the returned
// file, and fails.
func spawnTrap(t *testing.T) (ran func() string) {
	t.Helper()
	dir := t.TempDir()
	record := filepath.Join(dir, "ran")
	for _, prog := range []string{"dbus-launch", "dbus-daemon", "notify-send", "kdialog", "gdbus", "zenity"} {
		script := "#!/bin/sh\necho \"$0 $*\" >> '" + record + "'\nexit 1\n"
		if err := os.WriteFile(filepath.Join(dir, prog), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return func() string {
		b, _ := os.ReadFile(record)
		return string(b)
	}
}

// Without DBUS_SESSION_BUS_ADDRESS there is no desktop session to show a
// notification on. The Notifier must say so, and must not start a session
// bus (which would outlive crampd) or run notify-send and friends.
func TestNotifyWithoutASessionStartsNothing(t *testing.T) {
	// godbus also finds a systemd user bus by its well-known path; where
	// one exists there is a session, and this test cannot take it away.
	if u, err := user.Current(); err == nil {
		if _, err := os.Stat(filepath.Join("/run/user", u.Uid, "bus")); err == nil {
			t.Skipf("a session bus is at /run/user/%s/bus; this test needs a machine without one", u.Uid)
		}
	}
	tests := []struct {
		name     string
		onAction func(string, desktop.Action)
	}{
		{name: "plain"},
		{name: "with buttons", onAction: func(string, desktop.Action) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ran := spawnTrap(t)
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
			logs := &logBuffer{}
			n := desktop.NewWithOptions(desktop.Options{
				Logger:   slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
				OnAction: tt.onAction,
			})
			defer n.Close()

			for attempt := 1; attempt <= 2; attempt++ {
				m := message(domain.KindMedication, "Magnesium", "Take 300 mg.", "")
				m.Attempt = attempt
				err := n.Notify(context.Background(), m)
				if !errors.Is(err, notify.ErrUnavailable) {
					t.Fatalf("attempt %d: error %v does not wrap notify.ErrUnavailable", attempt, err)
				}
				if !strings.Contains(err.Error(), "no desktop session: DBUS_SESSION_BUS_ADDRESS is not set") {
					t.Errorf("attempt %d: error %q does not say there is no desktop session", attempt, err)
				}
			}
			if r := ran(); r != "" {
				t.Errorf("the Notifier ran programs:\n%s", r)
			}
			if v := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); v != "" {
				t.Errorf("DBUS_SESSION_BUS_ADDRESS is now %q: a bus was found or started", v)
			}
		})
	}
}

func TestNotifyHonoursCancelledContext(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-such-bus"))
	n, _ := newNotifier()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()

	err := n.Notify(ctx, message(domain.KindFood, "Banana", "Potassium.", ""))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Notify = %v, want context.Canceled", err)
	}
}
