package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildTimeout bounds `go run`'s compile step. A warm build cache makes it
// take seconds; a cold one (CI's first build of modernc.org/sqlite) is
// slower, and is not what this test is about.
const buildTimeout = 3 * time.Minute

// TestReadmeQuickStart runs the README's quick-start command exactly as a
// new user would paste it, from the repository root with an empty home, and
// checks that it does what the README says: `run` prints a reminder line
// within seconds; `plan` prints a table of reminders.
func TestReadmeQuickStart(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join(moduleRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	block := quickStartBlock(t, string(readme))
	sub := regexp.MustCompile(`crampd\s+(run|plan)\b`).FindStringSubmatch(block)
	if sub == nil {
		t.Fatalf("the quick start's first sh block runs neither `crampd run` nor `crampd plan`:\n%s", block)
	}

	s := newSandbox(t)
	cmd := exec.Command("bash", "-c", block)
	cmd.Dir = moduleRoot
	cmd.Env = append(append([]string(nil), s.env...), goCacheEnv(t)...)
	// go run builds crampd and starts it as its own child: only signalling
	// the whole group reaches it.
	p := startProc(t, "README quick start", cmd, true)

	switch sub[1] {
	case "run":
		p.waitStderr(buildTimeout, `msg="crampd is running"`)
		// The example's demo reminder fires every 10 seconds; every line
		// must be a reminder event, which events checks.
		evs := p.waitEvents(25*time.Second, 1)
		if ev := evs[0]; ev.Data.ID == "" || ev.Data.Title == "" || ev.Data.MessageID == "" {
			t.Errorf("first reminder line lacks an id, title or message_id: %+v", ev)
		}
		p.kill(syscall.SIGTERM)
		p.wait(15 * time.Second)
	case "plan":
		if st := p.wait(buildTimeout); st.ExitCode() != 0 {
			t.Fatalf("quick start exited with %v", st)
		}
		row := regexp.MustCompile(`(?m)^\s+\d{2}:\d{2}\s+\S+\s+\S+\s+\S.*\S\s*$`)
		if !row.MatchString(p.stdout.String()) {
			t.Errorf("quick start printed no reminder table rows:\n%s", p.stdout.String())
		}
	}
}

// quickStartBlock returns the first ```sh block under "## Quick start".
func quickStartBlock(t *testing.T, readme string) string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Quick start\n")
	if !ok {
		t.Fatal(`README.md has no "## Quick start" section`)
	}
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	_, rest, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatal("README.md's quick start has no ```sh block")
	}
	block, _, ok := strings.Cut(rest, "\n```")
	if !ok {
		t.Fatal("README.md's quick start sh block is not closed")
	}
	return block
}

// goCacheEnv pins the go command's caches and settings to the developer's
// own. The quick start gets a fresh HOME to show that crampd needs nothing
// from it, but go would otherwise look for its module and build caches
// there, and download and compile everything again.
func goCacheEnv(t *testing.T) []string {
	t.Helper()
	vars := []string{"GOPATH", "GOMODCACHE", "GOCACHE", "GOENV"}
	out, err := exec.Command("go", append([]string{"env"}, vars...)...).Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	vals := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(vals) != len(vars) {
		t.Fatalf("go env printed %d lines for %d variables: %q", len(vals), len(vars), out)
	}
	var env []string
	for i, v := range vars {
		env = append(env, v+"="+vals[i])
	}
	return env
}
