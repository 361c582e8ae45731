package e2e

import (
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crampd/crampd/internal/testutil/impostor"
)

var (
	// crampdBin is the binary every test runs, built once by TestMain.
	crampdBin string
	// moduleRoot is the repository root, where README.md and cmd/ live.
	moduleRoot string
)

// TestMain builds crampd once for all tests: building it per test would
// cost more than the tests themselves.
func TestMain(m *testing.M) {
	if impostor.Child() {
		// This process is another user's server, started by a test.
		impostor.Main()
	}
	os.Exit(buildAndRun(m))
}

// buildAndRun returns an exit status rather than exiting, so that its
// deferred removal of the binary runs.
func buildAndRun(m *testing.M) int {
	root, err := findModuleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	moduleRoot = root
	dir, err := os.MkdirTemp("", "crampd-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	crampdBin = filepath.Join(dir, "crampd")
	args := []string{"build", "-o", crampdBin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "./cmd/crampd")
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go %s: %v\n%s", strings.Join(args, " "), err, out)
		return 1
	}
	return m.Run()
}

// findModuleRoot asks the go command rather than walking up from the
// working directory, so that it finds the same go.mod the build uses.
func findModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a module (go env GOMOD = %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// trackOnce makes trackSources read the tree once per test binary run.
var trackOnce sync.Once

// trackSources reads every file in the repository that a build of crampd
// could use. go test replays a cached pass unless the test binary or a file
// a test opened has changed, and the crampd under test is built by a child
// go command whose reads the cache cannot see; without this, editing the
// daemon would replay an old pass of these tests. It must run inside a
// test, since go test logs only the files opened there.
func trackSources() {
	trackOnce.Do(func() {
		filepath.WalkDir(moduleRoot, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				// Another engineer may be moving files; what cannot be
				// read cannot be built either.
				return nil
			}
			if d.IsDir() {
				if path != moduleRoot && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				os.ReadFile(path)
			}
			return nil
		})
	})
}
