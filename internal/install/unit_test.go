package install

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnitsMatchDeploy keeps the embedded units byte-identical to
// deploy/systemd, the copies packagers and the Debian package use.
func TestUnitsMatchDeploy(t *testing.T) {
	for embedded, deployed := range map[string]string{
		userUnit:   "../../deploy/systemd/crampd.service",
		systemUnit: "../../deploy/systemd/system/crampd.service",
	} {
		b, err := os.ReadFile(deployed)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != embedded {
			t.Errorf("internal/install/units differs from %s; edit deploy/systemd, then run: go generate ./internal/install", deployed)
		}
	}
}

func TestUnitExecStart(t *testing.T) {
	tests := []struct {
		name, binary, want string
	}{
		{"plain", "/usr/local/bin/crampd", "ExecStart=/usr/local/bin/crampd run"},
		{"space", "/opt/my apps/crampd", `ExecStart="/opt/my apps/crampd" run`},
		{"specifier", "/opt/100%/crampd", "ExecStart=/opt/100%%/crampd run"},
		{"dollar", "/opt/$HOME/crampd", "ExecStart=/opt/$HOME/crampd run"},
		{"everything", "/opt/my $x 100%/crampd", `ExecStart="/opt/my $x 100%%/crampd" run`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, scope := range []Scope{User, System} {
				u, err := Unit(scope, tt.binary)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(u, "\n"+tt.want) {
					t.Errorf("%s unit lacks %q", scope, tt.want)
				}
				if strings.Contains(u, packagedBinary) {
					t.Errorf("%s unit still names %s", scope, packagedBinary)
				}
			}
		})
	}
}

func TestUnitKeepsSystemArguments(t *testing.T) {
	u, err := Unit(System, "/usr/local/bin/crampd")
	if err != nil {
		t.Fatal(err)
	}
	const want = "\nExecStart=/usr/local/bin/crampd run --profile " + SystemProfile + " --state " + SystemStateDir + " --socket /run/crampd/crampd.sock\n"
	if !strings.Contains(u, want) {
		t.Errorf("system unit lacks %q", want)
	}
}

func TestUnitRefusesUnsafePaths(t *testing.T) {
	for _, p := range []string{
		"crampd",
		"/opt/x\n[Service]\nExecStartPre=/bin/sh/crampd",
		"/opt/x\rcrampd",
		"/opt/\x7fcrampd",
		`/opt/a"b/crampd`,
		"/home/o'brien/crampd",
		`/opt/a\b/crampd`,
	} {
		if _, err := Unit(User, p); err == nil {
			t.Errorf("Unit accepted %q", p)
		}
	}
}

// TestUnitVerifies asks systemd itself whether the rewritten unit runs the
// binary it names, through every escape quoteExecPath applies: verify
// fails when the unescaped ExecStart path is not an executable.
func TestUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed; deploy/systemd/verify.sh checks the units in CI")
	}
	// verify also checks ExecReload's /bin/kill, which only procps ships.
	if _, err := os.Stat("/bin/kill"); err != nil {
		t.Skip("/bin/kill is missing (Debian package procps); deploy/systemd/verify.sh installs it in CI")
	}
	dir := filepath.Join(t.TempDir(), "odd 100% $dir;x")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(dir, "crampd")
	if err := os.WriteFile(binary, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, scope := range []Scope{User, System} {
		u, err := Unit(scope, binary)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), UnitName)
		if err := os.WriteFile(path, []byte(u), 0o644); err != nil {
			t.Fatal(err)
		}
		// --man=no: the man:crampd(1) page the units name comes with the
		// Debian package, and deploy/systemd/verify.sh checks it.
		cmd := exec.Command(analyze, "verify", "--man=no", path)
		if scope == User {
			// The user manager wants a runtime directory even offline.
			cmd = exec.Command(analyze, "--user", "verify", "--man=no", path)
			cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir())
		}
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("%s: systemd-analyze verify: %v\n%s", scope, err, out)
		}
	}
}
