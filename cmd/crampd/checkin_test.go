package main

import (
	"strings"
	"testing"
	"time"
)

// `crampd checkin` records a night with and without a daemon; stats tell
// answered nights from unanswered ones; Severe sends the doctor nudge; the
// same answer twice changes nothing; bad input is refused.
func TestCheckinCommand(t *testing.T) {
	e := newEnv(t)
	sock := "--socket=" + e.socket
	local := []string{"--state", e.state, "--profile", e.profile, sock}
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	twoAgo := yesterday.AddDate(0, 0, -1).Format("2006-01-02")

	r := e.run(append([]string{"checkin", "none"}, local...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Recorded the night of "+yesterday.Format("Mon 2006-01-02")+": no cramps.") {
		t.Fatalf("offline checkin none: %+v", r)
	}
	if r = e.run(append([]string{"stats"}, local...)...); r.code != 0 || !strings.Contains(r.stdout, "1 of 28 nights answered, 1 without a cramp and 0 with one; 27 without an answer") {
		t.Fatalf("offline stats: %+v", r)
	}

	_, stdout, _ := e.daemon()
	r = e.run("checkin", "severe", "--night", twoAgo, sock)
	if r.code != 0 || !strings.Contains(r.stdout, "a severe cramp.") || !strings.Contains(r.stdout, "severity 8, from the check-in") ||
		!strings.Contains(r.stdout, "Consider seeing a doctor") {
		t.Fatalf("checkin severe: %+v", r)
	}
	waitFor(t, stdout, `"kind":"doctor"`)
	if r = e.run("checkin", "severe", "--night", twoAgo, sock); r.code != 0 || !strings.Contains(r.stdout, "already recorded as a severe cramp; nothing changed") {
		t.Fatalf("checkin severe again: %+v", r)
	}
	if r = e.run("cramp", "list", sock); r.code != 0 || !strings.Contains(r.stdout, "(from the check-in)") {
		t.Fatalf("cramp list: %+v", r)
	}
	r = e.run("checkin", "cramp", sock)
	if r.code != 0 || !strings.Contains(r.stdout, "a cramp (it was no cramps).") || !strings.Contains(r.stdout, "A doctor reminder already went out") {
		t.Fatalf("checkin cramp over none: %+v", r)
	}
	if r = e.run("stats", sock); r.code != 0 || !strings.Contains(r.stdout, "2 of 28 nights answered, 0 without a cramp and 2 with one; 26 without an answer") {
		t.Fatalf("stats: %+v", r)
	}

	for _, tt := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"checkin", "maybe"}, 2, "want none, cramp or severe"},
		{[]string{"checkin"}, 2, "accepts 1 arg"},
		{[]string{"checkin", "none", "--night", "yesterday"}, 2, "want the date the night began"},
		{[]string{"checkin", "none", "--night", "2099-01-01"}, 1, "has not begun"},
	} {
		if r := e.run(append(tt.args, sock)...); r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
			t.Errorf("%v: %+v, want exit %d and %q", tt.args, r, tt.code, tt.msg)
		}
	}
	if r := e.run("__complete", "checkin", ""); !strings.Contains(r.stdout, "severe\n") {
		t.Errorf("checkin completions: %s", r.stdout)
	}
}
