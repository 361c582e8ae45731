package desktop_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
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
		name     string
		msg      notify.Message
		wantBody string
	}{
		{
			name:     "hydration",
			msg:      message(domain.KindHydration, "Drink water", "A glass before bed.", "Dehydration makes night cramps likelier."),
			wantBody: "A glass before bed.\n\nDehydration makes night cramps likelier.",
		},
		{
			// The second call checks that beeep's first call left the
			// shared session bus connection usable.
			name:     "medication",
			msg:      message(domain.KindMedication, "Magnesium", "Take 300 mg.", ""),
			wantBody: "Take 300 mg.",
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
				Urgency: "normal",
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

func TestNotifyUnavailableIsRetryableAndLoggedOnce(t *testing.T) {
	tests := []struct {
		name string
		bus  func(t *testing.T) string
	}{
		{
			name: "no session bus",
			bus: func(t *testing.T) string {
				return "unix:path=" + filepath.Join(t.TempDir(), "no-such-bus")
			},
		},
		{
			name: "no notification server",
			bus:  func(t *testing.T) string { return desktopenv.StartBus(t) },
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
			}
			t.Logf("logs after 3 failed attempts:\n%s", logs)
			if got := logs.count("level=WARN"); got != 1 {
				t.Errorf("logged %d warnings over 3 attempts, want 1:\n%s", got, logs)
			}
			if got := logs.count("level=INFO"); got != 0 {
				t.Errorf("logged recovery before recovering:\n%s", logs)
			}

			// The session comes back: the next attempt is delivered and the
			// recovery is logged once.
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
			if got := logs.count("level=INFO"); got != 1 {
				t.Errorf("logged %d recoveries, want 1:\n%s", got, logs)
			}
			if got := logs.count("level=WARN"); got != 1 {
				t.Errorf("logged %d warnings in total, want 1:\n%s", got, logs)
			}
			if h := env.History(t); len(h) != 2 || h[0].AppName != "crampd" {
				t.Errorf("history after recovery = %+v, want the two delivered reminders", h)
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
