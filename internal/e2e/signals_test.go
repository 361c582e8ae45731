package e2e

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPDuringStartup sends SIGHUP to crampd the moment it creates
// its state directory, in the middle of its start-up, many times over: a
// service manager or a user's script may reload a daemon that has only
// just been started. crampd must not die of it; it reloads once it runs,
// so that a profile edited while it started is the one in force.
//
// Nothing can catch a signal before the Go runtime has installed its
// handlers, a millisecond or so after exec; crampd catches SIGHUP before
// its first slow step, which is what a signal at this point checks.
func TestSIGHUPDuringStartup(t *testing.T) {
	t.Parallel()
	const tries = 10
	for i := range tries {
		t.Run(fmt.Sprintf("try %d", i+1), func(t *testing.T) {
			t.Parallel()
			s := newSandbox(t)
			s.writeProfile(quietBase + "\n[[channel]]\ntype = \"stdout\"\n")
			d := s.crampd("crampd", nil, "run", "--profile", s.profile, "--state", s.state)
			deadline := time.Now().Add(startTimeout)
			for {
				if _, err := os.Stat(s.state); err == nil {
					break
				}
				if d.exited() || time.Now().After(deadline) {
					t.Fatalf("crampd did not create its state directory (exited: %v)", d.exited())
				}
				// Opening the database after it takes milliseconds.
				time.Sleep(50 * time.Microsecond)
			}
			d.signal(syscall.SIGHUP)
			d.waitStderr(startTimeout, `msg="crampd is running"`)
			d.waitStderr(5*time.Second, `msg="profile reloaded"`)
			d.stopCleanly()
		})
	}
}
