package e2e

import (
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGHUPBrokenProfileKeepsSchedule reloads crampd with a broken profile
// and checks the all-or-nothing promise: the error is logged with its
// file:line:col and key, the old schedule keeps firing without gaps or
// repeats, and a fixed profile then reloads and takes effect.
func TestSIGHUPBrokenProfileKeepsSchedule(t *testing.T) {
	t.Parallel()
	// Every two seconds, but only in the next four minutes of each hour:
	// matching all day would arm 1800 jobs per hour of horizon, which takes
	// seconds under the race detector, at start and again at each reload.
	var minutes []string
	for i := range 4 {
		minutes = append(minutes, strconv.Itoa((time.Now().UTC().Minute()+i)%60))
	}
	every2s := "CRON_TZ=UTC */2 " + strings.Join(minutes, ",") + " * * * *"
	channel := "\n[[channel]]\ntype = \"stdout\"\n"
	good := quietBase + custom("tick", every2s, "Tick", "A reminder every two seconds.", "Reload test.") + channel
	// Only sleep.wake is wrong, so the expected message is exactly one.
	broken := "timezone = \"UTC\"\n\n[sleep]\nwake = \"7am\"\n" + channel
	fixed := quietBase + custom("tick", every2s, "Tock", "The reloaded profile's reminder.", "Reload test.") + channel

	s := newSandbox(t)
	s.writeProfile(good)
	d := s.run("crampd")
	d.waitEvents(5*time.Second, 1)

	s.writeProfile(broken)
	d.signal(syscall.SIGHUP)
	line, col := position(t, broken, `"7am"`)
	where := fmt.Sprintf("profile.toml:%d:%d: sleep.wake:", line, col)
	d.waitStderr(5*time.Second, `msg="reload failed`, where)
	kept := len(d.events())

	evs := d.waitEvents(10*time.Second, kept+2)
	for _, ev := range evs {
		if ev.Data.Title != "Tick" {
			t.Fatalf("a reminder titled %q fired while the broken profile was on disk; want only the old profile's %q", ev.Data.Title, "Tick")
		}
	}

	s.writeProfile(fixed)
	d.signal(syscall.SIGHUP)
	d.waitStderr(5*time.Second, `msg="profile reloaded"`)
	d.waitFor(10*time.Second, `a reminder titled "Tock" from the fixed profile`, func() bool {
		evs := d.events()
		return len(evs) > 0 && evs[len(evs)-1].Data.Title == "Tock"
	})
	d.stopCleanly()

	if n := countLines(d.stderr.String(), "reload failed"); n != 1 {
		t.Errorf("logged %d reload failures, want 1", n)
	}
	var last time.Time
	seen := map[string]bool{}
	for _, ev := range d.events() {
		if seen[ev.Data.MessageID] {
			t.Errorf("message %s printed twice", ev.Data.MessageID)
		}
		seen[ev.Data.MessageID] = true
		at, err := time.Parse(time.RFC3339, ev.Data.ScheduledAt)
		if err != nil {
			t.Fatalf("scheduled_at %q: %v", ev.Data.ScheduledAt, err)
		}
		if at.Second()%2 != 0 {
			t.Errorf("reminder %s scheduled at %s, which */2 does not match", ev.Data.ID, ev.Data.ScheduledAt)
		}
		// Neither reload may skip a slot: a skipped one would have been
		// caught up at once, well within the custom grace of 15 minutes.
		if !last.IsZero() && at.Sub(last) != 2*time.Second {
			t.Errorf("reminder %s scheduled at %s, %v after the previous one; want every slot, 2s apart", ev.Data.ID, ev.Data.ScheduledAt, at.Sub(last))
		}
		last = at
	}
}

// position returns the 1-based line and column of the first occurrence of
// sub in text, as crampd's loader reports them.
func position(t *testing.T, text, sub string) (line, col int) {
	t.Helper()
	i := strings.Index(text, sub)
	if i < 0 {
		t.Fatalf("%q not in profile", sub)
	}
	before := text[:i]
	return strings.Count(before, "\n") + 1, i - strings.LastIndex(before, "\n")
}
