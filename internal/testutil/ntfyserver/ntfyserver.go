// Package ntfyserver runs a real ntfy server for tests and the bench
// harness: the copy in ../shared/tools/ntfy beside the repository (see its
// README), which CI always has. It starts the server on loopback with a
// throwaway cache, optionally with access control on, makes users and
// tokens, reads topics as a phone subscribed to them would, and presses a
// message's buttons exactly as the ntfy app does.
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

// Path returns where the shared ntfy server sits: ../shared/tools/ntfy/ntfy
// beside the repository whose root is root.
func Path(root string) string {
	return filepath.Join(root, "..", "shared", "tools", "ntfy", "ntfy")
}

// Binary returns the path of the shared ntfy server, skipping the test
// when it is missing, unless CRAMPD_REQUIRE_E2E=1.
func Binary(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	// This file is internal/testutil/ntfyserver/ntfyserver.go.
	bin := filepath.Clean(Path(filepath.Join(filepath.Dir(file), "..", "..", "..")))
	if _, err := os.Stat(bin); err != nil {
		msg := fmt.Sprintf("the ntfy server is not at %s (the shared tools beside the repository); this test needs it", bin)
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%s (%s=1)", msg, RequireEnv)
		}
		t.Skip(msg)
	}
	return bin
}

// Options configures a server.
type Options struct {
	// Auth turns access control on: anonymous access is denied, and only
	// tokens made with Token work.
	Auth bool
	// Keepalive is the interval of the server's keepalive messages to
	// subscribers (at least 5 s); zero keeps ntfy's default, 45 s.
	Keepalive time.Duration
	// Unlimited lifts the server's rate limits for loopback clients, for
	// runs that publish hundreds of messages in seconds.
	Unlimited bool
}

// Process is a running ntfy server on loopback, apart from any test (the
// bench harness runs one too).
type Process struct {
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

// Launch starts the ntfy server bin on a free loopback port, with its
// cache (and users) in dir, and waits until it answers.
func Launch(bin, dir string, opts Options) (*Process, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	p := &Process{bin: bin, dir: dir, Addr: addr, Base: "http://" + addr}
	p.args = []string{"serve", "--listen-http", addr, "--base-url", p.Base, "--cache-file", filepath.Join(dir, "cache.db")}
	if opts.Auth {
		p.AuthFile = filepath.Join(dir, "auth.db")
		p.args = append(p.args, "--auth-file", p.AuthFile, "--auth-default-access", "deny-all")
	}
	if opts.Keepalive > 0 {
		p.args = append(p.args, "--keepalive-interval", opts.Keepalive.String())
	}
	if opts.Unlimited {
		p.args = append(p.args, "--visitor-request-limit-exempt-hosts", "127.0.0.1")
	}
	// An empty config file, so that no /etc/ntfy/server.yml on the
	// machine changes the server.
	if err := os.WriteFile(filepath.Join(dir, "server.yml"), nil, 0o600); err != nil {
		return nil, err
	}
	return p, p.start()
}

func (p *Process) start() error {
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), "NTFY_CONFIG_FILE="+filepath.Join(p.dir, "server.yml"))
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = &lockedWriter{mu: &p.mu, w: out}, &lockedWriter{mu: &p.mu, w: out}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ntfy: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	p.mu.Lock()
	p.cmd, p.exited, p.out = cmd, exited, out
	p.mu.Unlock()

	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := http.Get(p.Base + "/v1/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("ntfy exited before answering:\n%s", p.Output())
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			return fmt.Errorf("ntfy did not answer on %s within %v:\n%s", p.Base, startTimeout, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (by its own pid) and waits for it; subscribers see
// their connections break. It may be called more than once.
func (p *Process) Stop() {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-exited
}

// PID returns the server's process id, 0 when it is stopped.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Output returns what the server printed.
func (p *Process) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.out == nil {
		return ""
	}
	return p.out.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// Server is a Process that belongs to a test: it fails the test on any
// error and stops when the test ends.
type Server struct {
	*Process
	t testing.TB
}

// Start starts ntfy on a free loopback port and stops it when the test
// ends. Its rate limits are lifted: tests poll the server often, and test
// crampd, not ntfy's limits.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	opts.Unlimited = true
	p, err := Launch(Binary(t), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Stop)
	return &Server{Process: p, t: t}
}

// Restart stops the server and starts it again on the same address with
// the same cache and users, as after a crash or an upgrade.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatal(err)
	}
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

// Tokens are the tokens of crampd's Phone setup (see the README): one that
// may publish to the reminder topic, one that may read the reply topic,
// a write-only one for the reply topic that the buttons carry, and the
// phone's own, which reads the reminders.
type Tokens struct {
	Publish, Read, Button, Phone string
}

// PhoneTokens makes the users and tokens of the README's Phone setup for
// the topics reminders and replies.
func (s *Server) PhoneTokens(reminders, replies string) Tokens {
	s.t.Helper()
	return Tokens{
		Publish: s.Token("crampd", map[string]string{reminders: "wo"}),
		Read:    s.Token("crampd-reader", map[string]string{replies: "ro"}),
		Button:  s.Token("crampd-buttons", map[string]string{replies: "wo"}),
		Phone:   s.Token("phone", map[string]string{reminders: "ro"}),
	}
}

// Grant gives user the access perm ("rw", "ro", "wo" or "deny") to topic.
func (s *Server) Grant(user, topic, perm string) {
	s.t.Helper()
	s.admin(nil, "access", user, topic, perm)
}

// PollStatus returns the status a poll of topic with token gets, to see
// what a token may not read.
func (s *Server) PollStatus(topic, token string) int {
	s.t.Helper()
	resp := s.request(http.MethodGet, "/"+topic+"/json?poll=1", token, "")
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
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

// request sends a request to path with token, failing the test when it
// cannot be sent.
func (s *Server) request(method, path, token, body string) *http.Response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.Base+path, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// Poll returns what topic holds, as a phone subscribed to it receives it.
//
// Under heavy parallel load (the whole suite with -race on two cores) the
// real server now and then answers a poll 403 for a token that reads the
// topic on the polls before and after, so Poll asks again, for up to five
// seconds, before it calls a refusal a refusal. PollStatus, for what a
// token may not read, asks once.
func (s *Server) Poll(topic, token string) []Message {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	resp := s.request(http.MethodGet, "/"+topic+"/json?poll=1", token, "")
	for resp.StatusCode == http.StatusForbidden && time.Now().Before(deadline) {
		resp.Body.Close()
		time.Sleep(50 * time.Millisecond)
		resp = s.request(http.MethodGet, "/"+topic+"/json?poll=1", token, "")
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
	resp := s.request(http.MethodPost, "/"+topic, token, body)
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
