package cli_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/cli"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// runCLI runs crampd in-process with a fake clock and returns its exit
// status and output.
func runCLI(t *testing.T, now time.Time, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cli.Run(context.Background(), args, cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errOut,
		Getenv: func(string) string { return "" },
		Clock:  clockwork.NewFakeClockAt(now),
	})
	return code, out.String(), errOut.String()
}

func TestPlanICS(t *testing.T) {
	newYork := filepath.Join("..", "plan", "testdata", "profiles", "newyork.toml")
	lordHowe := filepath.Join("..", "plan", "testdata", "profiles", "lordhowe.toml")
	utc := filepath.Join(t.TempDir(), "utc.toml")
	if err := os.WriteFile(utc, []byte("timezone = \"UTC\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

	tests := []struct {
		name    string
		profile string
		args    []string
		// from is the window start the command should use; empty means
		// the fake clock's now.
		from        string
		days        int
		zone        string
		wantDTSTART string // a DTSTART line that must appear, unfolded
		noAlarms    bool
	}{
		{
			name: "new york across spring forward", profile: newYork,
			args: []string{"--from", "2027-03-14T00:00:00-05:00", "--days", "2"}, from: "2027-03-14T00:00:00-05:00", days: 2,
			zone: "America/New_York", wantDTSTART: "DTSTART;TZID=America/New_York:20270314T033000",
		},
		{
			name: "new york across fall back", profile: newYork,
			args: []string{"--from", "2027-11-06T00:00:00-04:00", "--days", "2"}, from: "2027-11-06T00:00:00-04:00", days: 2,
			zone: "America/New_York", wantDTSTART: "DTSTART:20271107T053000Z", // 01:30 EDT, in the repeated hour
		},
		{
			name: "lord howe across its half-hour fall back", profile: lordHowe,
			args: []string{"--from", "2027-04-03T00:00:00+11:00", "--days", "2"}, from: "2027-04-03T00:00:00+11:00", days: 2,
			zone: "Australia/Lord_Howe", wantDTSTART: "DTSTART:20270403T144500Z", // 01:45 +11, in the repeated half hour
		},
		{
			name: "window from the clock, one day by default", profile: newYork,
			days: 1, zone: "America/New_York",
		},
		{
			name: "utc profile", profile: utc,
			args: []string{"--from", "2027-03-14T00:00:00Z", "--days", "2"}, from: "2027-03-14T00:00:00Z", days: 2,
			zone: "UTC",
		},
		{
			// A date is midnight in the profile's zone (EDT here), not UTC.
			name: "from a plain date", profile: newYork,
			args: []string{"--from", "2027-11-06", "--days", "2"}, from: "2027-11-06T00:00:00-04:00", days: 2,
			zone: "America/New_York", wantDTSTART: "DTSTART:20271107T053000Z",
		},
		{
			name: "without alarms", profile: newYork,
			args: []string{"--from", "2027-03-14T00:00:00-05:00", "--no-alarms"}, from: "2027-03-14T00:00:00-05:00", days: 1,
			zone: "America/New_York", noAlarms: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"plan", "--profile", tt.profile, "--ics"}, tt.args...)
			code, stdout, stderr := runCLI(t, now, args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, stderr)
			}

			p, err := profile.Load(tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			from := now
			if tt.from != "" {
				if from, err = time.Parse(time.RFC3339, tt.from); err != nil {
					t.Fatal(err)
				}
			}
			occs := plan.Days(p, from, tt.days)
			if len(occs) == 0 {
				t.Fatal("the plan is empty; the test would check nothing")
			}

			cal, err := ical.NewDecoder(strings.NewReader(stdout)).Decode()
			if err != nil {
				t.Fatalf("go-ical cannot decode the output: %v\n%s", err, stdout)
			}
			if tz, _ := cal.Props.Text("X-WR-TIMEZONE"); tz != tt.zone {
				t.Errorf("X-WR-TIMEZONE = %q, want %q", tz, tt.zone)
			}
			events := cal.Events()
			if len(events) != len(occs) {
				t.Fatalf("got %d events, want %d (one per planned occurrence)", len(events), len(occs))
			}
			for i, ev := range events {
				if uid, _ := ev.Props.Text("UID"); uid != occs[i].ID {
					t.Errorf("event %d UID = %q, want %q", i, uid, occs[i].ID)
				}
				if got, err := ev.Props.DateTime("DTSTAMP", nil); err != nil || !got.Equal(now) {
					t.Errorf("event %d DTSTAMP = %v (%v), want the clock's %v", i, got, err, now)
				}
				if alarms := len(ev.Children); tt.noAlarms && alarms != 0 || !tt.noAlarms && alarms != 1 {
					t.Errorf("event %d has %d alarms, want one unless --no-alarms", i, alarms)
				}
				start, err := ev.DateTimeStart(nil)
				if err != nil {
					t.Fatalf("event %d DTSTART: %v", i, err)
				}
				// go-ical resolves TZID with Go's zone data; at least the
				// wall time must agree (the ics package's own tests cover
				// which instance of a repeated hour it names).
				if got, want := start.In(p.Location).Format(time.DateTime), occs[i].At.In(p.Location).Format(time.DateTime); got != want {
					t.Errorf("event %d starts at %s, want %s", i, got, want)
				}
			}
			if tt.wantDTSTART != "" && !strings.Contains(strings.ReplaceAll(stdout, "\r\n ", ""), tt.wantDTSTART+"\r\n") {
				t.Errorf("output lacks %q", tt.wantDTSTART)
			}
			if stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}

func TestPlanICSUsageErrors(t *testing.T) {
	newYork := filepath.Join("..", "plan", "testdata", "profiles", "newyork.toml")
	now := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{name: "ics with json", args: []string{"plan", "--profile", newYork, "--ics", "--json"}, wantCode: 2, wantStderr: "--json and --ics cannot be used together"},
		{name: "json with ics, either order", args: []string{"plan", "--json", "--ics", "--profile", newYork}, wantCode: 2, wantStderr: "--json and --ics cannot be used together"},
		{name: "ics with json needs no profile to refuse", args: []string{"plan", "--profile", filepath.Join(t.TempDir(), "missing.toml"), "--ics", "--json"}, wantCode: 2, wantStderr: "--json and --ics"},
		{name: "ics with a bad window", args: []string{"plan", "--profile", newYork, "--ics", "--days", "0"}, wantCode: 2, wantStderr: "--days must be between"},
		{name: "ics with a value", args: []string{"plan", "--profile", newYork, "--ics=maybe"}, wantCode: 2, wantStderr: "invalid argument"},
		{name: "no-alarms without ics", args: []string{"plan", "--profile", newYork, "--no-alarms"}, wantCode: 2, wantStderr: "--no-alarms only applies to --ics"},
		{name: "from neither a time nor a date", args: []string{"plan", "--profile", newYork, "--ics", "--from", "2027-13-01"}, wantCode: 2, wantStderr: "nor a date like 2027-03-14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, now, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr = %q, want it to mention %q", stderr, tt.wantStderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing on a usage error", stdout)
			}
		})
	}
}

// An empty window is still an array in JSON and a valid calendar.
func TestPlanEmptyWindow(t *testing.T) {
	quiet := filepath.Join(t.TempDir(), "quiet.toml")
	body := "timezone = \"America/New_York\"\n"
	for _, section := range []string{"hydration", "stretch", "food", "electrolytes", "medication_review"} {
		body += "[" + section + "]\nenabled = false\n"
	}
	if err := os.WriteFile(quiet, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)

	code, stdout, stderr := runCLI(t, now, "plan", "--profile", quiet, "--json")
	if code != 0 || stdout != "[]\n" {
		t.Errorf("plan --json: exit %d, stdout %q, want []; stderr %s", code, stdout, stderr)
	}

	code, stdout, stderr = runCLI(t, now, "plan", "--profile", quiet, "--ics", "--days", "7")
	if code != 0 {
		t.Fatalf("plan --ics: exit %d, stderr %s", code, stderr)
	}
	cal, err := ical.NewDecoder(strings.NewReader(stdout)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot decode the output: %v\n%s", err, stdout)
	}
	if len(cal.Events()) != 0 {
		t.Errorf("got %d events from an empty window", len(cal.Events()))
	}
	// go-ical's encoder refuses a VCALENDAR without a component, as RFC
	// 5545 does.
	if err := ical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Errorf("the calendar of an empty window is not valid: %v\n%s", err, stdout)
	}
}
