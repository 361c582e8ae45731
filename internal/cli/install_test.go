package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/install"
)

// recorder answers every systemctl call as a running manager would, and
// remembers the calls.
type recorder struct{ calls []string }

func (r *recorder) Run(_ context.Context, argv ...string) (string, error) {
	r.calls = append(r.calls, strings.Join(argv, " "))
	if argv[len(argv)-1] == "is-system-running" {
		return "running\n", nil
	}
	return "", nil
}

func fakeHost(euid int, r *recorder) host {
	return host{
		executable: func() (string, error) { return "/opt/crampd/bin/crampd", nil },
		euid:       func() int { return euid },
		username:   func() string { return "alice" },
		runner:     r,
		lingerDir:  "/nonexistent",
	}
}

// runWith runs the command line as Run does, with install and uninstall
// wired to h instead of the real machine.
func runWith(t *testing.T, h host, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
		Clock:  clockwork.NewFakeClock(),
	}
	root := NewRoot(env)
	for _, c := range root.Commands() {
		if c.Name() == "install" || c.Name() == "uninstall" {
			root.RemoveCommand(c)
		}
	}
	root.AddCommand(newInstallCmdWith(env, h), newUninstallCmdWith(env, h))
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		return exitOK, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.code, stdout.String(), ee.Error()
	default:
		return exitUsage, stdout.String(), err.Error()
	}
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return paths
}

func TestInstallCommand(t *testing.T) {
	home := t.TempDir()
	vars := map[string]string{"HOME": home}
	r := &recorder{}

	code, out, errOut := runWith(t, fakeHost(1000, r), vars, "install", "--dry-run")
	if code != exitOK {
		t.Fatalf("install --dry-run: exit %d: %s", code, errOut)
	}
	unit := filepath.Join(home, ".config", "systemd", "user", "crampd.service")
	for _, want := range []string{"Would write " + unit, "    ExecStart=/opt/crampd/bin/crampd run\n", "loginctl enable-linger alice"} {
		if !strings.Contains(out, want) {
			t.Errorf("dry-run output lacks %q:\n%s", want, out)
		}
	}
	if got := entries(t, home); len(got) != 1 {
		t.Errorf("dry run created %v", got[1:])
	}

	code, out, errOut = runWith(t, fakeHost(1000, r), vars, "install")
	if code != exitOK {
		t.Fatalf("install: exit %d: %s\n%s", code, errOut, out)
	}
	if _, err := os.Stat(unit); err != nil {
		t.Errorf("unit not written: %v", err)
	}
	profile := filepath.Join(home, ".config", "crampd", "profile.toml")
	if _, err := os.Stat(profile); err != nil {
		t.Errorf("starter profile not written where crampd run looks: %v", err)
	}

	code, out, errOut = runWith(t, fakeHost(1000, r), vars, "uninstall")
	if code != exitOK {
		t.Fatalf("uninstall: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(unit); err == nil {
		t.Error("unit still there after uninstall")
	}
	if !strings.Contains(out, filepath.Join(home, ".local", "state", "crampd")) {
		t.Errorf("uninstall does not say where the history stays:\n%s", out)
	}
	want := "systemctl --user is-system-running|" + // dry run
		"systemctl --user is-system-running|systemctl --user daemon-reload|systemctl --user enable --now crampd.service|" +
		"systemctl --user is-system-running|systemctl --user disable --now crampd.service|systemctl --user daemon-reload"
	if got := strings.Join(r.calls, "|"); got != want {
		t.Errorf("systemctl calls:\n got %s\nwant %s", got, want)
	}
}

func TestInstallCommandErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"system without root", []string{"install", "--system"}, exitProblem, "needs root: run it with sudo"},
		{"uninstall system without root", []string{"uninstall", "--system"}, exitProblem, "needs root"},
		{"both scopes", []string{"install", "--user", "--system"}, exitUsage, "[user system]"},
		{"arguments", []string{"uninstall", "now"}, exitUsage, "unknown command"},
		{"relative XDG_CONFIG_HOME", []string{"install", "--dry-run"}, exitProblem, "relative path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{}
			vars := map[string]string{"HOME": t.TempDir()}
			if strings.HasPrefix(tt.name, "relative") {
				vars["XDG_CONFIG_HOME"] = "config"
			}
			code, _, errOut := runWith(t, fakeHost(1000, r), vars, tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, %q; want exit %d and %q", code, errOut, tt.code, tt.want)
			}
			if len(r.calls) > 0 {
				t.Errorf("ran %v", r.calls)
			}
		})
	}
}

// TestCompletion checks that cobra's completion command works for every
// shell the Debian package ships a script for.
func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		t.Run(shell, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"completion", shell}, Env{
				Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr,
				Getenv: func(string) string { return "" }, Clock: clockwork.NewFakeClock(),
			})
			if code != exitOK || !strings.Contains(stdout.String(), "crampd") {
				t.Errorf("exit %d, %d bytes of script, stderr %q", code, stdout.Len(), stderr.String())
			}
		})
	}
}

// TestUnitsMatchRunFlags keeps the units' ExecStart= lines within what
// `crampd run` accepts: an unknown flag would fail every start with a usage
// error that only shows in the journal.
func TestUnitsMatchRunFlags(t *testing.T) {
	run := newRunCmd(Env{Getenv: func(string) string { return "" }})
	for _, scope := range []install.Scope{install.User, install.System} {
		unit, err := install.Unit(scope, "/usr/bin/crampd")
		if err != nil {
			t.Fatal(err)
		}
		var words []string
		for _, line := range strings.Split(unit, "\n") {
			if rest, ok := strings.CutPrefix(line, "ExecStart="); ok {
				words = strings.Fields(rest)
			}
		}
		if len(words) < 2 || words[1] != run.Name() {
			t.Fatalf("%s unit: ExecStart %q does not run `crampd run`", scope, words)
		}
		for _, w := range words[2:] {
			name, ok := strings.CutPrefix(w, "--")
			if ok && run.Flags().Lookup(name) == nil {
				t.Errorf("%s unit passes --%s, which crampd run does not accept: the service would exit 2 at every start; add the flag to run or drop it from deploy/systemd", scope, name)
			}
		}
	}
}
