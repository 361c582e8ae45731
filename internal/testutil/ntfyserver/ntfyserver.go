// Package ntfyserver runs a real ntfy server for tests: the copy in
// ../shared/tools/ntfy beside the repository (see its README), which CI
// always has. It starts the server on loopback with a throwaway cache,
// optionally with access control on, makes users and tokens, reads topics
// as a phone subscribed to them would, and presses a message's buttons
// exactly as the ntfy app does.
package ntfyserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv names the variable that turns a missing server into a
// failure instead of a skip; .ci/run sets it.
const RequireEnv = "CRAMPD_REQUIRE_E2E"

// startTimeout bounds how long the server may take to answer.
const startTimeout = 15 * time.Second

// Binary returns the path of the shared ntfy server, skipping the test
// when it is missing, unless CRAMPD_REQUIRE_E2E=1.
func Binary(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	// This file is internal/testutil/ntfyserver/ntfyserver.go; the shared
	// tools sit beside the repository.
	bin := filepath.Join(filepath.Dir(file), "..", "..", "..", "..", "shared", "tools", "ntfy", "ntfy")
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("the ntfy server is not at %s (the shared tools beside the repository); this test needs it", filepath.Clean(bin))
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s (%s=1)", msg, RequireEnv)
		}
		t.Skip(msg)
	}
	return filepath.Clean(bin)
}

// Options configures a server.
type Options struct {
	// Auth turns access control on: anonymous access is denied, and only
	// tokens made with Token work.
	Auth bool
	// Keepalive is the interval of the server's keepalive messages to
	// subscribers (at least 5 s); zero keeps ntfy's default, 45 s.
	Keepalive time.Duration
}

// Server is a running ntfy server on loopback.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	args []string
	// Addr is host:port; Base is http://Addr.
	Addr, Base string
	// AuthFile is set when access control is on.
	AuthFile string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	out    *bytes.Buffer
}

// Start starts ntfy on a free loopback port and stops it when the test
// ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	s := &Server{t: t, bin: bin, dir: dir, Addr: addr, Base: "http://" + addr}
	s.args = []string{"serve", "--listen-http", addr, "--base-url", s.Base, "--cache-file", filepath.Join(dir, "cache.db")}
	if opts.Auth {
		s.AuthFile = filepath.Join(dir, "auth.db")
		s.args = append(s.args, "--auth-file", s.AuthFile, "--auth-default-access", "deny-all")
	}
	if opts.Keepalive > 0 {
		s.args = append(s.args, "--keepalive-interval", opts.Keepalive.String())
	}
	// An empty config file, so that no /etc/ntfy/server.yml on the
	// developer's machine changes the server.
	if err := os.WriteFile(filepath.Join(dir, "server.yml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	cmd := exec.Command(s.bin, s.args...)
	cmd.Env = append(os.Environ(), "NTFY_CONFIG_FILE="+filepath.Join(s.dir, "server.yml"))
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &s.mu, w: out}, &lockedWriter{mu: &s.mu, w: out}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("start ntfy: %v", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited, s.out = cmd, exited, out
	s.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := http.Get(s.Base + "/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			s.t.Fatalf("ntfy exited before answering:\n%s", s.Output())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("ntfy did not answer on %s within %v:\n%s", s.Base, startTimeout, s.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (by its own pid) and waits for it; subscribers see
// their connections break. It may be called more than once.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// Restart stops the server and starts it again on the same address with
// the same cache and users, as after a crash or an upgrade.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Output returns what the server printed.
func (s *Server) Output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// admin runs an ntfy admin command against the server's auth file.
func (s *Server) admin(env []string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env = append(os.Environ(), append(env, "NTFY_AUTH_FILE="+s.AuthFile)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		s.t.Fatalf("ntfy %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Token makes user name with the given access to each topic ("rw", "ro"
// or "wo"), and returns a bearer token for it. The server needs Auth.
func (s *Server) Token(name string, access map[string]string) string {
	s.t.Helper()
	if s.AuthFile == "" {
		s.t.Fatal("ntfyserver: tokens need a server started with Auth")
	}
	s.admin([]string{"NTFY_PASSWORD=pw-for-tests"}, "user", "add", name)
	for topic, perm := range access {
		s.Grant(name, topic, perm)
	}
	out := s.admin(nil, "token", "add", name)
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "tk_") {
			return f
		}
	}
	s.t.Fatalf("no token in %q", out)
	return ""
}

// Grant gives user the access perm ("rw", "ro", "wo" or "deny") to topic.
func (s *Server) Grant(user, topic, perm string) {
	s.t.Helper()
	s.admin(nil, "access", user, topic, perm)
}

// Message is one message as a subscriber reads it.
type Message struct {
	ID          string          `json:"id"`
	Time        int64           `json:"time"`
	Event       string          `json:"event"`
	Topic       string          `json:"topic"`
	Title       string          `json:"title"`
	Message     string          `json:"message"`
	Tags        []string        `json:"tags"`
	Priority    int             `json:"priority"`
	Click       string          `json:"click"`
	ContentType string          `json:"content_type"`
	Actions     []Action        `json:"actions"`
	Attachment  json.RawMessage `json:"attachment"`
}

// Action is one of a message's buttons, as the phone receives it.
type Action struct {
	Action  string            `json:"action"`
	Label   string            `json:"label"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Clear   bool              `json:"clear"`
}

// Poll returns what topic holds, as a phone subscribed to it receives it.
func (s *Server) Poll(topic, token string) []Message {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.Base+"/"+topic+"/json?poll=1", nil)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("poll %s: %v", topic, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("poll %s: %s", topic, resp.Status)
	}
	var out []Message
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			s.t.Fatalf("poll %s: %v in %q", topic, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		s.t.Fatalf("poll %s: %v", topic, err)
	}
	return out
}

// WaitMessages polls topic until it holds at least n messages, and
// returns them.
func (s *Server) WaitMessages(topic, token string, n int) []Message {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.Poll(topic, token)
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("topic %s holds %d messages, want %d", topic, len(got), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Publish posts body to topic with token, and returns the status code.
func (s *Server) Publish(topic, token, body string) int {
	s.t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.Base+"/"+topic, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("publish to %s: %v", topic, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// Press does exactly what the ntfy app does when its button a is tapped:
// an HTTP request with the action's method, URL, headers and body. It
// returns the status the server answered.
func Press(ctx context.Context, a Action) (int, error) {
	if a.Action != "http" {
		return 0, fmt.Errorf("ntfyserver: a %q action sends no request", a.Action)
	}
	method := a.Method
	if method == "" {
		method = http.MethodPost // ntfy's default for http actions
	}
	req, err := http.NewRequestWithContext(ctx, method, a.URL, strings.NewReader(a.Body))
	if err != nil {
		return 0, err
	}
	for k, v := range a.Headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
