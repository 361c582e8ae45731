package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// requireEnv names the variable that turns a missing tool (python3) into a
// failure instead of a skip; .ci/run sets it, so CI cannot silently stop
// running a test.
const requireEnv = "CRAMPD_REQUIRE_E2E"

// startTimeout bounds how long crampd may take to load its profile, open
// its store and arm the schedule; it takes well under a second.
const startTimeout = 10 * time.Second

// quietBase is a profile with every planned kind that could come due during
// a test switched off, so that only the test's own custom reminders fire.
// Medication reviews and doctor nudges need medications or logged cramps,
// which these profiles never have.
const quietBase = `timezone = "UTC"

[hydration]
enabled = false

[stretch]
enabled = false

[food]
enabled = false

[electrolytes]
enabled = false
`

// inheritedOut lists variables of the test's own environment that would
// change how crampd behaves, or where it writes, if a child inherited them.
var inheritedOut = []string{
	"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY",
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY",
}

// sandbox is one test's private home: HOME, the XDG directories, a profile
// and a state directory, none shared with the developer or other tests.
type sandbox struct {
	t       *testing.T
	dir     string
	profile string
	state   string
	env     []string
}

// newSandbox creates the directories and the environment for crampd to
// run in: the test's own, minus what inheritedOut lists.
func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	trackSources()
	dir := t.TempDir()
	s := &sandbox{t: t, dir: dir, profile: filepath.Join(dir, "profile.toml"), state: filepath.Join(dir, "state")}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(inheritedOut, name) {
			s.env = append(s.env, kv)
		}
	}
	home := filepath.Join(dir, "home")
	dirs := map[string]string{
		"HOME":            home,
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
		"XDG_STATE_HOME":  filepath.Join(home, ".local", "state"),
		"XDG_DATA_HOME":   filepath.Join(home, ".local", "share"),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR": filepath.Join(dir, "run"),
	}
	for name, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		s.env = append(s.env, name+"="+d)
	}
	return s
}

// writeProfile replaces the sandbox's profile with text.
func (s *sandbox) writeProfile(text string) {
	s.t.Helper()
	s.writeFile("profile.toml", text)
}

// writeFile writes a file next to the profile, readable only by its owner
// as crampd demands of secret files.
func (s *sandbox) writeFile(name, text string) string {
	s.t.Helper()
	path := filepath.Join(s.dir, name)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return path
}

// crampd runs `crampd ARGS...` in the sandbox's environment plus extraEnv.
func (s *sandbox) crampd(name string, extraEnv []string, args ...string) *proc {
	s.t.Helper()
	cmd := exec.Command(crampdBin, args...)
	cmd.Dir = s.dir
	cmd.Env = append(append([]string(nil), s.env...), extraEnv...)
	return startProc(s.t, name, cmd, false)
}

// run starts `crampd run` on the sandbox's profile and state directory and
// waits until it reports that its schedule is armed.
func (s *sandbox) run(name string, extraEnv ...string) *proc {
	s.t.Helper()
	p := s.crampd(name, extraEnv, "run", "--profile", s.profile, "--state", s.state)
	p.waitStderr(startTimeout, `msg="crampd is running"`)
	return p
}

// event is one line of the stdout channel.
type event struct {
	Type      string `json:"type"`
	Timestamp string `json:"timestamp"`
	Data      struct {
		ID          string `json:"id"`
		Kind        string `json:"kind"`
		Title       string `json:"title"`
		Body        string `json:"body"`
		Why         string `json:"why"`
		ScheduledAt string `json:"scheduled_at"`
		Attempt     int    `json:"attempt"`
		MessageID   string `json:"message_id"`
	} `json:"data"`
}

// events parses every complete line p has printed on stdout. Anything that
// is not a reminder event fails the test: the stdout channel's output is
// meant for programs, and one stray line breaks them.
func (p *proc) events() []event {
	p.t.Helper()
	out := p.stdout.String()
	complete := out[:strings.LastIndex(out, "\n")+1]
	var evs []event
	for line := range strings.SplitSeq(strings.TrimSuffix(complete, "\n"), "\n") {
		if line == "" {
			continue
		}
		var ev event
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Type != "reminder.due" {
			p.t.Fatalf("stdout line is not a reminder.due event (%v): %q", err, line)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitEvents waits until p has printed at least n reminder events.
func (p *proc) waitEvents(timeout time.Duration, n int) []event {
	p.t.Helper()
	var evs []event
	p.waitFor(timeout, fmt.Sprintf("%d reminder line(s) on stdout", n), func() bool {
		evs = p.events()
		return len(evs) >= n
	})
	return evs
}

// soon returns a whole second between lead and lead+1s from now. Tests
// schedule reminders this close because they run in real time; lead covers
// crampd's start-up (well under a second), so that it arms the reminder
// rather than starting after it.
func soon(lead time.Duration) time.Time {
	return time.Now().UTC().Add(lead).Truncate(time.Second).Add(time.Second)
}

// cronAt returns a six-field cron spec that matches only at, once a year,
// so that a test can tell exactly which reminder it is looking at.
func cronAt(at time.Time) string {
	at = at.UTC()
	return fmt.Sprintf("CRON_TZ=UTC %d %d %d %d %d *", at.Second(), at.Minute(), at.Hour(), at.Day(), int(at.Month()))
}

// custom returns a [[custom]] block.
func custom(name, cron, title, message, why string) string {
	return fmt.Sprintf("\n[[custom]]\nname    = %q\ncron    = %q\ntitle   = %q\nmessage = %q\nwhy     = %q\n",
		name, cron, title, message, why)
}

// requireTool skips the test when bin is missing, or fails it when
// CRAMPD_REQUIRE_E2E=1 (CI, which installs pkg).
func requireTool(t *testing.T, bin, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found; this test needs it: apt-get install -y %s", bin, pkg)
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skip(msg)
	return ""
}

// shortTempDir returns a fresh directory with a short path: a unix socket
// path must fit in 108 bytes, which t.TempDir's paths, named after the
// test, can exceed.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "crampd-e2e")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
