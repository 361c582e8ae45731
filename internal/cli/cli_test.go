package cli_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/cli"
)

// run runs the command line in-process.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	home := t.TempDir()
	code := cli.Run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string {
			if k == "HOME" {
				return home
			}
			return ""
		},
		Clock: clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC)),
	})
	return code, out.String(), errb.String()
}

func TestEveryCommandHasHelp(t *testing.T) {
	root := cli.NewRoot(cli.Env{})
	var walk func(*cobra.Command)
	var paths [][]string
	walk = func(c *cobra.Command) {
		if c.Hidden {
			return
		}
		paths = append(paths, strings.Fields(c.CommandPath())[1:])
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if len(paths) < 15 {
		t.Fatalf("only %d commands found", len(paths))
	}
	for _, p := range paths {
		code, out, _ := run(t, append(p, "--help")...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("crampd %s --help: exit %d\n%s", strings.Join(p, " "), code, out)
		}
	}
	_, out, _ := run(t, "--help")
	if !strings.Contains(out, "It is not medical advice") {
		t.Errorf("the root help lacks the disclaimer:\n%s", out)
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "profile.toml")
	code, out, errOut := run(t, "init", "--profile", path)
	if code != 0 || !strings.Contains(out, "Wrote "+path) {
		t.Fatalf("init: %d %s %s", code, out, errOut)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile mode %v, %v", fi.Mode(), err)
	}
	if code, out, _ := run(t, "check", "--profile", path); code != 0 || !strings.Contains(out, ": ok:") {
		t.Fatalf("the starter profile does not check: %d %s", code, out)
	}
	os.WriteFile(path, []byte("# mine\n"), 0o600)
	code, _, errOut = run(t, "init", "--profile", path)
	if code != 1 || !strings.Contains(errOut, "already exists") {
		t.Fatalf("second init: %d %s", code, errOut)
	}
	if b, _ := os.ReadFile(path); string(b) != "# mine\n" {
		t.Fatal("init overwrote the profile")
	}
}

func TestCheckReportsEveryProblem(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.toml")
	os.WriteFile(path, []byte("[sleep]\nwake = \"7am\"\nbedd = \"23:00\"\n"), 0o600)
	code, out, errOut := run(t, "check", "--profile", path)
	want := path + ":2:8: sleep.wake: \"7am\" is not a time of day (want HH:MM, 24-hour, like \"07:30\")\n" +
		path + ":3:1: sleep.bedd: unknown key (did you mean \"bed\"?)\n"
	if code != 1 || out != "" || errOut != want {
		t.Fatalf("check: exit %d\nstdout %q\nstderr %q\nwant   %q", code, out, errOut, want)
	}
	if code, out, _ := run(t, "check", "--profile", "../../config/example.toml"); code != 0 || !strings.Contains(out, "config/example.toml: ok: zone Europe/Berlin, 2 exercise sessions, 1 medication") {
		t.Fatalf("check example: %d %s", code, out)
	}
}

func TestPlanTableAndJSON(t *testing.T) {
	code, out, _ := run(t, "plan", "--profile", "../plan/testdata/profiles/newyork.toml", "--from", "2027-03-14T00:00:00-05:00")
	if code != 0 || !strings.Contains(out, "Sun 2027-03-14 (America/New_York)") || !strings.Contains(out, "03:30 EDT") {
		t.Fatalf("plan table: %d\n%s", code, out)
	}
	code, out, _ = run(t, "plan", "--profile", "../plan/testdata/profiles/newyork.toml", "--from", "2027-03-14T00:00:00-05:00", "--json")
	if code != 0 || !strings.HasPrefix(out, "[\n  {\n    \"id\": ") || !strings.Contains(out, `"at": "2027-03-14T03:30:00-04:00"`) {
		t.Fatalf("plan json: %d\n%.400s", code, out)
	}
	if code, _, errOut := run(t, "plan", "--from", "yesterday"); code != 2 || !strings.Contains(errOut, "RFC 3339") {
		t.Fatalf("bad --from: %d %s", code, errOut)
	}
}

func TestCheckSummary(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, profile string
		wantOut       string // in the summary line
		wantErr       string // the whole of stderr
	}{
		{
			// The daemon delivers through the desktop when no channel is
			// set; "0 channels" would say nothing would be sent.
			name: "empty profile", profile: "",
			wantOut: "0 custom reminders, channel desktop (the default, as none is set);",
		},
		{
			name: "one channel", profile: "[[channel]]\ntype = \"stdout\"\n",
			wantOut: "0 custom reminders, channel stdout;",
		},
		{
			name: "two channels", profile: "[[channel]]\ntype = \"stdout\"\n[[channel]]\ntype = \"desktop\"\nname = \"screen\"\n",
			wantOut: "0 custom reminders, channels stdout, screen;",
		},
		{
			name: "a warning is shown and the profile passes", profile: "[[custom]]\nname = \"c\"\ntitle = \"t\"\ncron = \"0 */90 * * *\"\n",
			wantOut: "1 custom reminder, channel desktop",
			wantErr: "P:4:8: custom[1].cron: warning: \"*/90\" steps by 90, past the end of the hour field's range 0-23, so it matches only hour 0\n",
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("p%d.toml", i))
			if err := os.WriteFile(path, []byte(tt.profile), 0o600); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := run(t, "check", "--profile", path)
			if code != 0 || !strings.HasPrefix(out, path+": ok: ") || !strings.Contains(out, tt.wantOut) {
				t.Errorf("check: exit %d, stdout %q; want it to say %q", code, out, tt.wantOut)
			}
			if want := strings.ReplaceAll(tt.wantErr, "P:", path+":"); errOut != want {
				t.Errorf("stderr = %q, want %q", errOut, want)
			}
		})
	}
}

func TestCheckMissingProfileSuggestsTheSamePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "legs.toml")
	code, _, errOut := run(t, "check", "--profile", path)
	if want := path + ": no such file (create one with `crampd init --profile " + path + "`)\n"; code != 1 || errOut != want {
		t.Errorf("check: exit %d, stderr %q, want %q", code, errOut, want)
	}
	// The suggested command does create it.
	if code, _, errOut := run(t, "init", "--profile", path); code != 0 {
		t.Fatalf("init: %d %s", code, errOut)
	}
	if code, _, errOut := run(t, "check", "--profile", path); code != 0 {
		t.Errorf("check after init: %d %s", code, errOut)
	}
}

func TestVersionCommandAndFlag(t *testing.T) {
	code, byCommand, errOut := run(t, "version")
	if code != 0 || !strings.HasPrefix(byCommand, "crampd version ") || !strings.Contains(byCommand, "\nbuilt with go") || errOut != "" {
		t.Fatalf("crampd version: exit %d\n%s%s", code, byCommand, errOut)
	}
	for _, flag := range []string{"--version", "-v"} {
		code, byFlag, _ := run(t, flag)
		if code != 0 || byFlag != byCommand {
			t.Errorf("crampd %s: exit %d\n%s\nwant what crampd version prints:\n%s", flag, code, byFlag, byCommand)
		}
	}
}
