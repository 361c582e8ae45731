package weather_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/openmeteo"
	"github.com/crampd/crampd/internal/weather"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// summerProfile is a New Yorker who runs on Tuesday and Thursday evenings,
// in a temperate climate: water every two hours when it is not hot.
const summerProfile = `timezone = "America/New_York"
[sleep]
wake = "07:00"
bed = "23:00"
[[exercise]]
name = "Evening run"
days = ["tue", "thu"]
start = "18:30"
duration = "45m"
[weather]
latitude = 40.71
longitude = -74.01
[[channel]]
type = "stdout"
`

func summer(t testing.TB, endpoint string) *profile.Profile {
	t.Helper()
	text := summerProfile
	if endpoint != "" {
		text = strings.Replace(text, "[weather]\n", "[weather]\nurl = \""+endpoint+"\"\n", 1)
	}
	p, err := profile.Parse("summer.toml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// fetched serves a saved answer on a local server and fetches it as the
// daemon would, at 06:00 on 2027-07-20.
func fetched(t *testing.T, name string) (*profile.Profile, plan.Forecast) {
	t.Helper()
	api := openmeteo.New(t, name)
	p := summer(t, api.Endpoint())
	c := &weather.Client{HTTP: api.Client()}
	hours, err := c.Fetch(context.Background(), p.Weather, p.Location, time.Date(2027, 7, 20, 6, 0, 0, 0, newYork))
	if err != nil {
		t.Fatal(err)
	}
	return p, plan.NewForecast(hours)
}

// golden compares got with testdata/golden/name.json (rewritten with
// -update).
func golden(t *testing.T, name string, got []domain.Occurrence) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/weather -update to create it)", err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("plan differs from %s; run go test ./internal/weather -update and review the diff", path)
	}
}

func count(occs []domain.Occurrence, rule string) int {
	n := 0
	for _, o := range occs {
		if o.Rule == rule {
			n++
		}
	}
	return n
}

// A heat wave from a local server shaped like Open-Meteo: the hot day's
// plan (golden) reminds to drink more often, and each reminder in a hot
// hour says why: the hour's heat index and its NWS category.
func TestHotDayPlanFollowsTheForecast(t *testing.T) {
	p, fc := fetched(t, "hot")
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, newYork)
	hot := plan.Inputs{Profile: p, Forecast: fc}.Days(day, 2)
	golden(t, "hot-days", hot)

	plain := plan.Inputs{Profile: p}.Days(day, 2)
	if h, c := count(hot, "hydration/cadence"), count(plain, "hydration/cadence"); h <= c {
		t.Errorf("%d water reminders in the heat, %d without the forecast: not denser", h, c)
	}
	for _, o := range hot {
		if o.Rule != "hydration/cadence" {
			continue
		}
		index, ok := fc.HeatIndexAt(o.At)
		if !ok {
			t.Fatalf("no forecast for %s", o.At)
		}
		c := heat.CategoryOf(index)
		if c == heat.None {
			continue
		}
		if !strings.Contains(o.Why, "Heat index "+heat.Describe(index)) || !strings.Contains(o.Why, `"`+c.String()+`"`) {
			t.Errorf("%s: why %q does not name the hour's heat index %s and category %s", o.At.Format("Mon 15:04"), o.Why, heat.Describe(index), c)
		}
	}
	// Tuesday is a Danger day: the run's electrolyte prompt takes the
	// heavy-sweat wording, and 17:00 has one of its own.
	var heavy, afternoon bool
	for _, o := range hot {
		switch {
		case o.Rule == "electrolytes/Evening run" && o.At.Day() == 20:
			heavy = strings.Contains(o.Body, "sweated heavily")
		case o.Rule == "electrolytes/heat":
			afternoon = o.At.Equal(time.Date(2027, 7, 20, 17, 0, 0, 0, newYork))
			if !strings.Contains(o.Why, `"Danger"`) {
				t.Errorf("hot day electrolyte why %q does not name the Danger category", o.Why)
			}
		}
	}
	if !heavy || !afternoon {
		t.Errorf("Danger day: run's prompt heavy %v, 17:00 prompt %v", heavy, afternoon)
	}
	if n := count(hot, "electrolytes/heat"); n != 1 {
		t.Errorf("%d hot-day electrolyte prompts over two days, want 1 (only Tuesday is a Danger day)", n)
	}
}

// A cool spell changes nothing: the plan equals the one without [weather].
func TestCoolDayPlanEqualsThePlanWithoutWeather(t *testing.T) {
	p, fc := fetched(t, "cool")
	if fc.Len() != 96 {
		t.Fatalf("%d hours of forecast", fc.Len())
	}
	without, err := profile.Parse("summer.toml", []byte(strings.Replace(summerProfile, "[weather]\nlatitude = 40.71\nlongitude = -74.01\n", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2027, 7, 19, 0, 0, 0, 0, newYork)
	cool := plan.Inputs{Profile: p, Forecast: fc}.Days(day, 4)
	plain := plan.Inputs{Profile: without}.Days(day, 4)
	if len(cool) == 0 || !reflect.DeepEqual(cool, plain) {
		t.Errorf("a cool forecast changed the plan: %d occurrences, %d without [weather]", len(cool), len(plain))
	}
}
