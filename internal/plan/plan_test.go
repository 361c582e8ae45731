package plan_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func mustLoad(t testing.TB, name string) *profile.Profile {
	t.Helper()
	p, err := profile.Load(filepath.Join("testdata", "profiles", name+".toml"))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return p
}

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestResolve(t *testing.T) {
	tests := []struct {
		name             string
		zone             string
		y                int
		m                time.Month
		d, h, mi         int
		want             string // RFC 3339 with the zone's offset
		wantZoneAbbrevOK string
	}{
		{name: "new york ordinary", zone: "America/New_York", y: 2027, m: 3, d: 13, h: 2, mi: 30, want: "2027-03-13T02:30:00-05:00"},
		{name: "new york gap reads with the offset before it", zone: "America/New_York", y: 2027, m: 3, d: 14, h: 2, mi: 30, want: "2027-03-14T03:30:00-04:00"},
		{name: "new york gap start", zone: "America/New_York", y: 2027, m: 3, d: 14, h: 2, mi: 0, want: "2027-03-14T03:00:00-04:00"},
		{name: "new york after gap", zone: "America/New_York", y: 2027, m: 3, d: 14, h: 3, mi: 0, want: "2027-03-14T03:00:00-04:00"},
		{name: "new york repeated hour takes the first", zone: "America/New_York", y: 2027, m: 11, d: 7, h: 1, mi: 30, want: "2027-11-07T01:30:00-04:00"},
		{name: "new york after repeated hour", zone: "America/New_York", y: 2027, m: 11, d: 7, h: 2, mi: 0, want: "2027-11-07T02:00:00-05:00"},
		{name: "london gap", zone: "Europe/London", y: 2027, m: 3, d: 28, h: 1, mi: 30, want: "2027-03-28T02:30:00+01:00"},
		{name: "london repeated hour", zone: "Europe/London", y: 2027, m: 10, d: 31, h: 1, mi: 15, want: "2027-10-31T01:15:00+01:00"},
		{name: "lord howe half-hour gap", zone: "Australia/Lord_Howe", y: 2027, m: 10, d: 3, h: 2, mi: 15, want: "2027-10-03T02:45:00+11:00"},
		{name: "lord howe half-hour repeat", zone: "Australia/Lord_Howe", y: 2027, m: 4, d: 4, h: 1, mi: 45, want: "2027-04-04T01:45:00+11:00"},
		{name: "lord howe after repeat", zone: "Australia/Lord_Howe", y: 2027, m: 4, d: 4, h: 2, mi: 0, want: "2027-04-04T02:00:00+10:30"},
		{name: "utc", zone: "UTC", y: 2027, m: 1, d: 1, h: 0, mi: 0, want: "2027-01-01T00:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := plan.Resolve(mustZone(t, tt.zone), tt.y, tt.m, tt.d, tt.h, tt.mi, 0)
			if s := got.Format(time.RFC3339); s != tt.want {
				t.Errorf("Resolve = %s, want %s", s, tt.want)
			}
		})
	}
}

// windows are two days around each transition in each zone.
var windows = []struct {
	profile string
	name    string
	from    string
}{
	{"newyork", "spring", "2027-03-13T00:00:00-05:00"},
	{"newyork", "fall", "2027-11-06T00:00:00-04:00"},
	{"london", "spring", "2027-03-27T00:00:00Z"},
	{"london", "fall", "2027-10-30T00:00:00+01:00"},
	{"lordhowe", "spring", "2027-10-02T00:00:00+10:30"},
	{"lordhowe", "fall", "2027-04-03T00:00:00+11:00"},
}

func TestGolden(t *testing.T) {
	for _, w := range windows {
		t.Run(w.profile+"-"+w.name, func(t *testing.T) {
			p := mustLoad(t, w.profile)
			from, err := time.Parse(time.RFC3339, w.from)
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(plan.Days(p, from, 2), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", w.profile+"-"+w.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/plan -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s; run go test ./internal/plan -update and review the diff", path)
			}
		})
	}
}

// find returns the occurrences of rule, formatted as RFC 3339.
func find(occs []domain.Occurrence, rule string) []string {
	var out []string
	for _, o := range occs {
		if o.Rule == rule {
			out = append(out, o.At.Format(time.RFC3339))
		}
	}
	return out
}

func TestDaylightSaving(t *testing.T) {
	tests := []struct {
		name    string
		profile string
		from    string
		rule    string
		want    []string
	}{
		{
			name: "new york dose in the gap fires once at 03:30 EDT", profile: "newyork", from: "2027-03-14T00:00:00-05:00",
			rule: "medication/Night dose/02:30", want: []string{"2027-03-14T03:30:00-04:00"},
		},
		{
			name: "new york cron in the gap fires once", profile: "newyork", from: "2027-03-14T00:00:00-05:00",
			rule: "custom/Gap", want: []string{"2027-03-14T03:30:00-04:00"},
		},
		{
			name: "new york repeated hour fires once each, first occurrence", profile: "newyork", from: "2027-11-07T00:00:00-04:00",
			rule: "custom/Repeated hour", want: []string{"2027-11-07T01:00:00-04:00", "2027-11-07T01:30:00-04:00"},
		},
		{
			name: "new york bed after midnight: the evening's stretch lands at 00:00", profile: "newyork", from: "2027-03-14T00:00:00-05:00",
			rule: "stretch/bed", want: []string{"2027-03-14T00:00:00-05:00"},
		},
		{
			name: "london sunday dose in the gap", profile: "london", from: "2027-03-28T00:00:00Z",
			rule: "medication/Furosemide/01:30", want: []string{"2027-03-28T02:30:00+01:00"},
		},
		{
			name: "london six-field cron in the repeated hour", profile: "london", from: "2027-10-31T00:00:00+01:00",
			rule: "custom/Seconds", want: []string{"2027-10-31T01:30:15+01:00"},
		},
		{
			name: "lord howe dose in the half-hour gap", profile: "lordhowe", from: "2027-10-03T00:00:00+10:30",
			rule: "medication/Thyroid/02:15", want: []string{"2027-10-03T02:45:00+11:00"},
		},
		{
			name: "lord howe gap times merge with the real ones", profile: "lordhowe", from: "2027-10-03T00:00:00+10:30",
			rule: "custom/Every ten minutes", want: []string{
				"2027-10-03T01:00:00+10:30", "2027-10-03T01:10:00+10:30", "2027-10-03T01:20:00+10:30",
				"2027-10-03T01:30:00+10:30", "2027-10-03T01:40:00+10:30", "2027-10-03T01:50:00+10:30",
				"2027-10-03T02:30:00+11:00", "2027-10-03T02:40:00+11:00", "2027-10-03T02:50:00+11:00",
			},
		},
		{
			name: "lord howe repeated half hour fires once", profile: "lordhowe", from: "2027-04-04T00:00:00+11:00",
			rule: "medication/Thyroid/01:45", want: []string{"2027-04-04T01:45:00+11:00"},
		},
		{
			name: "lord howe repeated half hour cron", profile: "lordhowe", from: "2027-04-04T00:00:00+11:00",
			rule: "custom/Every ten minutes", want: []string{
				"2027-04-04T01:00:00+11:00", "2027-04-04T01:10:00+11:00", "2027-04-04T01:20:00+11:00",
				"2027-04-04T01:30:00+11:00", "2027-04-04T01:40:00+11:00", "2027-04-04T01:50:00+11:00",
				"2027-04-04T02:00:00+10:30", "2027-04-04T02:10:00+10:30", "2027-04-04T02:20:00+10:30",
				"2027-04-04T02:30:00+10:30", "2027-04-04T02:40:00+10:30", "2027-04-04T02:50:00+10:30",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, tt.profile)
			from, err := time.Parse(time.RFC3339, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			got := find(plan.Days(p, from, 1), tt.rule)
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s:\n got %v\nwant %v", tt.rule, got, tt.want)
			}
		})
	}
}

func TestHydrationFollowsWallClockAcrossDST(t *testing.T) {
	p := mustLoad(t, "newyork")
	from, _ := time.Parse(time.RFC3339, "2027-03-14T00:00:00-05:00")
	var walls []string
	for _, o := range plan.Days(p, from, 1) {
		if o.Rule == "hydration/cadence" {
			walls = append(walls, o.At.Format("15:04"))
		}
	}
	// Hot-humid: every hour from 06:30 wake until 00:30 bed; the swim at 07:15
	// has its own drink at 06:55, which replaces the 06:30 one (25 minutes
	// away) but not 07:30 (35 minutes away).
	want := []string{"07:30", "08:30", "09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30", "16:30", "17:30", "18:30", "19:30", "20:30", "21:30", "22:30", "23:30"}
	if !slices.Equal(walls, want) {
		t.Errorf("hydration walls on spring-forward day:\n got %v\nwant %v", walls, want)
	}
}

// Splitting a window anywhere must not change what it holds: the daemon
// re-arms a rolling window and relies on this.
func TestWindowsCompose(t *testing.T) {
	for _, name := range []string{"newyork", "london", "lordhowe"} {
		p := mustLoad(t, name)
		from := time.Date(2027, 3, 10, 5, 17, 0, 0, time.UTC)
		to := from.Add(30 * 24 * time.Hour)
		whole := plan.Build(p, from, to)
		for _, cut := range []time.Duration{time.Minute, 7*time.Hour + 13*time.Minute, 96 * time.Hour, 20*24*time.Hour + 90*time.Second} {
			mid := from.Add(cut)
			parts := append(plan.Build(p, from, mid), plan.Build(p, mid, to)...)
			if !slices.EqualFunc(whole, parts, func(a, b domain.Occurrence) bool { return a.ID == b.ID && a.At.Equal(b.At) }) {
				t.Errorf("%s: split at %v changes the plan (%d vs %d occurrences)", name, cut, len(whole), len(parts))
			}
		}
	}
}

func TestIDsAreStableAndUnique(t *testing.T) {
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	a := plan.Days(mustLoad(t, "london"), from, 60)
	b := plan.Days(mustLoad(t, "london"), from, 60)
	seen := map[string]bool{}
	for i := range a {
		if a[i].ID != b[i].ID {
			t.Fatalf("occurrence %d: id %s then %s for the same profile and instant", i, a[i].ID, b[i].ID)
		}
		if seen[a[i].ID] {
			t.Fatalf("duplicate id %s", a[i].ID)
		}
		seen[a[i].ID] = true
		if i > 0 && a[i].At.Before(a[i-1].At) {
			t.Fatalf("occurrences out of order at %d", i)
		}
	}
}

func TestDietNeverNamesAvoidedFoods(t *testing.T) {
	p := mustLoad(t, "newyork")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var foods, electrolytes int
	for _, o := range plan.Days(p, from, 90) {
		for _, banned := range []string{"almonds", "nuts", "dairy", "sweet potatoes"} {
			if strings.Contains(o.Body, banned) {
				t.Fatalf("%s (%s) names %q, which the diet avoids: %s", o.ID, o.Kind, banned, o.Body)
			}
		}
		switch o.Kind {
		case domain.KindFood:
			foods++
		case domain.KindElectrolytes:
			electrolytes++
		}
	}
	if foods == 0 || electrolytes == 0 {
		t.Fatalf("expected food and electrolyte reminders, got %d and %d", foods, electrolytes)
	}
}

func TestQuietHoursSilenceAllButMedicationAndCustom(t *testing.T) {
	p := mustLoad(t, "london")
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var quietMeds int
	for _, o := range plan.Days(p, from, 60) {
		c := profile.NewClock(o.At.Hour(), o.At.Minute())
		if !p.Quiet.Contains(c) {
			continue
		}
		switch o.Kind {
		case domain.KindMedication, domain.KindCustom:
			quietMeds++
		default:
			t.Errorf("%s %s at %s falls in quiet hours", o.Kind, o.ID, o.At.Format(time.RFC3339))
		}
	}
	if quietMeds == 0 {
		t.Error("the 01:30 dose and the 01:30:15 custom reminder should fire in quiet hours")
	}
}

func TestLoweredMineralsComeUpMoreOften(t *testing.T) {
	p := mustLoad(t, "newyork") // Night dose lowers magnesium.
	from := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	counts := map[advice.Mineral]int{}
	for _, o := range plan.Days(p, from, 120) {
		if o.Kind != domain.KindFood {
			continue
		}
		for _, m := range advice.FoodNutrients() {
			if strings.Contains(o.Title, string(m)) {
				counts[m]++
			}
		}
	}
	if counts[advice.Magnesium] <= counts[advice.Potassium] || counts[advice.Magnesium] <= counts[advice.Calcium] {
		t.Errorf("magnesium should come up most often: %v", counts)
	}
	if counts[advice.Potassium] == 0 || counts[advice.Calcium] == 0 {
		t.Errorf("every nutrient should come up: %v", counts)
	}
}

func TestKindsAndContent(t *testing.T) {
	p := mustLoad(t, "london")
	// 2027-03-28 is a Sunday and the monthly review day.
	from, _ := time.Parse(time.RFC3339, "2027-03-28T00:00:00Z")
	kinds := map[domain.Kind]int{}
	for _, o := range plan.Days(p, from, 1) {
		kinds[o.Kind]++
		if o.Title == "" || o.Why == "" || o.ID == "" || o.Rule == "" {
			t.Errorf("incomplete occurrence %+v", o)
		}
		if o.Kind == domain.KindStretch && !strings.Contains(o.Body, "pull your toes toward your body") {
			t.Errorf("stretch body lacks the calf instructions: %s", o.Body)
		}
		if o.Kind == domain.KindMedicationReview && !strings.Contains(o.Body, "Furosemide") {
			t.Errorf("review does not name the drug: %s", o.Body)
		}
	}
	for _, k := range []domain.Kind{domain.KindHydration, domain.KindFood, domain.KindElectrolytes, domain.KindMedication, domain.KindMedicationReview, domain.KindCustom} {
		if kinds[k] == 0 {
			t.Errorf("no %s reminder on 2027-03-28: %v", k, kinds)
		}
	}
	// Quiet hours start at 21:30, before the 22:00 stretch.
	if kinds[domain.KindStretch] != 0 {
		t.Errorf("stretch at 22:00 falls in quiet hours from 21:30 and must not fire")
	}
}

func ExampleDays() {
	p, err := profile.Parse("example.toml", []byte(`
timezone = "Europe/Berlin"
[sleep]
wake = "07:00"
bed = "22:00"
[hydration]
enabled = false
[food]
enabled = false
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, o := range plan.Days(p, time.Date(2027, 6, 1, 0, 0, 0, 0, p.Location), 1) {
		fmt.Println(o.At.Format("15:04"), o.Kind, o.Title)
	}
	// Output: 21:30 stretch Stretch your calves and hamstrings
}

// The daemon plans many short windows (each sentinel tick); slicing three
// days that include a transition into seven-minute windows must give
// exactly the whole.
func TestShortWindowsCoverTransitions(t *testing.T) {
	for _, w := range windows {
		p := mustLoad(t, w.profile)
		from, _ := time.Parse(time.RFC3339, w.from)
		to := from.Add(72 * time.Hour)
		whole := plan.Build(p, from, to)
		var parts []domain.Occurrence
		for f := from; f.Before(to); f = f.Add(7 * time.Minute) {
			end := f.Add(7 * time.Minute)
			if end.After(to) {
				end = to
			}
			parts = append(parts, plan.Build(p, f, end)...)
		}
		if !slices.EqualFunc(whole, parts, func(a, b domain.Occurrence) bool { return a.ID == b.ID }) {
			t.Errorf("%s %s: short windows give %d occurrences, the whole window %d", w.profile, w.name, len(parts), len(whole))
		}
	}
}

func BenchmarkBuildTick(b *testing.B) {
	p, err := profile.Load("../../config/example.toml")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2027, 3, 30, 12, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		plan.Build(p, from, from.Add(30*time.Second))
	}
}

func BenchmarkDaysExample(b *testing.B) {
	p, err := profile.Load("../../config/example.toml")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2027, 3, 30, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		plan.Days(p, from, 1)
	}
}

// The check-in comes once a day at its wall time, across a daylight saving
// change, with the wording of a question and not of advice.
func TestCheckinOnceADay(t *testing.T) {
	p, err := profile.Parse("checkin.toml", []byte(`timezone = "America/New_York"
[sleep]
wake = "06:30"
[checkin]
enabled = true
`))
	if err != nil {
		t.Fatal(err)
	}
	from := time.Date(2027, 3, 13, 0, 0, 0, 0, p.Location)
	got := find(plan.Days(p, from, 3), "checkin")
	want := []string{"2027-03-13T07:00:00-05:00", "2027-03-14T07:00:00-04:00", "2027-03-15T07:00:00-04:00"}
	if !slices.Equal(got, want) {
		t.Errorf("check-ins at %v, want %v", got, want)
	}
	for _, o := range plan.Days(p, from, 1) {
		if o.Kind == domain.KindCheckin && (o.Title != "How was your night?" || !strings.Contains(o.Body, "**Severe cramp**")) {
			t.Errorf("check-in worded %q / %q", o.Title, o.Body)
		}
	}

	p.Checkin.Enabled = false
	if got := find(plan.Days(p, from, 3), "checkin"); len(got) != 0 {
		t.Errorf("a check-in that is off came at %v", got)
	}
}
