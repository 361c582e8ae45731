package ics_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/ics"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// The tests read the calendar back with github.com/emersion/go-ical, which
// shares no code with package ics. go-ical resolves a TZID through Go's
// time.LoadLocation, whose choice in a repeated hour is unspecified (it
// picks the later instant east of UTC), so instants are also resolved the
// RFC 5545 way from the VTIMEZONE the calendar itself carries, which is
// what an importer without its own zone data has to go on.

const localFormat = "20060102T150405"

var stamp = time.Date(2027, 1, 2, 3, 4, 5, 0, time.UTC)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustTime(t testing.TB, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// writeProfile puts a profile in a temporary directory and loads it.
func writeProfile(t *testing.T, body string) *profile.Profile {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(path)
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	return p
}

func testdataProfile(name string) func(*testing.T) *profile.Profile {
	return func(t *testing.T) *profile.Profile {
		t.Helper()
		p, err := profile.Load(filepath.Join("..", "plan", "testdata", "profiles", name+".toml"))
		if err != nil {
			t.Fatalf("load %s: %v", name, err)
		}
		return p
	}
}

func inlineProfile(body string) func(*testing.T) *profile.Profile {
	return func(t *testing.T) *profile.Profile { return writeProfile(t, body) }
}

// wantEvent pins one event of a plan: rule must fire at instant at, and
// its event must say so as dtstart.
type wantEvent struct {
	rule    string
	at      string
	dtstart string
}

func TestWritePlans(t *testing.T) {
	tests := []struct {
		name    string
		profile func(*testing.T) *profile.Profile
		from    string
		days    int
		zone    string
		events  []wantEvent
		// vtimezone lists observances that must appear, each as its
		// unfolded lines.
		vtimezone []string
		// observances is how many STANDARD/DAYLIGHT components there are;
		// -1 means no VTIMEZONE at all.
		observances int
	}{
		{
			name:    "new york spring forward",
			profile: testdataProfile("newyork"),
			from:    "2027-03-13T00:00:00-05:00",
			days:    3,
			zone:    "America/New_York",
			events: []wantEvent{
				// 02:30 does not exist; the plan moves it to 03:30 EDT,
				// which is written as is and needs no interpretation.
				{rule: "medication/Night dose/02:30", dtstart: "DTSTART;TZID=America/New_York:20270314T033000", at: "2027-03-14T07:30:00Z"},
				{rule: "custom/Gap", dtstart: "DTSTART;TZID=America/New_York:20270314T033000", at: "2027-03-14T07:30:00Z"},
				{rule: "medication/Night dose/02:30", dtstart: "DTSTART;TZID=America/New_York:20270313T023000", at: "2027-03-13T07:30:00Z"},
				{rule: "medication/Night dose/02:30", dtstart: "DTSTART;TZID=America/New_York:20270315T023000", at: "2027-03-15T06:30:00Z"},
			},
			vtimezone: []string{
				"BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD",
				"BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT",
			},
			observances: 2,
		},
		{
			name:    "new york fall back",
			profile: testdataProfile("newyork"),
			from:    "2027-11-06T00:00:00-04:00",
			days:    3,
			zone:    "America/New_York",
			events: []wantEvent{
				// 01:30 happens twice; the plan takes the first (EDT). RFC
				// 5545 would read a TZID time the same way, but khal and
				// python-icalendar take the second, so it is written in UTC.
				{rule: "custom/Repeated hour", dtstart: "DTSTART:20271107T053000Z", at: "2027-11-07T05:30:00Z"},
				{rule: "custom/Repeated hour", dtstart: "DTSTART;TZID=America/New_York:20271108T013000", at: "2027-11-08T06:30:00Z"},
			},
			vtimezone: []string{
				"BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT",
				"BEGIN:STANDARD\r\nDTSTART:20271107T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD",
			},
			observances: 2,
		},
		{
			name:    "new york summer has one daylight observance",
			profile: testdataProfile("newyork"),
			from:    "2027-07-01T00:00:00-04:00",
			days:    2,
			zone:    "America/New_York",
			vtimezone: []string{
				"BEGIN:DAYLIGHT\r\nDTSTART:20270314T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nTZNAME:EDT\r\nEND:DAYLIGHT",
			},
			observances: 1,
		},
		{
			name:    "lord howe half-hour spring forward",
			profile: testdataProfile("lordhowe"),
			from:    "2027-10-02T00:00:00+10:30",
			days:    3,
			zone:    "Australia/Lord_Howe",
			events: []wantEvent{
				// 02:15 falls in the half-hour gap and moves to 02:45 +11.
				{rule: "medication/Thyroid/02:15", dtstart: "DTSTART;TZID=Australia/Lord_Howe:20271003T024500", at: "2027-10-02T15:45:00Z"},
				{rule: "medication/Thyroid/02:15", dtstart: "DTSTART;TZID=Australia/Lord_Howe:20271002T021500", at: "2027-10-01T15:45:00Z"},
			},
			vtimezone: []string{
				"BEGIN:STANDARD\r\nDTSTART:20270404T020000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\nTZNAME:+1030\r\nEND:STANDARD",
				"BEGIN:DAYLIGHT\r\nDTSTART:20271003T020000\r\nTZOFFSETFROM:+1030\r\nTZOFFSETTO:+1100\r\nTZNAME:+11\r\nEND:DAYLIGHT",
			},
			observances: 2,
		},
		{
			name:    "lord howe half-hour fall back",
			profile: testdataProfile("lordhowe"),
			from:    "2027-04-03T00:00:00+11:00",
			days:    3,
			zone:    "Australia/Lord_Howe",
			events: []wantEvent{
				// 01:45 happens twice; the plan means the first, at +11,
				// and says so in UTC.
				{rule: "medication/Thyroid/01:45", dtstart: "DTSTART:20270403T144500Z", at: "2027-04-03T14:45:00Z"},
				{rule: "custom/Every ten minutes", dtstart: "DTSTART:20270403T145000Z", at: "2027-04-03T14:50:00Z"},
				{rule: "medication/Thyroid/01:45", dtstart: "DTSTART;TZID=Australia/Lord_Howe:20270405T014500", at: "2027-04-04T15:15:00Z"},
			},
			vtimezone: []string{
				"BEGIN:DAYLIGHT\r\nDTSTART:20261004T020000\r\nTZOFFSETFROM:+1030\r\nTZOFFSETTO:+1100\r\nTZNAME:+11\r\nEND:DAYLIGHT",
				"BEGIN:STANDARD\r\nDTSTART:20270404T020000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1030\r\nTZNAME:+1030\r\nEND:STANDARD",
			},
			observances: 2,
		},
		{
			name:    "tokyo has no transition in the window",
			profile: inlineProfile("timezone = \"Asia/Tokyo\"\n"),
			from:    "2027-03-13T00:00:00+09:00",
			days:    2,
			zone:    "Asia/Tokyo",
			vtimezone: []string{
				"BEGIN:STANDARD\r\nDTSTART:19510909T010000\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+0900\r\nTZNAME:JST\r\nEND:STANDARD",
			},
			observances: 1,
		},
		{
			name:        "utc is written with Z times",
			profile:     inlineProfile("timezone = \"UTC\"\n"),
			from:        "2027-03-13T00:00:00Z",
			days:        2,
			zone:        "UTC",
			observances: -1,
		},
		{
			name:    "etc/gmt+5 never changed offset",
			profile: inlineProfile("timezone = \"Etc/GMT+5\"\n"),
			from:    "2027-03-13T00:00:00-05:00",
			days:    1,
			zone:    "Etc/GMT+5",
			vtimezone: []string{
				"BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0500\r\nTZNAME:-05\r\nEND:STANDARD",
			},
			observances: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.profile(t)
			if p.Location.String() != tt.zone {
				t.Fatalf("profile zone = %s, want %s", p.Location, tt.zone)
			}
			occs := plan.Days(p, mustTime(t, tt.from), tt.days)
			if len(occs) == 0 {
				t.Fatal("the plan is empty; the test would check nothing")
			}
			var buf bytes.Buffer
			if err := ics.Write(&buf, p.Location, occs, stamp, ics.Options{}); err != nil {
				t.Fatalf("Write: %v", err)
			}
			out := buf.Bytes()
			checkLines(t, out)
			cal := decode(t, out)
			checkCalendar(t, cal, tt.zone)
			checkEvents(t, cal, p.Location, occs)

			tzs := vtimezones(t, cal)
			if tt.observances < 0 {
				if len(tzs) != 0 {
					t.Errorf("got %d VTIMEZONEs, want none", len(tzs))
				}
			} else {
				rules := tzs[tt.zone]
				if len(rules) != tt.observances {
					t.Errorf("VTIMEZONE %s has %d observances, want %d", tt.zone, len(rules), tt.observances)
				}
				checkObservances(t, p.Location, rules, occs)
			}
			logical := strings.Join(unfold(out), "\r\n")
			for _, want := range tt.vtimezone {
				if !strings.Contains(logical, want) {
					t.Errorf("calendar lacks observance\n%s\ngot:\n%s", want, vtimezoneText(logical))
				}
			}
			for _, w := range tt.events {
				checkPinned(t, occs, unfold(out), w)
			}
		})
	}
}

// checkPinned finds the occurrence w names and checks how its event is
// written.
func checkPinned(t *testing.T, occs []domain.Occurrence, lines []string, w wantEvent) {
	t.Helper()
	at := mustTime(t, w.at)
	i := slices.IndexFunc(occs, func(o domain.Occurrence) bool { return o.Rule == w.rule && o.At.Equal(at) })
	if i < 0 {
		t.Errorf("the plan has no %s at %s", w.rule, w.at)
		return
	}
	o := occs[i]
	// The event's lines run from its UID to its END.
	u := slices.Index(lines, "UID:"+o.ID)
	if u < 0 {
		t.Errorf("no event with UID %s", o.ID)
		return
	}
	end := u + slices.Index(lines[u:], "END:VEVENT")
	if !slices.Contains(lines[u:end], w.dtstart) {
		t.Errorf("event %s (%s at %s) lacks %q; has %q", o.ID, w.rule, w.at, w.dtstart, lines[u:end])
	}
}

// checkLines checks the physical form: CRLF only, at most 75 octets a line,
// and no line that cuts a character. A continuation may start with two
// spaces: the fold fell before a space of the text, and unfolding removes
// only the first.
func checkLines(t *testing.T, out []byte) {
	t.Helper()
	if !bytes.HasSuffix(out, []byte("\r\n")) {
		t.Errorf("calendar does not end in CRLF")
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n")
	for i, l := range lines {
		switch {
		case strings.ContainsAny(l, "\r\n"):
			t.Errorf("line %d has a bare CR or LF: %q", i+1, l)
		case len(l) > 75:
			t.Errorf("line %d is %d octets: %q", i+1, len(l), l)
		case !utf8.ValidString(l):
			t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, l)
		case l == "":
			t.Errorf("line %d is empty", i+1)
		}
	}
}

// unfold returns the logical lines, undoing RFC 5545 folding.
func unfold(out []byte) []string {
	s := strings.ReplaceAll(string(out), "\r\n ", "")
	return strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n")
}

func vtimezoneText(logical string) string {
	i, j := strings.Index(logical, "BEGIN:VTIMEZONE"), strings.Index(logical, "END:VTIMEZONE")
	if i < 0 || j < 0 {
		return "(no VTIMEZONE)"
	}
	return logical[i:j]
}

func decode(t *testing.T, out []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(out)).Decode()
	if err != nil {
		t.Fatalf("go-ical cannot decode the calendar: %v\n%s", err, out)
	}
	return cal
}

func text(t *testing.T, c *ical.Component, name string) string {
	t.Helper()
	p := c.Props.Get(name)
	if p == nil {
		t.Errorf("%s has no %s", c.Name, name)
		return ""
	}
	s, err := p.Text()
	if err != nil {
		t.Errorf("%s %s: %v", c.Name, name, err)
	}
	return s
}

// checkCalendar checks the VCALENDAR's own properties and that go-ical's
// encoder, which enforces RFC 5545's required and at-most-once properties,
// accepts what was read.
func checkCalendar(t *testing.T, cal *ical.Calendar, zone string) {
	t.Helper()
	for name, want := range map[string]string{
		"VERSION":       "2.0",
		"PRODID":        "-//crampd//crampd//EN",
		"CALSCALE":      "GREGORIAN",
		"X-WR-CALNAME":  "crampd",
		"X-WR-TIMEZONE": zone,
	} {
		if got := text(t, cal.Component, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	// The encoder also refuses a calendar with no component, which RFC
	// 5545 forbids.
	if err := ical.NewEncoder(io.Discard).Encode(cal); err != nil {
		t.Errorf("go-ical rejects the calendar's structure: %v", err)
	}
}

// checkAlarm checks that ev carries exactly one display alarm at its start,
// showing the reminder's title.
func checkAlarm(t *testing.T, ev ical.Event, o domain.Occurrence) {
	t.Helper()
	if len(ev.Children) != 1 || ev.Children[0].Name != ical.CompAlarm {
		t.Errorf("event %s has components %v, want one VALARM", o.ID, componentNames(ev.Children))
		return
	}
	alarm := ev.Children[0]
	if got := text(t, alarm, "ACTION"); got != "DISPLAY" {
		t.Errorf("event %s alarm ACTION = %q, want DISPLAY", o.ID, got)
	}
	if got := text(t, alarm, "DESCRIPTION"); got != o.Title {
		t.Errorf("event %s alarm DESCRIPTION = %q, want the title %q", o.ID, got, o.Title)
	}
	trigger := alarm.Props.Get("TRIGGER")
	if trigger == nil {
		t.Errorf("event %s alarm has no TRIGGER", o.ID)
		return
	}
	if rel := trigger.Params.Get("RELATED"); rel != "" && rel != "START" {
		t.Errorf("event %s alarm is RELATED=%s, want the start", o.ID, rel)
	}
	if d, err := trigger.Duration(); err != nil || d != 0 {
		t.Errorf("event %s alarm TRIGGER = %q (%v, %v), want the event's start", o.ID, trigger.Value, d, err)
	}
}

func componentNames(cs []*ical.Component) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

// checkEvents checks one event per occurrence, in order, carrying its ID,
// texts and instant.
func checkEvents(t *testing.T, cal *ical.Calendar, loc *time.Location, occs []domain.Occurrence) {
	t.Helper()
	events := cal.Events()
	if len(events) != len(occs) {
		t.Fatalf("got %d events, want %d", len(events), len(occs))
	}
	tzs := vtimezones(t, cal)
	for i, ev := range events {
		o := occs[i]
		if got := text(t, ev.Component, "UID"); got != o.ID {
			t.Errorf("event %d UID = %q, want %q", i, got, o.ID)
		}
		if got := text(t, ev.Component, "SUMMARY"); got != o.Title {
			t.Errorf("event %s SUMMARY = %q, want %q", o.ID, got, o.Title)
		}
		if got, want := text(t, ev.Component, "DESCRIPTION"), o.Body+"\n\n"+o.Why; got != want {
			t.Errorf("event %s DESCRIPTION = %q, want %q", o.ID, got, want)
		}
		if cats, err := ev.Props.Get("CATEGORIES").TextList(); err != nil || !slices.Equal(cats, []string{string(o.Kind)}) {
			t.Errorf("event %s CATEGORIES = %q (%v), want [%s]", o.ID, cats, err, o.Kind)
		}
		if got, err := ev.Props.DateTime("DTSTAMP", nil); err != nil || !got.Equal(stamp) {
			t.Errorf("event %s DTSTAMP = %v (%v), want %v", o.ID, got, err, stamp)
		}
		if got, err := ev.Props.Get("DURATION").Duration(); err != nil || got != ics.Duration {
			t.Errorf("event %s DURATION = %v (%v), want %v", o.ID, got, err, ics.Duration)
		}
		if end, err := ev.DateTimeEnd(nil); err != nil || end.Sub(startOf(t, ev)) != ics.Duration {
			t.Errorf("event %s ends at %v (%v), want %v after its start", o.ID, end, err, ics.Duration)
		}
		if got := text(t, ev.Component, "TRANSP"); got != "TRANSPARENT" {
			t.Errorf("event %s TRANSP = %q", o.ID, got)
		}
		checkAlarm(t, ev, o)
		if got := resolveStart(t, ev, tzs); !got.Equal(o.At) {
			t.Errorf("event %s (%s) starts at %s by RFC 5545, want %s", o.ID, o.Rule,
				got.UTC().Format(time.RFC3339), o.At.UTC().Format(time.RFC3339))
		}
		// go-ical's own TZID handling must at least land on the same wall
		// time (it may pick the other instance of a repeated one).
		if got := startOf(t, ev); got.In(loc).Format(localFormat) != o.At.In(loc).Format(localFormat) {
			t.Errorf("event %s: go-ical reads DTSTART as %s, want wall time %s", o.ID, got, o.At.In(loc))
		}
	}
}

func startOf(t *testing.T, ev ical.Event) time.Time {
	t.Helper()
	got, err := ev.DateTimeStart(nil)
	if err != nil {
		t.Fatalf("go-ical DTSTART: %v", err)
	}
	return got
}

// tzRule is one STANDARD or DAYLIGHT observance as read back.
type tzRule struct {
	daylight bool
	onset    time.Time // the instant of the change
	from, to int       // seconds east of UTC
	name     string
}

// vtimezones reads every VTIMEZONE into rules by TZID, in onset order.
func vtimezones(t *testing.T, cal *ical.Calendar) map[string][]tzRule {
	t.Helper()
	out := map[string][]tzRule{}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		tzid := text(t, c, "TZID")
		var rules []tzRule
		for _, o := range c.Children {
			r := tzRule{daylight: o.Name == ical.CompTimezoneDaylight}
			if o.Name != ical.CompTimezoneDaylight && o.Name != ical.CompTimezoneStandard {
				t.Errorf("VTIMEZONE %s has a %s", tzid, o.Name)
			}
			r.from = parseOffset(t, o.Props.Get("TZOFFSETFROM").Value)
			r.to = parseOffset(t, o.Props.Get("TZOFFSETTO").Value)
			dtstart := o.Props.Get("DTSTART")
			if dtstart.Params.Get("TZID") != "" || strings.HasSuffix(dtstart.Value, "Z") {
				t.Errorf("observance DTSTART %q must be a local time", dtstart.Value)
			}
			wall, err := time.Parse(localFormat, dtstart.Value)
			if err != nil {
				t.Fatalf("observance DTSTART: %v", err)
			}
			// Onset local times are in the offset in force before them.
			r.onset = wall.Add(-time.Duration(r.from) * time.Second)
			if p := o.Props.Get("TZNAME"); p != nil {
				r.name, _ = p.Text()
			}
			rules = append(rules, r)
		}
		if !slices.IsSortedFunc(rules, func(a, b tzRule) int { return a.onset.Compare(b.onset) }) {
			t.Errorf("VTIMEZONE %s observances are out of order", tzid)
		}
		out[tzid] = rules
	}
	return out
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		t.Fatalf("bad UTC-OFFSET %q", s)
	}
	n := func(i int) int {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil {
			t.Fatalf("bad UTC-OFFSET %q", s)
		}
		return v
	}
	secs := n(1)*3600 + n(3)*60
	if len(s) == 7 {
		secs += n(5)
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs
}

// offsetAt is the offset rules put in force at instant u.
func offsetAt(rules []tzRule, u time.Time) int {
	off := rules[0].from
	for _, r := range rules {
		if !u.Before(r.onset) {
			off = r.to
		}
	}
	return off
}

// resolveStart reads an event's DTSTART as RFC 5545 (3.3.5) defines it: a
// UTC time as is; a TZID time through the calendar's VTIMEZONE, taking the
// first of two instances in a repeated hour and the offset before the gap
// for a time that does not exist.
func resolveStart(t *testing.T, ev ical.Event, tzs map[string][]tzRule) time.Time {
	t.Helper()
	p := ev.Props.Get("DTSTART")
	if strings.HasSuffix(p.Value, "Z") {
		if p.Params.Get("TZID") != "" {
			t.Errorf("DTSTART %q is UTC and has a TZID", p.Value)
		}
		at, err := time.Parse("20060102T150405Z", p.Value)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tzid := p.Params.Get("TZID")
	rules, ok := tzs[tzid]
	if !ok || len(rules) == 0 {
		t.Fatalf("DTSTART names TZID %q, which no VTIMEZONE defines", tzid)
	}
	wall, err := time.Parse(localFormat, p.Value)
	if err != nil {
		t.Fatal(err)
	}
	var best time.Time
	matches := 0
	for _, off := range offsets(rules) {
		u := wall.Add(-time.Duration(off) * time.Second)
		if offsetAt(rules, u) == off {
			matches++
			if best.IsZero() || u.Before(best) {
				best = u
			}
		}
	}
	if matches > 1 {
		// RFC 5545 picks the first, but khal and python-icalendar pick the
		// second: such a time must be written in UTC.
		t.Errorf("DTSTART %s;TZID=%s names %d instants of its zone", p.Value, tzid, matches)
	}
	if !best.IsZero() {
		return best
	}
	for _, r := range rules {
		gap := r.onset.Add(time.Duration(r.from) * time.Second)
		if r.to > r.from && !wall.Before(gap) && wall.Before(gap.Add(time.Duration(r.to-r.from)*time.Second)) {
			return wall.Add(-time.Duration(r.from) * time.Second)
		}
	}
	t.Fatalf("DTSTART %s;TZID=%s matches no offset of its VTIMEZONE", p.Value, tzid)
	return time.Time{}
}

func offsets(rules []tzRule) []int {
	var out []int
	for _, r := range rules {
		out = append(out, r.from, r.to)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// checkObservances holds the VTIMEZONE against Go's zone data: each change
// happens when Go says, between the offsets Go says, under Go's name; and
// every change Go knows of between the first and last event is there.
func checkObservances(t *testing.T, loc *time.Location, rules []tzRule, occs []domain.Occurrence) {
	t.Helper()
	if len(rules) == 0 {
		t.Fatal("VTIMEZONE has no observances")
	}
	first, last := occs[0].At, occs[len(occs)-1].At
	if rules[0].onset.After(first) {
		t.Errorf("first observance starts at %s, after the first event at %s", rules[0].onset, first)
	}
	for _, r := range rules {
		before, at := r.onset.Add(-time.Second).In(loc), r.onset.In(loc)
		_, offBefore := before.Zone()
		name, offAt := at.Zone()
		if r.onset.Year() != 1970 && offBefore != r.from {
			t.Errorf("observance at %s: TZOFFSETFROM %d, Go has %d just before", r.onset, r.from, offBefore)
		}
		if offAt != r.to || name != r.name || at.IsDST() != r.daylight {
			t.Errorf("observance at %s: TZOFFSETTO %d %q daylight %v, Go has %d %q daylight %v",
				r.onset, r.to, r.name, r.daylight, offAt, name, at.IsDST())
		}
	}
	// Sample the window every quarter hour; each change of offset must lie
	// between two samples with an observance's onset.
	_, prev := first.In(loc).Zone()
	for u := first; !u.After(last.Add(15 * time.Minute)); u = u.Add(15 * time.Minute) {
		_, off := u.In(loc).Zone()
		if off != prev {
			if !slices.ContainsFunc(rules, func(r tzRule) bool {
				return r.onset.After(u.Add(-15*time.Minute)) && !r.onset.After(u) && r.to == off
			}) {
				t.Errorf("Go changes %s to offset %d just before %s; no observance does", loc, off, u)
			}
			prev = off
		}
	}
}

func TestWriteTexts(t *testing.T) {
	long := strings.Repeat("Wadenkrämpfe vorbeugen: ふくらはぎを伸ばしましょう 🦵, ", 6)
	tests := []struct {
		name              string
		title, body, why  string
		wantSummaryLine   string // unfolded, when pinned
		wantDescription   string
		wantFoldedSummary bool
	}{
		{
			name: "separators and backslash", title: `Salt, water; rest\now`, body: "b", why: "w",
			wantSummaryLine: `SUMMARY:Salt\, water\; rest\\now`, wantDescription: "b\n\nw",
		},
		{
			name: "newlines in body", title: "t", body: "line one\nline two\r\nline three", why: "because",
			wantDescription: "line one\nline two\nline three\n\nbecause",
		},
		{
			name: "long non-ASCII text is folded", title: long, body: long, why: long,
			wantDescription: long + "\n\n" + long, wantFoldedSummary: true,
		},
		{
			name: "no why", title: "t", body: "only the body",
			wantDescription: "only the body",
		},
		{
			name: "colons and quotes", title: `Take "Mg" at 09:00`, body: "b", why: "w",
			wantSummaryLine: `SUMMARY:Take "Mg" at 09:00`, wantDescription: "b\n\nw",
		},
	}
	loc := mustZone(t, "Europe/Berlin")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := time.Date(2027, 5, 1, 9, 0, 0, 0, loc)
			o := domain.Occurrence{
				ID: domain.OccurrenceID(domain.KindCustom, "custom/x", at), Kind: domain.KindCustom,
				Rule: "custom/x", At: at, Title: tt.title, Body: tt.body, Why: tt.why,
			}
			var buf bytes.Buffer
			if err := ics.Write(&buf, loc, []domain.Occurrence{o}, stamp, ics.Options{}); err != nil {
				t.Fatal(err)
			}
			checkLines(t, buf.Bytes())
			events := decode(t, buf.Bytes()).Events()
			if len(events) != 1 {
				t.Fatalf("got %d events", len(events))
			}
			ev := events[0].Component
			if got := text(t, ev, "SUMMARY"); got != tt.title {
				t.Errorf("SUMMARY = %q, want %q", got, tt.title)
			}
			if got := text(t, ev, "DESCRIPTION"); got != tt.wantDescription {
				t.Errorf("DESCRIPTION = %q, want %q", got, tt.wantDescription)
			}
			if tt.wantSummaryLine != "" && !slices.Contains(unfold(buf.Bytes()), tt.wantSummaryLine) {
				t.Errorf("no line %q in\n%s", tt.wantSummaryLine, buf.Bytes())
			}
			if folded := bytes.Contains(buf.Bytes(), []byte("\r\n ")); folded != tt.wantFoldedSummary {
				t.Errorf("folded = %v, want %v", folded, tt.wantFoldedSummary)
			}
		})
	}
}

func TestWriteInstants(t *testing.T) {
	tests := []struct {
		name        string
		zone        string
		at          string
		wantDTSTART string
	}{
		{name: "first instance of a repeated hour is in UTC", zone: "America/New_York", at: "2027-11-07T05:30:00Z", wantDTSTART: "DTSTART:20271107T053000Z"},
		{name: "start of the repeated hour, first time", zone: "America/New_York", at: "2027-11-07T05:00:00Z", wantDTSTART: "DTSTART:20271107T050000Z"},
		{name: "just before the repeated hour", zone: "America/New_York", at: "2027-11-07T04:59:59Z", wantDTSTART: "DTSTART;TZID=America/New_York:20271107T005959"},
		{name: "second instance of a repeated hour is in UTC", zone: "America/New_York", at: "2027-11-07T06:30:00Z", wantDTSTART: "DTSTART:20271107T063000Z"},
		{name: "just after the repeated hour", zone: "America/New_York", at: "2027-11-07T07:00:00Z", wantDTSTART: "DTSTART;TZID=America/New_York:20271107T020000"},
		{name: "lord howe second half-hour instance", zone: "Australia/Lord_Howe", at: "2027-04-03T15:15:00Z", wantDTSTART: "DTSTART:20270403T151500Z"},
		{name: "lord howe start of the repeated half hour, second time", zone: "Australia/Lord_Howe", at: "2027-04-03T15:00:00Z", wantDTSTART: "DTSTART:20270403T150000Z"},
		{name: "lord howe first half-hour instance", zone: "Australia/Lord_Howe", at: "2027-04-03T14:45:00Z", wantDTSTART: "DTSTART:20270403T144500Z"},
		{name: "lord howe just before the repeated half hour", zone: "Australia/Lord_Howe", at: "2027-04-03T14:29:00Z", wantDTSTART: "DTSTART;TZID=Australia/Lord_Howe:20270404T012900"},
		{name: "spring forward from the other side", zone: "America/New_York", at: "2027-03-14T07:00:00Z", wantDTSTART: "DTSTART;TZID=America/New_York:20270314T030000"},
		{name: "an instant given in another zone", zone: "America/New_York", at: "2027-11-07T11:30:00+05:00", wantDTSTART: "DTSTART:20271107T063000Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			at := mustTime(t, tt.at)
			o := domain.Occurrence{ID: domain.OccurrenceID(domain.KindCustom, "custom/x", at), Kind: domain.KindCustom,
				Rule: "custom/x", At: at, Title: "t", Body: "b", Why: "w"}
			var buf bytes.Buffer
			if err := ics.Write(&buf, loc, []domain.Occurrence{o}, stamp, ics.Options{}); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(unfold(buf.Bytes()), tt.wantDTSTART) {
				t.Errorf("no line %q in\n%s", tt.wantDTSTART, buf.Bytes())
			}
			cal := decode(t, buf.Bytes())
			if got := resolveStart(t, cal.Events()[0], vtimezones(t, cal)); !got.Equal(at) {
				t.Errorf("DTSTART means %s, want %s", got.UTC(), at.UTC())
			}
		})
	}
}

func TestWriteEmpty(t *testing.T) {
	tests := []struct {
		name string
		zone string
		// observance is the one STANDARD or DAYLIGHT the calendar must
		// define, unfolded.
		observance string
	}{
		{
			name: "new york", zone: "America/New_York",
			observance: "BEGIN:STANDARD\r\nDTSTART:20261101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nTZNAME:EST\r\nEND:STANDARD",
		},
		{
			name: "utc", zone: "UTC",
			observance: "BEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nTZNAME:UTC\r\nEND:STANDARD",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ics.Write(&buf, mustZone(t, tt.zone), nil, stamp, ics.Options{}); err != nil {
				t.Fatal(err)
			}
			checkLines(t, buf.Bytes())
			cal := decode(t, buf.Bytes())
			// RFC 5545 requires at least one component; the zone is it.
			if names := componentNames(cal.Children); len(names) != 1 || names[0] != ical.CompTimezone {
				t.Errorf("an empty plan gave components %v, want one VTIMEZONE", names)
			}
			if len(cal.Events()) != 0 {
				t.Errorf("an empty plan gave %d events", len(cal.Events()))
			}
			checkCalendar(t, cal, tt.zone)
			if rules := vtimezones(t, cal)[tt.zone]; len(rules) != 1 {
				t.Errorf("VTIMEZONE %s has %d observances, want 1", tt.zone, len(rules))
			}
			if logical := strings.Join(unfold(buf.Bytes()), "\r\n"); !strings.Contains(logical, tt.observance) {
				t.Errorf("calendar lacks observance\n%s\ngot:\n%s", tt.observance, vtimezoneText(logical))
			}
		})
	}
}

func TestWriteWithoutAlarms(t *testing.T) {
	p := testdataProfile("newyork")(t)
	occs := plan.Days(p, mustTime(t, "2027-05-01T00:00:00-04:00"), 1)
	if len(occs) == 0 {
		t.Fatal("the plan is empty; the test would check nothing")
	}
	for _, tt := range []struct {
		name     string
		opts     ics.Options
		noAlarms bool
	}{
		{name: "alarms by default", opts: ics.Options{}},
		{name: "no alarms", opts: ics.Options{NoAlarms: true}, noAlarms: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := ics.Write(&buf, p.Location, occs, stamp, tt.opts); err != nil {
				t.Fatal(err)
			}
			cal := decode(t, buf.Bytes())
			checkCalendar(t, cal, "America/New_York")
			events := cal.Events()
			if len(events) != len(occs) {
				t.Fatalf("got %d events, want %d", len(events), len(occs))
			}
			for i, ev := range events {
				if !tt.noAlarms {
					checkAlarm(t, ev, occs[i])
				} else if len(ev.Children) != 0 {
					t.Errorf("event %s has components %v, want none", occs[i].ID, componentNames(ev.Children))
				}
			}
		})
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	at := mustTime(t, "2027-01-01T09:00:00Z")
	ok := domain.Occurrence{ID: "custom-1", Kind: domain.KindCustom, At: at, Title: "t"}
	tests := []struct {
		name    string
		w       io.Writer
		loc     *time.Location
		occs    []domain.Occurrence
		wantIs  error
		wantMsg string
	}{
		{name: "writer fails", w: failingWriter{}, loc: ny, occs: []domain.Occurrence{ok}, wantIs: errDiskFull, wantMsg: "write calendar: disk full"},
		{name: "no zone", w: io.Discard, loc: nil, occs: []domain.Occurrence{ok}, wantMsg: "no time zone"},
		{name: "occurrence without id", w: io.Discard, loc: ny, occs: []domain.Occurrence{ok, {Rule: "custom/x", At: at}}, wantMsg: "occurrence 1 (custom/x at 2027-01-01T09:00:00Z) has no id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ics.Write(tt.w, tt.loc, tt.occs, stamp, ics.Options{})
			if err == nil {
				t.Fatal("Write succeeded")
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// ExampleWrite shows the whole shape of a calendar with one reminder.
func ExampleWrite() {
	loc, _ := time.LoadLocation("Europe/London")
	at := time.Date(2027, 3, 28, 9, 0, 0, 0, loc)
	occ := domain.Occurrence{
		ID: "hydration-0123456789ab", Kind: domain.KindHydration, Rule: "hydration/cadence", At: at,
		Title: "Drink some water", Body: "Have a glass of water, now.", Why: "Dehydration can bring on cramps.",
	}
	var buf bytes.Buffer
	if err := ics.Write(&buf, loc, []domain.Occurrence{occ}, time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC), ics.Options{}); err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	// Output:
	// BEGIN:VCALENDAR
	// VERSION:2.0
	// PRODID:-//crampd//crampd//EN
	// CALSCALE:GREGORIAN
	// X-WR-CALNAME:crampd
	// X-WR-TIMEZONE:Europe/London
	// BEGIN:VTIMEZONE
	// TZID:Europe/London
	// BEGIN:DAYLIGHT
	// DTSTART:20270328T010000
	// TZOFFSETFROM:+0000
	// TZOFFSETTO:+0100
	// TZNAME:BST
	// END:DAYLIGHT
	// END:VTIMEZONE
	// BEGIN:VEVENT
	// UID:hydration-0123456789ab
	// DTSTAMP:20270301T120000Z
	// DTSTART;TZID=Europe/London:20270328T090000
	// DURATION:PT5M
	// SUMMARY:Drink some water
	// DESCRIPTION:Have a glass of water\, now.\n\nDehydration can bring on cramps
	//  .
	// CATEGORIES:hydration
	// TRANSP:TRANSPARENT
	// BEGIN:VALARM
	// ACTION:DISPLAY
	// TRIGGER:PT0S
	// DESCRIPTION:Drink some water
	// END:VALARM
	// END:VEVENT
	// END:VCALENDAR
}
