package ntfy_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/ntfy"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/ntfyserver"
)

// The tests in this file publish to a real ntfy server (see
// internal/testutil/ntfyserver), which CI always has.

func newNotifier(t *testing.T, url, token string) *ntfy.Notifier {
	t.Helper()
	n, err := ntfy.New(ntfy.Config{URL: url, Token: token, Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func TestRealServerShowsAReminder(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{})
	n := newNotifier(t, s.Base+"/cramps", "")
	m := message(domain.KindMedication, "Magnésium 💊")
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	got := s.Poll("cramps", "")
	want := ntfyserver.Message{
		Event: "message", Title: "Magnésium 💊", Message: "Take it with a glass of water.\n\nMissing doses makes cramps come back.",
		Tags: []string{"pill", "medication"}, Priority: 4,
	}
	if len(got) != 1 || got[0].Event != want.Event || got[0].Title != want.Title || got[0].Message != want.Message ||
		!slices.Equal(got[0].Tags, want.Tags) || got[0].Priority != want.Priority || got[0].Attachment != nil {
		t.Errorf("topic holds %+v, want just %+v", got, want)
	}
}

// A reminder's text over the server's limit arrives as a shortened
// message, not as an attachment and not as a refusal.
func TestRealServerLongTextArrivesAsText(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{})
	long := strings.Repeat("Wadenkrämpfe vorbeugen: ふくらはぎを伸ばしましょう 🦵 ", 80)
	tests := []struct {
		name, body, why string
	}{
		{name: "long body", body: long, why: "Stretching helps."},
		{name: "long why", body: "Stretch.", why: long},
		{name: "at the limit", body: strings.Repeat("a", ntfy.MaxBody-len("\n\nb")), why: "b"},
		{name: "one byte over", body: strings.Repeat("a", ntfy.MaxBody-len("\n\nb")+1), why: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			topic := strings.ReplaceAll(tt.name, " ", "-")
			n := newNotifier(t, s.Base+"/"+topic, "")
			m := message(domain.KindStretch, "Calf stretch")
			m.Occurrence.Body, m.Occurrence.Why = tt.body, tt.why
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			got := s.Poll(topic, "")
			if len(got) != 1 {
				t.Fatalf("topic holds %d messages, want 1", len(got))
			}
			p := got[0]
			if p.Attachment != nil {
				t.Errorf("the reminder arrived as an attachment: %s", p.Attachment)
			}
			if p.Title != "Calf stretch" {
				t.Errorf("title = %q, want it whole", p.Title)
			}
			full := tt.body + "\n\n" + tt.why
			if len(full) <= ntfy.MaxBody {
				if p.Message != full {
					t.Errorf("a text that fits was changed: %q", p.Message)
				}
				return
			}
			kept, ok := strings.CutSuffix(p.Message, "…")
			if !ok || !strings.HasPrefix(full, kept) || len(p.Message) > ntfy.MaxBody || len(p.Message) < ntfy.MaxBody-8 {
				t.Errorf("message is %d bytes ending %q; want the text's start, cut near %d bytes, ending in an ellipsis",
					len(p.Message), p.Message[max(0, len(p.Message)-20):], ntfy.MaxBody)
			}
			if !utf8.ValidString(p.Message) {
				t.Errorf("message cuts a character")
			}
		})
	}
}

// The longest texts a profile accepts fit in one ntfy message without
// being cut.
func TestProfileLimitsFitOneMessage(t *testing.T) {
	if total := profile.MaxMessage + len("\n\n") + profile.MaxWhy; total > ntfy.MaxBody {
		t.Errorf("a custom reminder may send %d bytes, more than the %d of one ntfy message", total, ntfy.MaxBody)
	}
}

func TestRealServerTokens(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{Auth: true})
	token := s.Token("crampd", map[string]string{"cramps": "rw"})

	m := message(domain.KindHydration, "Drink water")
	if err := newNotifier(t, s.Base+"/cramps", token).Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify with a token: %v", err)
	}
	if got := s.Poll("cramps", token); len(got) != 1 || got[0].Title != "Drink water" {
		t.Errorf("topic holds %+v, want the reminder", got)
	}

	for _, tt := range []struct{ name, token string }{
		{name: "no token", token: ""},
		{name: "wrong token", token: "tk_s3cretbutwrong000000000000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := newNotifier(t, s.Base+"/cramps", tt.token).Notify(context.Background(), m)
			if err == nil {
				t.Fatal("the server accepted the reminder")
			}
			if !notify.IsPermanent(err) {
				t.Errorf("refused access is retryable (%v); no retry can fix it", err)
			}
			if tt.token != "" && strings.Contains(err.Error(), tt.token) {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}
