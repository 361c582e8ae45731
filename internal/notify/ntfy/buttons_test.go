package ntfy_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/ntfy"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/ntfyserver"
)

func replyKey(t *testing.T) reply.Key {
	t.Helper()
	k, err := reply.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Every kind has its look on the phone.
func TestEveryKindHasAStyle(t *testing.T) {
	srv, last := topic(t)
	n := newNotifier(t, srv.URL+"/cramps", "")
	for _, k := range domain.Kinds() {
		if err := n.Notify(context.Background(), message(k, "x")); err != nil {
			t.Fatal(err)
		}
		if tags := last().header.Get("Tags"); tags == "bell,"+string(k) && k != domain.KindCustom {
			t.Errorf("kind %s has no style of its own (tags %q)", k, tags)
		}
	}
}

// The buttons of each kind, as the Actions header carries them: http
// actions posting a signed reply to the reply topic with the button token;
// Snooze keeps the notification, every other answer clears it. The
// Markdown and Click headers come only where they mean something.
func TestActionsHeader(t *testing.T) {
	key := replyKey(t)
	tests := []struct {
		kind     domain.Kind
		labels   []string
		actions  []notify.Action
		clear    []bool
		markdown bool
	}{
		{kind: domain.KindMedication, labels: []string{"Taken", "Snooze 10 min", "Skip"},
			actions: []notify.Action{notify.ActionDone, notify.ActionSnooze, notify.ActionSkip}, clear: []bool{true, false, true}},
		{kind: domain.KindStretch, labels: []string{"Done", "Snooze 10 min"},
			actions: []notify.Action{notify.ActionDone, notify.ActionSnooze}, clear: []bool{true, false}},
		{kind: domain.KindDoctor, labels: []string{"Noted"}, actions: []notify.Action{notify.ActionDone}, clear: []bool{true}},
		{kind: domain.KindCheckin, labels: []string{"No cramps", "Cramp", "Severe cramp"},
			actions: []notify.Action{notify.ActionNone, notify.ActionCramp, notify.ActionSevere}, clear: []bool{true, true, true}, markdown: true},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			srv, last := topic(t)
			n, err := ntfy.New(ntfy.Config{URL: srv.URL + "/cramps", Clock: clockwork.NewFakeClockAt(now), Click: "https://crampd.example/today",
				Replies: &ntfy.Replies{URL: srv.URL + "/crampd-replies", ButtonToken: "tk_button"}, Key: key})
			if err != nil {
				t.Fatal(err)
			}
			m := message(tt.kind, "x")
			if tt.kind == domain.KindCheckin {
				m.Occurrence.Body = "Answer **No cramps** or **Cramp**."
			}
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			h := last().header
			var got []ntfyserver.Action
			if err := json.Unmarshal([]byte(h.Get("Actions")), &got); err != nil {
				t.Fatalf("Actions %q: %v", h.Get("Actions"), err)
			}
			if len(got) != len(tt.labels) {
				t.Fatalf("%d buttons, want %v", len(got), tt.labels)
			}
			for i, a := range got {
				if a.Action != "http" || a.Label != tt.labels[i] || a.Method != http.MethodPost || a.URL != srv.URL+"/crampd-replies" ||
					a.Headers["Authorization"] != "Bearer tk_button" || a.Clear != tt.clear[i] {
					t.Errorf("button %d = %+v", i, a)
				}
				p, err := key.Open(a.Body)
				if want := (reply.Press{OccurrenceID: m.Occurrence.ID, Action: tt.actions[i], Nonce: m.ID}); err != nil || p != want {
					t.Errorf("button %d body %q opens to %+v, %v; want %+v", i, a.Body, p, err, want)
				}
			}
			if got := h.Get("Markdown") == "yes"; got != tt.markdown {
				t.Errorf("Markdown header %q", h.Get("Markdown"))
			}
			if h.Get("Click") != "https://crampd.example/today" {
				t.Errorf("Click header %q", h.Get("Click"))
			}
		})
	}
	// Without a reply topic there are no buttons, and no click without a
	// page.
	srv, last := topic(t)
	if err := newNotifier(t, srv.URL+"/cramps", "").Notify(context.Background(), message(domain.KindMedication, "x")); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"Actions", "Click", "Markdown"} {
		if v := last().header.Get(h); v != "" {
			t.Errorf("%s = %q without replies or a click URL", h, v)
		}
	}
}

// channelProfile is an ntfy channel with replies, its secrets in files
// beside the profile.
func channelProfile(t *testing.T, url, replies string) (*profile.Profile, error) {
	t.Helper()
	dir := t.TempDir()
	for name, v := range tokens {
		mode := os.FileMode(0o600)
		if name == "open.token" {
			mode = 0o644
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v+"\n"), mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(filepath.Join(dir, name), mode)
	}
	path := filepath.Join(dir, "profile.toml")
	text := "timezone = \"UTC\"\n[[channel]]\ntype = \"ntfy\"\nname = \"phone\"\nurl = \"" + url + "\"\nsecret_file = \"publish.token\"\n" + replies
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(path)
	if err != nil {
		return nil, err
	}
	return p, p.CheckSecrets(func(string) string { return "" })
}

var tokens = map[string]string{"publish.token": "tk_publish", "read.token": "tk_read", "button.token": "tk_button", "open.token": "tk_open"}

// [channel.replies] is checked by `crampd check`: topic names, the reply
// topic apart from the reminder topic, tokens kept apart, secrets that are
// private, and no unknown key.
func TestRepliesConfig(t *testing.T) {
	tests := []struct {
		name, url, replies string
		want               string
	}{
		{name: "a bad topic name", url: "https://ntfy.example/crampd", replies: "[channel.replies]\ntopic = \"my replies\"\n",
			want: `channel[1].replies.topic: "my replies" is not an ntfy topic name`},
		{name: "no topic", url: "https://ntfy.example/crampd", replies: "[channel.replies]\nsecret_file = \"read.token\"\n",
			want: "channel[1].replies: missing reply topic"},
		{name: "the reminder topic", url: "https://ntfy.example/crampd", replies: "[channel.replies]\ntopic = \"crampd\"\n",
			want: "channel[1].replies.topic: the reply topic must differ from the reminder topic"},
		{name: "the read token in the buttons", url: "https://ntfy.example/crampd",
			replies: "[channel.replies]\ntopic = \"r\"\nsecret_file = \"read.token\"\nbutton_secret_file = \"read.token\"\n",
			want:    "channel[1].replies.button_secret_file: the button token must not be the token crampd reads replies with"},
		{name: "the publishing token in the buttons", url: "https://ntfy.example/crampd",
			replies: "[channel.replies]\ntopic = \"r\"\nbutton_secret_file = \"publish.token\"\n",
			want:    "the button token must not be the channel's own token"},
		{name: "a button token file others can read", url: "https://ntfy.example/crampd",
			replies: "[channel.replies]\ntopic = \"r\"\nbutton_secret_file = \"open.token\"\n", want: "is readable by group or others"},
		{name: "an unknown key", url: "https://ntfy.example/crampd", replies: "[channel.replies]\ntopic = \"r\"\ntoken_file = \"x\"\n",
			want: "channel[1].replies.token_file: unknown key"},
		{name: "a click URL with a password", url: "https://ntfy.example/crampd", replies: "click = \"https://me:pw@crampd.example/\"\n",
			want: "channel[1].click: want an http:// or https:// URL without a user name or password"},
		{name: "a good one", url: "https://ntfy.example/crampd",
			replies: "click = \"https://crampd.example/\"\n[channel.replies]\ntopic = \"crampd-replies\"\nsecret_file = \"read.token\"\nbutton_secret_file = \"button.token\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := channelProfile(t, tt.url, tt.replies)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("a good profile was refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// On a real server with access control on and the three tokens the README
// describes, a phone subscribed to the reminder topic receives a dose with
// its three buttons; pressing Taken as the app does puts the signed reply
// on the reply topic, where crampd's token reads it; the button token
// cannot read it, and nothing without a token can publish there.
func TestRealServerButtons(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{Auth: true})
	tok := s.PhoneTokens("cramps", "crampd-replies")
	publish, read, button, phone := tok.Publish, tok.Read, tok.Button, tok.Phone
	key := replyKey(t)
	n, err := ntfy.New(ntfy.Config{URL: s.Base + "/cramps", Token: publish, Clock: clockwork.NewFakeClockAt(now),
		Replies: &ntfy.Replies{URL: s.Base + "/crampd-replies", Token: read, ButtonToken: button}, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	m := message(domain.KindMedication, "Take your Pill")
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := s.Poll("cramps", phone)
	if len(got) != 1 || len(got[0].Actions) != 3 {
		t.Fatalf("the phone got %+v, want one reminder with three buttons", got)
	}
	taken := got[0].Actions[0]
	if taken.Label != "Taken" {
		t.Fatalf("first button %+v", taken)
	}
	if code, err := ntfyserver.Press(context.Background(), taken); err != nil || code != http.StatusOK {
		t.Fatalf("pressing Taken: %d, %v", code, err)
	}
	replies := s.Poll("crampd-replies", read)
	if len(replies) != 1 {
		t.Fatalf("the reply topic holds %d messages, want 1", len(replies))
	}
	p, err := key.Open(replies[0].Message)
	if want := (reply.Press{OccurrenceID: m.Occurrence.ID, Action: notify.ActionDone, Nonce: m.ID}); err != nil || p != want {
		t.Fatalf("the reply opens to %+v, %v; want %+v", p, err, want)
	}
	if sub, ok := n.Replies(); !ok || sub.URL != s.Base+"/crampd-replies" || sub.Token != read {
		t.Fatalf("subscription %+v, %v", sub, ok)
	}

	// The button token, which every reader of the reminders sees, reads
	// nothing; without it nothing is published.
	if code := s.PollStatus("crampd-replies", button); code != http.StatusForbidden {
		t.Errorf("the button token read the reply topic: %d", code)
	}
	if code := s.Publish("crampd-replies", "", taken.Body); code != http.StatusForbidden {
		t.Errorf("an anonymous reply was accepted: %d", code)
	}
}

// The check-in arrives as Markdown, with its emphasis rendered on the
// phone, and a click URL opens the page it names.
func TestRealServerMarkdownAndClick(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{})
	n, err := ntfy.New(ntfy.Config{URL: s.Base + "/cramps", Clock: clockwork.NewFakeClockAt(now), Click: "https://crampd.example/today"})
	if err != nil {
		t.Fatal(err)
	}
	m := message(domain.KindCheckin, "How was your night?")
	m.Occurrence.Body, m.Occurrence.Why = "Answer **No cramps**, **Cramp** or **Severe cramp**.", ""
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := s.Poll("cramps", "")
	if len(got) != 1 || got[0].ContentType != "text/markdown" || got[0].Click != "https://crampd.example/today" || got[0].Tags[0] != "crescent_moon" {
		t.Fatalf("topic holds %+v", got)
	}
}
