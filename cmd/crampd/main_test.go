package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/testutil/hostile"
)

// bin is the crampd binary under test, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "crampd-cli")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "crampd")
	// -buildvcs=auto overrides a GOFLAGS=-buildvcs=false in the
	// environment, so the binary records its commit as a release would.
	if out, err := exec.Command("go", "build", "-buildvcs=auto", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build crampd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const cliProfile = `timezone = "UTC"
[sleep]
wake = "00:01"
bed = "23:59"
[quiet]
enabled = false
[[medication]]
name = "Pill"
times = ["09:00"]
[[custom]]
name = "Check-in"
cron = "0 9 * * MON"
title = "Weekly check-in"
[[channel]]
type = "stdout"
`

// env is one user's world: a home, its XDG directories and a profile.
type env struct {
	t       *testing.T
	home    string
	profile string
	state   string
	socket  string
	vars    []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	home := t.TempDir()
	e := &env{t: t, home: home, profile: filepath.Join(home, "profile.toml"), state: filepath.Join(home, "state"),
		socket: filepath.Join(home, "run", "crampd.sock")}
	e.vars = append(os.Environ(), "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"XDG_STATE_HOME="+filepath.Join(home, "xstate"), "XDG_RUNTIME_DIR="+filepath.Join(home, "xrun"), "NOTIFY_SOCKET=", "TZ=UTC")
	if err := os.WriteFile(e.profile, []byte(cliProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

type result struct {
	code           int
	stdout, stderr string
}

// run runs crampd with args and returns its exit status and output.
func (e *env) run(args ...string) result {
	e.t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = e.vars
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// daemon starts `crampd run` and waits until its socket answers.
func (e *env) daemon() (*exec.Cmd, *lockedBuffer, *lockedBuffer) {
	e.t.Helper()
	cmd := exec.Command(bin, "run", "--profile", e.profile, "--state", e.state, "--socket", e.socket)
	cmd.Env = e.vars
	stdout, stderr := &lockedBuffer{}, &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	})
	c := control.NewClient(e.socket)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, err := c.Status(context.Background()); err == nil {
			break
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the daemon did not answer on its socket:\n%s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return cmd, stdout, stderr
}

// waitFor polls the daemon's stdout until it contains s.
func waitFor(t *testing.T, b *lockedBuffer, s string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %q in:\n%s", s, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var idRE = regexp.MustCompile(`[a-z-]+-[0-9a-f]{12}`)

func TestCommandsAgainstARunningDaemon(t *testing.T) {
	e := newEnv(t)
	_, stdout, _ := e.daemon()
	sock := "--socket=" + e.socket

	r := e.run("status", sock)
	if r.code != 0 || !strings.Contains(r.stdout, "crampd is running") || !strings.Contains(r.stdout, "outbox:   0 waiting") {
		t.Fatalf("status: %+v", r)
	}
	r = e.run("status", "--json", sock)
	var st app.Status
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &st) != nil || st.Zone != "UTC" {
		t.Fatalf("status --json: %+v", r)
	}

	r = e.run("next", "-n", "3", "--json", sock)
	var next []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &next) != nil || len(next) != 3 {
		t.Fatalf("next: %+v", r)
	}

	r = e.run("fire", "stretch", sock)
	id := idRE.FindString(r.stdout)
	if r.code != 0 || !strings.HasPrefix(id, "stretch-") {
		t.Fatalf("fire: %+v", r)
	}
	waitFor(t, stdout, `"id":"`+id+`"`)

	if r = e.run("snooze", id, "10m", sock); r.code != 0 || !strings.Contains(r.stdout, "Snoozed "+id+" until") {
		t.Fatalf("snooze: %+v", r)
	}
	if r = e.run("ack", id, sock); r.code != 0 || !strings.Contains(r.stdout, "Done: Stretch your calves") {
		t.Fatalf("ack: %+v", r)
	}
	if r = e.run("ack", "stretch-000000000000", sock); r.code != 1 || !strings.Contains(r.stderr, "no such reminder") {
		t.Fatalf("ack of an unknown id: %+v", r)
	}

	if r = e.run("pause", "1h", sock); r.code != 0 || !strings.HasPrefix(r.stdout, "Paused until") {
		t.Fatalf("pause: %+v", r)
	}
	if r = e.run("status", sock); !strings.Contains(r.stdout, "paused:   until") {
		t.Fatalf("status while paused: %s", r.stdout)
	}
	if r = e.run("resume", sock); r.code != 0 {
		t.Fatalf("resume: %+v", r)
	}
	if r = e.run("pause", sock); r.code != 2 {
		t.Fatalf("pause without a duration: %+v", r)
	}

	r = e.run("cramp", "log", "--severity", "9", "--leg", "left", "--muscle", "calf", "--symptom", "numbness", "--note", "woke me up", sock)
	if r.code != 0 || !strings.Contains(r.stdout, "Logged cramp #1") || !strings.Contains(r.stdout, "Consider seeing a doctor") {
		t.Fatalf("cramp log: %+v", r)
	}
	waitFor(t, stdout, `"kind":"doctor"`)
	if r = e.run("cramp", "log", "--severity", "12", sock); r.code != 2 {
		t.Fatalf("severity 12: %+v", r)
	}
	r = e.run("cramp", "list", "--json", sock)
	var cramps []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &cramps) != nil || len(cramps) != 1 || cramps[0]["note"] != "woke me up" {
		t.Fatalf("cramp list: %+v", r)
	}
	r = e.run("history", "--json", sock)
	var hist []map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &hist) != nil || len(hist) != 2 {
		t.Fatalf("history: %+v", r)
	}
	if r = e.run("stats", sock); r.code != 0 || !strings.Contains(r.stdout, "1 cramps on") || !strings.Contains(r.stdout, "stretch") {
		t.Fatalf("stats: %+v", r)
	}

	if r = e.run("reload", sock); r.code != 0 || r.stdout != "Profile reloaded.\n" {
		t.Fatalf("reload: %+v", r)
	}
	os.WriteFile(e.profile, []byte("[sleep]\nwake = \"7am\"\n"), 0o600)
	if r = e.run("reload", sock); r.code != 1 || !strings.Contains(r.stderr, "profile.toml:2:8: sleep.wake:") || !strings.Contains(r.stderr, "keeps its previous profile") {
		t.Fatalf("reload of a broken profile: %+v", r)
	}
	if r = e.run("status", sock); !strings.Contains(r.stdout, "FAILED, previous profile in force") {
		t.Fatalf("status after a failed reload: %s", r.stdout)
	}
}

func TestCommandsWithoutADaemon(t *testing.T) {
	e := newEnv(t)
	sock := "--socket=" + e.socket
	hint := "crampd is not running (no daemon on " + e.socket + "); start it with `systemctl --user start crampd` or `crampd run`"

	for _, args := range [][]string{{"status"}, {"ack", "x"}, {"snooze", "x", "5m"}, {"pause", "1h"}, {"resume"}, {"fire", "stretch"}, {"reload"}} {
		r := e.run(append(args, sock)...)
		if r.code != 3 || strings.TrimSpace(r.stderr) != hint {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}

	// next falls back to the plan.
	r := e.run("next", "-n", "2", "--profile", e.profile, sock)
	if r.code != 0 || !strings.Contains(r.stderr, "listing from the profile") || !strings.Contains(r.stdout, "medication") && !strings.Contains(r.stdout, "hydration") {
		t.Fatalf("next without a daemon: %+v", r)
	}
	// A cramp logged offline goes into the state database, and history and
	// the journal read it from there.
	r = e.run("cramp", "log", "--at", "03:10", "--leg", "both", "--state", e.state, "--profile", e.profile, sock)
	if r.code != 0 || !strings.Contains(r.stdout, "Logged cramp #1 at") {
		t.Fatalf("offline cramp log: %+v", r)
	}
	r = e.run("cramp", "list", "--json", "--state", e.state, sock)
	if r.code != 0 || !strings.Contains(r.stdout, `"leg": "both"`) {
		t.Fatalf("offline cramp list: %+v", r)
	}
	r = e.run("history", "--state", e.state, sock)
	if r.code != 0 || !strings.Contains(r.stdout, "No reminders") {
		t.Fatalf("offline history: %+v", r)
	}
	// The daemon sees the offline entry once it starts.
	e.daemon()
	r = e.run("cramp", "list", sock)
	if r.code != 0 || !strings.Contains(r.stdout, "#1") {
		t.Fatalf("cramp list from the daemon: %+v", r)
	}
}

func TestSecondDaemonIsRefused(t *testing.T) {
	e := newEnv(t)
	e.daemon()
	r := e.run("run", "--profile", e.profile, "--state", e.state, "--socket", e.socket)
	if r.code != 1 || !strings.Contains(r.stderr, "already running") {
		t.Fatalf("second daemon: %+v", r)
	}
	// Another socket but the same state directory: refused too.
	r = e.run("run", "--profile", e.profile, "--state", e.state, "--socket", filepath.Join(e.home, "other.sock"))
	if r.code != 1 || !strings.Contains(r.stderr, "another crampd uses the state directory") {
		t.Fatalf("second daemon on the same state: %+v", r)
	}
}

// The machine runs UTC, the profile names Europe/Berlin: every time typed
// is read, and every time shown is shown, in Berlin's zone with its
// abbreviation, through the daemon and without it.
func TestTimesInTheProfilesZone(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(e.profile, []byte(strings.Replace(cliProfile, `timezone = "UTC"`, `timezone = "Europe/Berlin"`, 1)), 0o600)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	sock := "--socket=" + e.socket
	// clockIn reports whether out shows t (give or take the minute the
	// command took) as Berlin's wall clock with its abbreviation.
	clockIn := func(out string, t time.Time) bool {
		for _, d := range []time.Duration{-time.Minute, 0, time.Minute} {
			if strings.Contains(out, t.Add(d).In(berlin).Format("15:04 MST")) {
				return true
			}
		}
		return false
	}

	// Without a daemon: the journal takes 03:10 as Berlin's 03:10.
	r := e.run("cramp", "log", "--at", "03:10", "--state", e.state, "--profile", e.profile, sock)
	if r.code != 0 || !regexp.MustCompile(`at (yesterday |)03:10 CES?T`).MatchString(r.stdout) {
		t.Fatalf("offline cramp log --at 03:10: %+v", r)
	}
	r = e.run("cramp", "list", "--json", "--state", e.state, "--profile", e.profile, sock)
	if r.code != 0 || !regexp.MustCompile(`T03:10:00\+0[12]:00"`).MatchString(r.stdout) {
		t.Fatalf("the cramp is not stored at Berlin's 03:10: %+v", r)
	}
	if r = e.run("cramp", "log", "--at", "2099-01-01 03:10", "--state", e.state, "--profile", e.profile, sock); r.code != 2 || !strings.Contains(r.stderr, "is in the future") {
		t.Fatalf("a cramp in the future: %+v", r)
	}

	e.daemon()
	r = e.run("next", "-n", "2", sock)
	if r.code != 0 || !strings.Contains(r.stdout, "(Europe/Berlin)") || !regexp.MustCompile(` CES?T `).MatchString(r.stdout) {
		t.Fatalf("next through the daemon: %+v", r)
	}
	r = e.run("cramp", "list", sock)
	if r.code != 0 || !regexp.MustCompile(`03:10 CES?T`).MatchString(r.stdout) {
		t.Fatalf("cramp list through the daemon: %+v", r)
	}
	now := time.Now()
	r = e.run("pause", "1h", sock)
	if r.code != 0 || !clockIn(r.stdout, now.Add(time.Hour)) {
		t.Fatalf("pause 1h at %s: %+v", now.In(berlin).Format("15:04 MST"), r)
	}
	if r = e.run("status", sock); !clockIn(r.stdout, now.Add(time.Hour)) || !strings.Contains(r.stdout, "zone:     Europe/Berlin") {
		t.Fatalf("status while paused: %s", r.stdout)
	}
	// A pause of more than a day shows its date.
	r = e.run("pause", "3d", sock)
	if r.code != 0 || !strings.Contains(r.stdout, now.Add(72*time.Hour).In(berlin).Format("Mon 2006-01-02")) {
		t.Fatalf("pause 3d: %+v", r)
	}
	// --until a time that has passed today means tomorrow.
	past := now.Add(-2 * time.Minute).In(berlin).Format("15:04")
	if r = e.run("pause", "--until", past, sock); r.code != 0 || !regexp.MustCompile("tomorrow "+past+" CES?T").MatchString(r.stdout) {
		t.Fatalf("pause --until %s: %+v", past, r)
	}
	if r = e.run("pause", "31d", sock); r.code != 1 || !strings.Contains(r.stderr, "at most 30 days") {
		t.Fatalf("pause 31d: %+v", r)
	}
	e.run("resume", sock)
	r = e.run("fire", "stretch", sock)
	id := idRE.FindString(r.stdout)
	if r = e.run("snooze", id, "10m", sock); r.code != 0 || !clockIn(r.stdout, time.Now().Add(10*time.Minute)) {
		t.Fatalf("snooze: %+v", r)
	}
	if r = e.run("history", sock); r.code != 0 || !clockIn(r.stdout, now) || strings.Contains(r.stdout, "UTC") {
		t.Fatalf("history: %+v", r)
	}
}

func TestStatusJSONWithoutADaemon(t *testing.T) {
	e := newEnv(t)
	r := e.run("status", "--json", "--socket="+e.socket)
	var body struct{ Error string }
	if r.code != 3 || json.Unmarshal([]byte(r.stdout), &body) != nil || !strings.Contains(body.Error, "crampd is not running") {
		t.Fatalf("status --json without a daemon: %+v", r)
	}
}

// Completions offer kinds and custom names, recent ids with their titles,
// legs, muscles and symptoms; help says what each argument takes.
func TestCompletionsAndHelp(t *testing.T) {
	e := newEnv(t)
	cfg := filepath.Join(e.home, "config", "crampd")
	os.MkdirAll(cfg, 0o700)
	os.WriteFile(filepath.Join(cfg, "profile.toml"), []byte(cliProfile), 0o600)
	sock := "--socket=" + e.socket
	if r := e.run("__complete", "fire", ""); !strings.Contains(r.stdout, "medication\n") || !strings.Contains(r.stdout, "Check-in\tcustom reminder") {
		t.Fatalf("fire completions: %s", r.stdout)
	}
	if r := e.run("__complete", "cramp", "log", "--muscle", ""); !strings.Contains(r.stdout, "hamstring\n") {
		t.Fatalf("--muscle completions: %s", r.stdout)
	}
	if r := e.run("__complete", "cramp", "log", "--symptom", ""); !strings.Contains(r.stdout, "numbness\n") {
		t.Fatalf("--symptom completions: %s", r.stdout)
	}
	e.daemon()
	id := idRE.FindString(e.run("fire", "stretch", sock).stdout)
	if r := e.run("__complete", "ack", sock, ""); !strings.Contains(r.stdout, id+"\tstretch: Stretch your calves") || !strings.Contains(r.stdout, "medication-") {
		t.Fatalf("ack completions lack the fired %s and the next dose: %s", id, r.stdout)
	}
	for _, tt := range []struct{ args, want []string }{
		{[]string{"fire", "--help"}, []string{"hydration, stretch", "Custom reminders in", "Check-in", "does not count toward any cooldown"}},
		{[]string{"snooze", "--help"}, []string{"between 1m and 24h"}},
		{[]string{"ack", "--help"}, []string{"crampd history", "crampd next", "done ahead"}},
		{[]string{"pause", "--help"}, []string{"at most 30 days", "profile's time zone", "Examples:"}},
		{[]string{"cramp", "log", "--help"}, []string{"YYYY-MM-DD HH:MM", "Examples:", "calf, foot, thigh, hamstring"}},
	} {
		r := e.run(tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v lacks %q:\n%s", tt.args, w, r.stdout)
			}
		}
	}
}

// TestVersionNamesTheCommit checks that the built binary reports the commit
// it was built from, as the go command recorded it.
func TestVersionNamesTheCommit(t *testing.T) {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skipf("not in a git checkout, so there is no commit to compare: %v", err)
	}
	// The go command records a commit only where .git is a directory, not
	// in a linked worktree, whose .git is a file.
	if fi, err := os.Stat(filepath.Join(strings.TrimSpace(string(top)), ".git")); err != nil || !fi.IsDir() {
		t.Skip("this checkout's .git is not a directory (a git worktree), where the go command records no commit")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	byCommand, byFlag := e.run("version"), e.run("--version")
	if byCommand.code != 0 || byFlag.code != 0 || byCommand.stdout != byFlag.stdout {
		t.Fatalf("version: %+v\n--version: %+v", byCommand, byFlag)
	}
	if want := "\ncommit " + strings.TrimSpace(string(head)) + " of "; !strings.Contains(byCommand.stdout, want) {
		t.Errorf("crampd version says:\n%s\nwant a line starting %q", byCommand.stdout, strings.TrimPrefix(want, "\n"))
	}
	if !strings.HasPrefix(byCommand.stdout, "crampd version v") {
		t.Errorf("crampd version names no module version:\n%s", byCommand.stdout)
	}
}

// Without a user daemon the commands look for the system service, and the
// hint names the unit that runs the daemon they looked for.
func TestSystemServiceHints(t *testing.T) {
	if _, err := os.Stat("/run/crampd"); err == nil {
		t.Skip("a system crampd runs on this machine")
	}
	e := newEnv(t)
	r := e.run("status", "--socket", "/run/crampd/crampd.sock")
	if r.code != 3 || !strings.Contains(r.stderr, "the system crampd is not running") || !strings.Contains(r.stderr, "sudo systemctl start crampd") {
		t.Fatalf("status of the system service: %+v", r)
	}
	r = e.run("status")
	if r.code != 3 || !strings.Contains(r.stderr, "systemctl --user start crampd") {
		t.Fatalf("status of the user's daemon: %+v", r)
	}
}

// checkPeakRSS is the most memory `crampd check` may take on any profile
// of up to 1 MiB, however it is shaped.
const checkPeakRSS = 100 << 20

// peakRSS runs crampd with args and returns its peak resident size, in
// bytes. A small python3 process forks and execs it and reads its maximum
// resident size from wait4: a child of this test process would count the
// test's own memory, which the child shares until it execs.
func peakRSS(t *testing.T, e *env, args ...string) (int64, int, string) {
	t.Helper()
	python, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CRAMPD_REQUIRE_E2E") == "1" {
			t.Fatal("python3 is missing (CRAMPD_REQUIRE_E2E=1)")
		}
		t.Skip("python3 is missing; it measures check's memory")
	}
	const measure = `import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(usage.ru_maxrss, os.waitstatus_to_exitcode(status))`
	cmd := exec.Command(python, append([]string{"-c", measure, bin}, args...)...)
	cmd.Env = e.vars
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("measure: %v: %s", err, stderr.String())
	}
	var kib int64
	var code int
	if _, err := fmt.Sscan(stdout.String(), &kib, &code); err != nil {
		t.Fatalf("measure printed %q: %v", stdout.String(), err)
	}
	first, _, _ := strings.Cut(stderr.String(), "\n")
	return kib << 10, code, first
}

// `crampd check` on a hostile profile of up to 1 MiB (deep nesting, tens of
// thousands of entries, long strings, a problem for every value) stays
// under 100 MB of memory: the peak resident size of the real process.
func TestCheckMemoryOnHostileProfiles(t *testing.T) {
	e := newEnv(t)
	for _, tt := range hostile.Profiles(t) {
		t.Run(tt.Name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "profile.toml")
			if err := os.WriteFile(path, []byte(tt.Src), 0o600); err != nil {
				t.Fatal(err)
			}
			peak, code, first := peakRSS(t, e, "check", "--profile", path)
			t.Logf("%d KiB: peak %.1f MB, exit %d: %.100s", len(tt.Src)>>10, float64(peak)/(1<<20), code, first)
			if peak > checkPeakRSS {
				t.Errorf("check took %d MB at its peak, want at most %d MB", peak>>20, checkPeakRSS>>20)
			}
		})
	}
}

// A profile with more problems than check reports says how many it left
// out, after the first ones.
func TestCheckCapsItsProblems(t *testing.T) {
	e := newEnv(t)
	os.WriteFile(e.profile, []byte("[diet]\navoid = ["+strings.Repeat(`"xnuts",`, 500)+"]\n"), 0o600)
	r := e.run("check", "--profile", e.profile)
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 1 || len(lines) != 201 || !strings.HasSuffix(lines[200], "and 300 more problems; fix these first") {
		t.Fatalf("exit %d, %d lines, last %q", r.code, len(lines), lines[len(lines)-1])
	}
}
