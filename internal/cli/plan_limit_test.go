package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A year of a dense profile is refused with the cap and how many days fit,
// rather than listed with gigabytes of memory.
func TestPlanRefusesAWindowTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "dense.toml")
	if err := os.WriteFile(path, []byte("timezone = \"UTC\"\n[[custom]]\nname = \"dense\"\ncron = \"*/2 * * * * *\"\ntitle = \"Dense\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, format := range []string{"--json", "--ics"} {
		t.Run(format, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, now, "plan", "--profile", path, "--days", "366", format)
			want := "crampd plan: the window holds more than 100000 reminders, the most crampd plans at once; ask for at most 2 days from that start"
			if code != 2 || stdout != "" || !strings.Contains(stderr, want) {
				t.Fatalf("exit %d, stdout %d bytes, stderr %q\nwant exit 2 and %q", code, len(stdout), stderr, want)
			}
		})
	}
}
