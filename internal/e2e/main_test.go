package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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
	os.Exit(buildAndRun(m))
}

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
