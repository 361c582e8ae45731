package control

import (
	"os"
	"path/filepath"
	"testing"
)

// The commands talk to the user's own socket when there is one, else to
// the system service's when it runs (its directory exists), else they name
// the user's.
func TestLocate(t *testing.T) {
	dir := t.TempDir()
	user := filepath.Join(dir, "user", "crampd.sock")
	system := filepath.Join(dir, "run", "crampd", "crampd.sock")
	if got, trust := locate(user, system); got != user || trust != Own {
		t.Fatalf("neither runs: %s %v, want the user's socket", got, trust)
	}
	os.MkdirAll(filepath.Dir(system), 0o700)
	if got, trust := locate(user, system); got != system || trust != System {
		t.Fatalf("only the system service runs: %s %v", got, trust)
	}
	os.MkdirAll(filepath.Dir(user), 0o700)
	os.WriteFile(user, nil, 0o600)
	if got, trust := locate(user, system); got != user || trust != Own {
		t.Fatalf("both run: %s %v, want the user's own", got, trust)
	}
}
