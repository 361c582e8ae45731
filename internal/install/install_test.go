package install

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/profile"
)

// fakeRunner stands in for systemctl: it records every command and answers
// from a table, so tests see exactly what would have reached systemd.
type fakeRunner struct {
	calls []string
	// answers maps a command line to its output and error; anything else
	// succeeds silently.
	answers map[string]answer
}

type answer struct {
	out string
	err error
}

func (f *fakeRunner) Run(_ context.Context, argv ...string) (string, error) {
	cmd := strings.Join(argv, " ")
	f.calls = append(f.calls, cmd)
	a := f.answers[cmd]
	return a.out, a.err
}

// running answers is-system-running for both managers as a healthy one
// does.
func running() *fakeRunner {
	return &fakeRunner{answers: map[string]answer{
		"systemctl --user is-system-running": {out: "running\n"},
		"systemctl is-system-running":        {out: "running\n"},
	}}
}

// offline answers as systemctl does where no manager runs.
func offline() *fakeRunner {
	return &fakeRunner{answers: map[string]answer{
		"systemctl --user is-system-running": {out: "offline\n", err: errors.New("exit status 1")},
		"systemctl is-system-running":        {out: "offline\n", err: errors.New("exit status 1")},
	}}
}

const testBinary = "/opt/crampd/bin/crampd"

// layout returns Options for scope whose paths all live under a fresh
// temporary directory.
func layout(t *testing.T, scope Scope, r Runner) (Options, *bytes.Buffer) {
	t.Helper()
	root := t.TempDir()
	out := &bytes.Buffer{}
	o := Options{
		Scope:       scope,
		Binary:      testBinary,
		UnitDir:     filepath.Join(root, "config", "systemd", "user"),
		ProfilePath: filepath.Join(root, "config", "crampd", "profile.toml"),
		StateDir:    filepath.Join(root, "state", "crampd"),
		User:        "alice",
		LingerDir:   filepath.Join(root, "linger"),
		Runner:      r,
		Out:         out,
	}
	if scope == System {
		o.UnitDir = filepath.Join(root, "etc", "systemd", "system")
		o.ProfilePath = filepath.Join(root, "etc", "crampd", "profile.toml")
		o.StateDir = filepath.Join(root, "var", "lib", "crampd")
		o.User, o.LingerDir = "", ""
		o.IsRoot = true
	}
	return o, out
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func checkCalls(t *testing.T, r *fakeRunner, want ...string) {
	t.Helper()
	if !slices.Equal(r.calls, want) {
		t.Errorf("systemctl calls:\n got %q\nwant %q", r.calls, want)
	}
}

func TestInstall(t *testing.T) {
	tests := []struct {
		name         string
		scope        Scope
		profileMode  fs.FileMode
		profileDir   fs.FileMode
		calls        []string
		wantProfile  string
		wantInOutput string
	}{
		{
			name:        "user",
			scope:       User,
			profileMode: 0o600,
			profileDir:  0o700,
			calls: []string{
				"systemctl --user is-system-running",
				"systemctl --user daemon-reload",
				"systemctl --user enable --now crampd.service",
			},
			wantProfile:  `type = "desktop"`,
			wantInOutput: "loginctl enable-linger alice",
		},
		{
			name:        "system",
			scope:       System,
			profileMode: 0o644,
			profileDir:  0o755,
			calls: []string{
				"systemctl is-system-running",
				"systemctl daemon-reload",
				"systemctl enable --now crampd.service",
			},
			wantProfile:  `type = "stdout"`,
			wantInOutput: "journalctl -u crampd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := running()
			o, out := layout(t, tt.scope, r)
			if err := Install(context.Background(), o); err != nil {
				t.Fatalf("Install: %v\n%s", err, out)
			}
			unitPath := filepath.Join(o.UnitDir, UnitName)
			want, err := Unit(tt.scope, testBinary)
			if err != nil {
				t.Fatal(err)
			}
			if got := read(t, unitPath); got != want {
				t.Errorf("unit file differs from Unit(%s):\n%s", tt.scope, got)
			}
			if !strings.Contains(want, "\nExecStart="+testBinary+" run") {
				t.Errorf("unit does not run %s", testBinary)
			}
			if m := mode(t, unitPath); m != 0o644 {
				t.Errorf("unit mode %04o, want 0644", m)
			}
			if m := mode(t, o.ProfilePath); m != tt.profileMode {
				t.Errorf("profile mode %04o, want %04o", m, tt.profileMode)
			}
			if m := mode(t, filepath.Dir(o.ProfilePath)); m != tt.profileDir {
				t.Errorf("profile directory mode %04o, want %04o", m, tt.profileDir)
			}
			if !strings.Contains(read(t, o.ProfilePath), tt.wantProfile) {
				t.Errorf("starter profile lacks %s", tt.wantProfile)
			}
			// The daemon must accept the starter it is started with.
			if _, err := profile.Load(o.ProfilePath); err != nil {
				t.Errorf("starter profile does not load: %v", err)
			}
			checkCalls(t, r, tt.calls...)
			if !strings.Contains(out.String(), tt.wantInOutput) {
				t.Errorf("output lacks %q:\n%s", tt.wantInOutput, out)
			}
		})
	}
}

func TestInstallNeverOverwritesProfile(t *testing.T) {
	for _, scope := range []Scope{User, System} {
		t.Run(string(scope), func(t *testing.T) {
			o, out := layout(t, scope, running())
			const mine = "# my own profile\n"
			if err := os.MkdirAll(filepath.Dir(o.ProfilePath), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(o.ProfilePath, []byte(mine), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := Install(context.Background(), o); err != nil {
				t.Fatalf("Install: %v", err)
			}
			if got := read(t, o.ProfilePath); got != mine {
				t.Errorf("profile was overwritten:\n%s", got)
			}
			if !strings.Contains(out.String(), "Kept your profile") {
				t.Errorf("output does not say the profile was kept:\n%s", out)
			}
		})
	}
}

func TestInstallTwice(t *testing.T) {
	o, out := layout(t, User, running())
	ctx := context.Background()
	if err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	if err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Unchanged: ") {
		t.Errorf("second install does not report the unit unchanged:\n%s", out)
	}

	// A new binary path replaces the unit: a reinstall after moving
	// crampd must not leave the service running the old file.
	o.Binary = "/usr/local/bin/crampd"
	out.Reset()
	if err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got := read(t, filepath.Join(o.UnitDir, UnitName)); !strings.Contains(got, "\nExecStart=/usr/local/bin/crampd run\n") {
		t.Errorf("unit not rewritten for the new binary:\n%s", got)
	}
	if !strings.Contains(out.String(), "Replaced ") {
		t.Errorf("output does not say the unit was replaced:\n%s", out)
	}
}

func TestInstallWithoutManager(t *testing.T) {
	r := offline()
	o, out := layout(t, User, r)
	if err := Install(context.Background(), o); err != nil {
		t.Fatalf("Install: %v", err)
	}
	if _, err := os.Stat(filepath.Join(o.UnitDir, UnitName)); err != nil {
		t.Errorf("unit not written: %v", err)
	}
	checkCalls(t, r, "systemctl --user is-system-running")
	for _, want := range []string{
		`said "offline"`,
		"\n  systemctl --user daemon-reload\n",
		"\n  systemctl --user enable --now crampd.service\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestInstallReportsLingering(t *testing.T) {
	o, out := layout(t, User, running())
	if err := os.MkdirAll(o.LingerDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(o.LingerDir, "alice"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Install(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "Lingering is on for alice") || strings.Contains(s, "enable-linger") {
		t.Errorf("output should say lingering is on, and not ask for it:\n%s", s)
	}
}

func TestInstallEnableFails(t *testing.T) {
	r := running()
	r.answers["systemctl --user enable --now crampd.service"] = answer{
		out: "Job for crampd.service failed because the control process exited with error code.",
		err: errors.New("exit status 1"),
	}
	o, out := layout(t, User, r)
	err := Install(context.Background(), o)
	if err == nil {
		t.Fatal("Install succeeded although systemctl failed")
	}
	if !strings.Contains(err.Error(), "journalctl --user -u crampd") {
		t.Errorf("error does not say where to look: %v", err)
	}
	if !strings.Contains(out.String(), "Job for crampd.service failed") {
		t.Errorf("systemctl's own explanation is not shown:\n%s", out)
	}
}

func TestSystemNeedsRoot(t *testing.T) {
	for _, f := range []func(context.Context, Options) error{Install, Uninstall} {
		r := running()
		o, _ := layout(t, System, r)
		o.IsRoot = false
		if err := f(context.Background(), o); !errors.Is(err, ErrNeedRoot) {
			t.Errorf("got %v, want ErrNeedRoot", err)
		}
		checkCalls(t, r)
		if _, err := os.Stat(filepath.Dir(o.UnitDir)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("something was created: %v", err)
		}
	}
}

// snapshot lists every path under dir with its mode and contents, so a
// test can tell that nothing at all changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if fi.Mode().IsRegular() {
			v += " " + read(t, path)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			v += " -> " + target
		}
		m[path] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDryRunChangesNothing(t *testing.T) {
	for _, scope := range []Scope{User, System} {
		for _, installed := range []bool{false, true} {
			name := string(scope) + "/fresh"
			if installed {
				name = string(scope) + "/installed"
			}
			t.Run(name, func(t *testing.T) {
				o, out := layout(t, scope, running())
				root := filepath.Dir(filepath.Dir(filepath.Dir(o.UnitDir)))
				if installed {
					if err := Install(context.Background(), o); err != nil {
						t.Fatal(err)
					}
					o.Binary = "/usr/local/bin/crampd" // so a real run would rewrite the unit
				}
				before := snapshot(t, root)
				r := running()
				o.Runner, o.DryRun = r, true
				// Dry runs are allowed without root: they only show.
				o.IsRoot = false
				out.Reset()
				if err := Install(context.Background(), o); err != nil {
					t.Fatalf("dry-run Install: %v", err)
				}
				if err := Uninstall(context.Background(), o); err != nil {
					t.Fatalf("dry-run Uninstall: %v", err)
				}
				if after := snapshot(t, root); !mapsEqual(before, after) {
					t.Errorf("dry run changed files:\nbefore %v\nafter  %v", before, after)
				}
				for _, c := range r.calls {
					if !strings.HasSuffix(c, "is-system-running") {
						t.Errorf("dry run ran %q", c)
					}
				}
				s := out.String()
				for _, want := range []string{
					"Would write " + filepath.Join(o.UnitDir, UnitName),
					"    ExecStart=" + o.Binary + " run",
					"Would run: systemctl",
					"enable --now crampd.service",
				} {
					if !strings.Contains(s, want) {
						t.Errorf("dry-run output lacks %q:\n%s", want, s)
					}
				}
				if installed && !strings.Contains(s, "Would remove "+filepath.Join(o.UnitDir, UnitName)) {
					t.Errorf("dry-run uninstall does not show the unit's removal:\n%s", s)
				}
				if !installed && !strings.Contains(s, "Would write the starter profile "+o.ProfilePath) {
					t.Errorf("dry-run install does not show the profile:\n%s", s)
				}
				// What the preview says about the starter must be true.
				starter, err := starterFor(scope)
				if err != nil {
					t.Fatal(err)
				}
				claimsSame := strings.Contains(s, "`crampd init` writes the same")
				if same := starter == profile.Starter; !installed && claimsSame != same {
					t.Errorf("dry run says the starter is what `crampd init` writes: %v; it is: %v\n%s", claimsSame, same, s)
				}
				if !installed && scope == System && !strings.Contains(s, `instead of the desktop`) {
					t.Errorf("dry run does not say how the system starter differs:\n%s", s)
				}
			})
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestUninstall(t *testing.T) {
	for _, scope := range []Scope{User, System} {
		t.Run(string(scope), func(t *testing.T) {
			o, out := layout(t, scope, running())
			ctx := context.Background()
			if err := Install(ctx, o); err != nil {
				t.Fatal(err)
			}
			history := filepath.Join(o.StateDir, "state.db")
			if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(history, []byte("history"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := running()
			o.Runner = r
			out.Reset()
			if err := Uninstall(ctx, o); err != nil {
				t.Fatalf("Uninstall: %v\n%s", err, out)
			}
			if _, err := os.Stat(filepath.Join(o.UnitDir, UnitName)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("unit still there: %v", err)
			}
			for _, kept := range []string{o.ProfilePath, history} {
				if _, err := os.Stat(kept); err != nil {
					t.Errorf("uninstall removed %s: %v", kept, err)
				}
			}
			ctl := "systemctl "
			if scope == User {
				ctl += "--user "
			}
			checkCalls(t, r, ctl+"is-system-running", ctl+"disable --now crampd.service", ctl+"daemon-reload")
			if s := out.String(); !strings.Contains(s, "Kept your profile "+o.ProfilePath) || !strings.Contains(s, o.StateDir) {
				t.Errorf("output does not say what was kept:\n%s", s)
			}
		})
	}
}

func TestUninstallWithoutManager(t *testing.T) {
	o, out := layout(t, User, running())
	ctx := context.Background()
	if err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	// What `systemctl --user enable` leaves behind.
	wants := filepath.Join(o.UnitDir, "default.target.wants", UnitName)
	if err := os.MkdirAll(filepath.Dir(wants), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(o.UnitDir, UnitName), wants); err != nil {
		t.Fatal(err)
	}
	r := offline()
	o.Runner = r
	out.Reset()
	if err := Uninstall(ctx, o); err != nil {
		t.Fatalf("Uninstall: %v", err)
	}
	for _, gone := range []string{wants, filepath.Join(o.UnitDir, UnitName)} {
		if _, err := os.Lstat(gone); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s still there: %v", gone, err)
		}
	}
	checkCalls(t, r, "systemctl --user is-system-running")
	for _, want := range []string{"\n  systemctl --user stop crampd.service\n", "\n  systemctl --user daemon-reload\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestUninstallLeavesForeignWantsFile(t *testing.T) {
	o, _ := layout(t, User, running())
	ctx := context.Background()
	if err := Install(ctx, o); err != nil {
		t.Fatal(err)
	}
	foreign := filepath.Join(o.UnitDir, "default.target.wants", UnitName)
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign, []byte("not a link"), 0o644); err != nil {
		t.Fatal(err)
	}
	o.Runner = offline()
	if err := Uninstall(ctx, o); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(foreign); err != nil {
		t.Errorf("uninstall removed a file it did not create: %v", err)
	}
}

func TestUninstallNothingInstalled(t *testing.T) {
	r := running()
	o, out := layout(t, User, r)
	if err := Uninstall(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	checkCalls(t, r)
	if !strings.Contains(out.String(), "nothing to uninstall") {
		t.Errorf("output:\n%s", out)
	}
}

func TestCheckBinary(t *testing.T) {
	tests := []struct {
		name  string
		scope Scope
		path  string
		ok    bool
	}{
		{"user in home", User, "/home/alice/.local/bin/crampd", true},
		{"system in /usr/local/bin", System, "/usr/local/bin/crampd", true},
		{"system in /usr/bin", System, "/usr/bin/crampd", true},
		{"relative", User, "bin/crampd", false},
		{"go run", User, "/tmp/go-build123456/b001/exe/crampd", false},
		{"system in home", System, "/home/alice/bin/crampd", false},
		{"system in /root", System, "/root/go/bin/crampd", false},
		{"system in /tmp", System, "/tmp/crampd", false},
		{"system in /var/tmp", System, "/var/tmp/x/crampd", false},
		{"system beside home", System, "/homeless/crampd", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBinary(tt.scope, tt.path)
			if (err == nil) != tt.ok {
				t.Errorf("checkBinary(%s, %q) = %v, want ok=%v", tt.scope, tt.path, err, tt.ok)
			}
		})
	}
}

func TestInstallRefusesHiddenBinary(t *testing.T) {
	r := running()
	o, _ := layout(t, System, r)
	o.Binary = "/home/alice/go/bin/crampd"
	err := Install(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "/usr/local/bin") {
		t.Fatalf("got %v, want advice to copy the binary to /usr/local/bin", err)
	}
	checkCalls(t, r)
}
