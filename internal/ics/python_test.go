package ics_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/ics"
	"github.com/crampd/crampd/internal/plan"
)

// requireEnv turns a missing python-icalendar into a failure, as in CI,
// which installs it.
const requireEnv = "CRAMPD_REQUIRE_E2E"

// pythonICalendar returns a python3 that can import icalendar, trying the
// one on PATH and then Debian's, which is where python3-icalendar installs
// even when another python3 comes first on PATH.
func pythonICalendar(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import icalendar").Run() == nil {
			return py
		}
	}
	msg := "python-icalendar not found; this test reads crampd's calendars with it: apt-get install -y python3-icalendar"
	if os.Getenv(requireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireEnv)
	}
	t.Skip(msg)
	return ""
}

// pyCalendar is what testdata/read_ics.py prints.
type pyCalendar struct {
	Components []string `json:"components"`
	Events     []struct {
		UID    string `json:"uid"`
		Start  string `json:"start"`
		Alarms []struct {
			Action         string  `json:"action"`
			TriggerSeconds float64 `json:"trigger_seconds"`
			Description    string  `json:"description"`
		} `json:"alarms"`
	} `json:"events"`
}

func readWithPython(t *testing.T, py string, cal []byte) pyCalendar {
	t.Helper()
	cmd := exec.Command(py, filepath.Join("testdata", "read_ics.py"))
	cmd.Stdin = bytes.NewReader(cal)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python-icalendar cannot read the calendar: %v\n%s\n%s", err, stderr.String(), cal)
	}
	var got pyCalendar
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("read_ics.py printed %q: %v", out, err)
	}
	return got
}

// TestPythonICalendarAgrees reads calendars across daylight-saving changes
// with python-icalendar, an importer that shares no code with crampd, and
// checks that it places every event at the instant the daemon fires it,
// repeated hours included, and sees each alarm.
func TestPythonICalendarAgrees(t *testing.T) {
	py := pythonICalendar(t)
	tests := []struct {
		name    string
		profile string
		from    string
		days    int
		// repeated is an instant in a repeated hour that the plan must
		// hold, so the test covers the case importers disagree on.
		repeated string
	}{
		{name: "new york fall back", profile: "newyork", from: "2027-11-06T00:00:00-04:00", days: 3, repeated: "2027-11-07T05:30:00Z"},
		{name: "new york spring forward", profile: "newyork", from: "2027-03-13T00:00:00-05:00", days: 3},
		{name: "lord howe half-hour fall back", profile: "lordhowe", from: "2027-04-03T00:00:00+11:00", days: 3, repeated: "2027-04-03T14:45:00Z"},
		{name: "london fall back", profile: "london", from: "2027-10-30T00:00:00+01:00", days: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := testdataProfile(tt.profile)(t)
			occs := plan.Days(p, mustTime(t, tt.from), tt.days)
			if len(occs) == 0 {
				t.Fatal("the plan is empty; the test would check nothing")
			}
			if tt.repeated != "" {
				at := mustTime(t, tt.repeated)
				if !slices.ContainsFunc(occs, func(o domain.Occurrence) bool { return o.At.Equal(at) }) {
					t.Fatalf("the plan has nothing at %s, in the repeated hour", tt.repeated)
				}
			}
			var buf bytes.Buffer
			if err := ics.Write(&buf, p.Location, occs, stamp, ics.Options{}); err != nil {
				t.Fatal(err)
			}
			got := readWithPython(t, py, buf.Bytes())
			if len(got.Events) != len(occs) {
				t.Fatalf("python-icalendar read %d events, want %d", len(got.Events), len(occs))
			}
			for i, ev := range got.Events {
				o := occs[i]
				if ev.UID != o.ID {
					t.Errorf("event %d UID = %q, want %q", i, ev.UID, o.ID)
				}
				if want := o.At.UTC().Format(time.RFC3339); ev.Start != want {
					t.Errorf("event %s (%s) starts at %s for python-icalendar, want %s (%s)",
						o.ID, o.Rule, ev.Start, want, o.At.In(p.Location).Format("15:04 MST"))
				}
				if len(ev.Alarms) != 1 || ev.Alarms[0].Action != "DISPLAY" || ev.Alarms[0].TriggerSeconds != 0 || ev.Alarms[0].Description != o.Title {
					t.Errorf("event %s alarms = %+v, want one DISPLAY alarm at the start saying %q", o.ID, ev.Alarms, o.Title)
				}
			}
		})
	}

	t.Run("empty window", func(t *testing.T) {
		var buf bytes.Buffer
		if err := ics.Write(&buf, mustZone(t, "America/New_York"), nil, stamp, ics.Options{}); err != nil {
			t.Fatal(err)
		}
		got := readWithPython(t, py, buf.Bytes())
		if !slices.Equal(got.Components, []string{"VTIMEZONE"}) || len(got.Events) != 0 {
			t.Errorf("python-icalendar read components %q and %d events, want just the VTIMEZONE", got.Components, len(got.Events))
		}
	})
}
