package cli_test

import (
	"bytes"
	"context"
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
	}{
		{
			name: "new york across spring forward", profile: newYork,
			args: []string{"--from", "2027-03-14T00:00:00-05:00", "--days", "2"}, from: "2027-03-14T00:00:00-05:00", days: 2,
			zone: "America/New_York", wantDTSTART: "DTSTART;TZID=America/New_York:20270314T033000",
		},
		{
			name: "new york across fall back", profile: newYork,
			args: []string{"--from", "2027-11-06T00:00:00-04:00", "--days", "2"}, from: "2027-11-06T00:00:00-04:00", days: 2,
			zone: "America/New_York", wantDTSTART: "DTSTART;TZID=America/New_York:20271107T013000",
		},
		{
			name: "lord howe across its half-hour fall back", profile: lordHowe,
			args: []string{"--from", "2027-04-03T00:00:00+11:00", "--days", "2"}, from: "2027-04-03T00:00:00+11:00", days: 2,
			zone: "Australia/Lord_Howe", wantDTSTART: "DTSTART;TZID=Australia/Lord_Howe:20270404T014500",
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
