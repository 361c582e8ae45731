// Package desktopenv starts a real, private, headless desktop notification
// stack for tests: an Xvfb display, a session D-Bus daemon and the dunst
// notification server. Tests of the desktop channel then exercise the same
// D-Bus calls as on a user's machine, and read back what dunst received.
package desktopenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// RequireEnv names the variable that turns a missing tool into a failure
// instead of a skip, so CI cannot silently stop running desktop tests.
const RequireEnv = "CRAMPD_REQUIRE_DESKTOP"

// notificationsName is the bus name a freedesktop notification server owns.
const notificationsName = "org.freedesktop.Notifications"

// startTimeout bounds how long each process may take to become ready.
const startTimeout = 15 * time.Second

// Env is a running notification stack.
type Env struct {
	// BusAddress is the private session bus, in the form expected by
	// DBUS_SESSION_BUS_ADDRESS.
	BusAddress string
	// Display is the Xvfb display dunst draws on, for example ":3".
	Display string
}

// Notification is one notification as dunst recorded it.
type Notification struct {
	Summary string
	Body    string
	AppName string
	// Urgency is "low", "normal" or "critical".
	Urgency string
}

// Start launches Xvfb, dbus-daemon and dunst, waits until dunst owns the
// notification name on the bus, and stops all three when the test ends. It
// skips the test when a tool is missing, unless CRAMPD_REQUIRE_DESKTOP=1.
func Start(t testing.TB) *Env {
	t.Helper()
	requireTools(t, "Xvfb", "dbus-daemon", "dunst", "dunstctl")

	dir := shortTempDir(t)
	display := startXvfb(t)
	bus := startBus(t, dir)
	startDunst(t, dir, display, bus)
	return &Env{BusAddress: bus, Display: display}
}

// StartBus launches only a private session bus, with no notification
// server on it, and returns its address: the state of a session whose
// notification daemon crashed or was never installed. Like Start, it skips
// the test when dbus-daemon is missing, unless CRAMPD_REQUIRE_DESKTOP=1.
func StartBus(t testing.TB) string {
	t.Helper()
	addr, _ := StartBusWithStop(t)
	return addr
}

// StartBusWithStop is StartBus with a way to stop the bus before the test
// ends, as when a session ends or its bus crashes: every connection to it
// drops. stop kills dbus-daemon and waits for it to exit; it may be
// called more than once.
func StartBusWithStop(t testing.TB) (address string, stop func()) {
	t.Helper()
	requireTools(t, "dbus-daemon")
	p, addr := startBusProcess(t, shortTempDir(t))
	return addr, p.stop
}

// requireTools skips or fails the test when a binary is missing.
func requireTools(t testing.TB, bins ...string) {
	t.Helper()
	for _, bin := range bins {
		if _, err := exec.LookPath(bin); err != nil {
			msg := "desktop tests need Xvfb, dbus-daemon and dunst: apt-get install -y xvfb dbus-daemon dunst libnotify-bin"
			if os.Getenv(RequireEnv) == "1" {
				t.Fatalf("%s (%s=1, %s not found)", msg, RequireEnv, bin)
			}
			t.Skip(msg)
		}
	}
}

// shortTempDir returns a fresh directory with a short path: a unix socket
// path must fit in 108 bytes, which t.TempDir's name-derived paths can
// exceed.
func shortTempDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "crampd-desk")
	if err != nil {
		t.Fatalf("create temp dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// process is a started child with its captured output.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
}

// start runs cmd and registers a cleanup that kills it by pid and waits for
// it, so no test leaves a server behind.
func start(t testing.TB, name string, cmd *exec.Cmd) *process {
	t.Helper()
	p := &process{name: name, cmd: cmd, out: &syncBuffer{}, exited: make(chan struct{})}
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	// Bound Wait even if a grandchild keeps the output pipe open.
	cmd.WaitDelay = time.Second
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.stop)
	return p
}

// stop kills the child by pid, unless it already exited, and waits for it.
func (p *process) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.exited
}

// failf reports a startup failure with the process's output, which is
// usually the only clue.
func (p *process) failf(t testing.TB, format string, args ...any) {
	t.Helper()
	t.Fatalf("%s: %s\n--- %s output ---\n%s", p.name, fmt.Sprintf(format, args...), p.name, p.out.String())
}

// readLine reads the first line a child writes to the pipe r, giving up when
// the child exits or startTimeout passes.
func readLine(t testing.TB, p *process, r *os.File, what string) string {
	t.Helper()
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		ch <- result{strings.TrimSpace(line), err}
	}()
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	select {
	case res := <-ch:
		if res.line == "" {
			p.failf(t, "no %s reported: %v", what, res.err)
		}
		return res.line
	case <-p.exited:
		p.failf(t, "exited before reporting its %s", what)
	case <-timer.C:
		p.failf(t, "no %s reported within %v", what, startTimeout)
	}
	return ""
}

// startXvfb starts a virtual X server on a display number Xvfb picks itself
// (-displayfd), which avoids racing other tests for a "free" number. Xvfb
// writes the number only once it accepts connections, so it doubles as the
// readiness signal.
func startXvfb(t testing.TB) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	defer r.Close()
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	p := start(t, "Xvfb", cmd)
	w.Close()
	return ":" + readLine(t, p, r, "display number")
}

// busConfig is a minimal session bus: no service activation, so nothing but
// the dunst started here can answer for the notification name.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// startBus starts a private session bus and returns its address, which
// dbus-daemon prints once it is listening.
func startBus(t testing.TB, dir string) string {
	t.Helper()
	_, addr := startBusProcess(t, dir)
	return addr
}

// startBusProcess is startBus, also returning the process.
func startBusProcess(t testing.TB, dir string) (*process, string) {
	t.Helper()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, dir), 0o600); err != nil {
		t.Fatalf("write bus config: %v", err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("pipe: %v", err)
	}
	defer r.Close()
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=3")
	cmd.ExtraFiles = []*os.File{w}
	p := start(t, "dbus-daemon", cmd)
	w.Close()
	return p, readLine(t, p, r, "bus address")
}

// dunstConfig sets a per-urgency format so that the formatted "message"
// dunst keeps in its history is just the urgency: dunst 1.9 (Debian 12)
// does not report urgency in `dunstctl history` otherwise.
const dunstConfig = `[global]
    markup = no
[urgency_low]
    format = "low"
[urgency_normal]
    format = "normal"
[urgency_critical]
    format = "critical"
`

// startDunst starts dunst on display and bus and waits until it owns the
// notification name.
func startDunst(t testing.TB, dir, display, bus string) {
	t.Helper()
	conf := filepath.Join(dir, "dunstrc")
	if err := os.WriteFile(conf, []byte(dunstConfig), 0o600); err != nil {
		t.Fatalf("write dunst config: %v", err)
	}
	cmd := exec.Command("dunst", "-conf", conf)
	cmd.Env = environ(bus, "DISPLAY="+display, "XDG_CONFIG_HOME="+dir)
	p := start(t, "dunst", cmd)

	conn, err := dbus.Connect(bus)
	if err != nil {
		p.failf(t, "connect to bus: %v", err)
	}
	defer conn.Close()

	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for {
		var owned bool
		if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, notificationsName).Store(&owned); err != nil {
			p.failf(t, "ask bus for %s: %v", notificationsName, err)
		}
		if owned {
			return
		}
		select {
		case <-p.exited:
			p.failf(t, "exited before owning %s", notificationsName)
		case <-deadline.C:
			p.failf(t, "did not own %s within %v", notificationsName, startTimeout)
		case <-poll.C:
		}
	}
}

// environ returns the test process's environment pointed at bus, with extra
// settings appended (later entries win in exec).
func environ(bus string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") || strings.HasPrefix(kv, "DISPLAY=") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus)
	return append(env, extra...)
}

// History closes every open notification, which is what moves it into
// dunst's history, and returns the whole history.
func (e *Env) History(t testing.TB) []Notification {
	t.Helper()
	e.dunstctl(t, "close-all")
	out := e.dunstctl(t, "history")
	ns, err := parseHistory(out)
	if err != nil {
		t.Fatalf("parse dunstctl history: %v\n%s", err, out)
	}
	return ns
}

func (e *Env) dunstctl(t testing.TB, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "dunstctl", args...)
	cmd.Env = environ(e.BusAddress, "DISPLAY="+e.Display)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dunstctl %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// parseHistory reads `dunstctl history`, which wraps each field in a
// D-Bus variant: {"data": [[{"summary": {"type": "s", "data": "…"}, …}]]}.
func parseHistory(b []byte) ([]Notification, error) {
	var doc struct {
		Data [][]map[string]struct {
			Data json.RawMessage `json:"data"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Data) == 0 {
		return nil, errors.New("no data array")
	}
	str := func(fields map[string]struct {
		Data json.RawMessage `json:"data"`
	}, key string) string {
		var s string
		if f, ok := fields[key]; ok {
			json.Unmarshal(f.Data, &s)
		}
		return s
	}
	var ns []Notification
	for _, fields := range doc.Data[0] {
		urgency := str(fields, "urgency")
		if urgency == "" {
			// Older dunst: our config makes the formatted message the
			// urgency name.
			urgency = str(fields, "message")
		}
		ns = append(ns, Notification{
			Summary: str(fields, "summary"),
			Body:    str(fields, "body"),
			AppName: str(fields, "appname"),
			Urgency: strings.ToLower(urgency),
		})
	}
	return ns, nil
}

// syncBuffer collects a child's output, written by exec's copying goroutine
// and read by the test on failure.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
