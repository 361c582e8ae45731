package ntfy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/ntfy"
	"github.com/crampd/crampd/internal/profile"
)

// The tests in this file publish to a real ntfy server: the copy in
// ../shared/tools/ntfy beside the repository (see its README), which CI
// always has.

// requireEnv turns a missing server into a failure instead of a skip.
const requireEnv = "CRAMPD_REQUIRE_E2E"

// serverStartTimeout bounds how long the server may take to answer.
const serverStartTimeout = 15 * time.Second

// ntfyBinary returns the path of the shared ntfy server, skipping the test
// when it is missing, unless CRAMPD_REQUIRE_E2E=1.
func ntfyBinary(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs(filepath.Join("..", "..", "..", "..", "shared", "tools", "ntfy", "ntfy"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("the ntfy server is not at %s (the shared tools beside the repository); these tests publish to it", bin)
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s (%s=1)", msg, requireEnv)
		}
		t.Skip(msg)
	}
	return bin
}

// server is a running ntfy server on loopback.
type server struct {
	bin  string
	dir  string
	base string
	// authFile is set when the server denies access without a token.
	authFile string
}

// startServer starts ntfy on a free loopback port with a throwaway cache,
// and stops it by its pid when the test ends. With auth, anonymous access
// is denied and only tokens made with token work.
func startServer(t *testing.T, auth bool) *server {
	t.Helper()
	bin := ntfyBinary(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &server{bin: bin, dir: dir, base: "http://" + addr}
	args := []string{"serve", "--listen-http", addr, "--base-url", s.base, "--cache-file", filepath.Join(dir, "cache.db")}
	if auth {
		s.authFile = filepath.Join(dir, "auth.db")
		args = append(args, "--auth-file", s.authFile, "--auth-default-access", "deny-all")
	}
	// An empty config file, so that no /etc/ntfy/server.yml on the
	// developer's machine changes the server.
	conf := filepath.Join(dir, "server.yml")
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "NTFY_CONFIG_FILE="+conf)
	out := &strings.Builder{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ntfy: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})

	deadline := time.Now().Add(serverStartTimeout)
	for {
		resp, err := http.Get(s.base + "/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		select {
		case <-exited:
			t.Fatalf("ntfy exited before answering:\n%s", out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("ntfy did not answer on %s within %v:\n%s", s.base, serverStartTimeout, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ntfyCommand runs an ntfy admin command against the server's auth file.
func (s *server) ntfyCommand(t *testing.T, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), append(env, "NTFY_AUTH_FILE="+s.authFile)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ntfy %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// token makes a user with write access to topic and returns a bearer token
// for it.
func (s *server) token(t *testing.T, topic string) string {
	t.Helper()
	s.ntfyCommand(t, []string{"NTFY_PASSWORD=pw-for-tests"}, "user", "add", "crampd")
	s.ntfyCommand(t, nil, "access", "crampd", topic, "rw")
	out := s.ntfyCommand(t, nil, "token", "add", "crampd")
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "tk_") {
			return f
		}
	}
	t.Fatalf("no token in %q", out)
	return ""
}

// published is one message as a subscriber reads it.
type published struct {
	Event      string          `json:"event"`
	Title      string          `json:"title"`
	Message    string          `json:"message"`
	Tags       []string        `json:"tags"`
	Priority   int             `json:"priority"`
	Attachment json.RawMessage `json:"attachment"`
}

// poll returns what the topic holds, as a phone subscribed to it would
// receive it.
func (s *server) poll(t *testing.T, topic, token string) []published {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+"/"+topic+"/json?poll=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("poll %s: %v", topic, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll %s: %s", topic, resp.Status)
	}
	var out []published
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m published
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("poll %s: %v in %q", topic, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("poll %s: %v", topic, err)
	}
	return out
}

func newNotifier(t *testing.T, url, token string) *ntfy.Notifier {
	t.Helper()
	n, err := ntfy.New(ntfy.Config{URL: url, Token: token, Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func TestRealServerShowsAReminder(t *testing.T) {
	s := startServer(t, false)
	n := newNotifier(t, s.base+"/cramps", "")
	m := message(domain.KindMedication, "Magnésium 💊")
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	got := s.poll(t, "cramps", "")
	want := published{
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
	s := startServer(t, false)
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
			n := newNotifier(t, s.base+"/"+topic, "")
			m := message(domain.KindStretch, "Calf stretch")
			m.Occurrence.Body, m.Occurrence.Why = tt.body, tt.why
			if err := n.Notify(context.Background(), m); err != nil {
				t.Fatalf("Notify: %v", err)
			}
			got := s.poll(t, topic, "")
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
	s := startServer(t, true)
	token := s.token(t, "cramps")

	m := message(domain.KindHydration, "Drink water")
	if err := newNotifier(t, s.base+"/cramps", token).Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify with a token: %v", err)
	}
	if got := s.poll(t, "cramps", token); len(got) != 1 || got[0].Title != "Drink water" {
		t.Errorf("topic holds %+v, want the reminder", got)
	}

	for _, tt := range []struct{ name, token string }{
		{name: "no token", token: ""},
		{name: "wrong token", token: "tk_s3cretbutwrong000000000000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := newNotifier(t, s.base+"/cramps", tt.token).Notify(context.Background(), m)
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
