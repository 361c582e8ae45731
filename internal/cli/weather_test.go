package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

const weatherProfileText = `timezone = "America/New_York"
[sleep]
wake = "07:00"
bed = "23:00"
[food]
enabled = false
[stretch]
enabled = false
[weather]
latitude = 40.71
longitude = -74.01
[[channel]]
type = "stdout"
`

// cliWeather writes the profile and a state directory whose database holds
// a hot day's forecast for 2027-07-20, fetched at 06:00 that day.
func cliWeather(t *testing.T) (profilePath, state string, now time.Time) {
	t.Helper()
	dir := t.TempDir()
	profilePath = filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(profilePath, []byte(weatherProfileText), 0o600); err != nil {
		t.Fatal(err)
	}
	ny, _ := time.LoadLocation("America/New_York")
	now = time.Date(2027, 7, 20, 6, 0, 0, 0, ny)
	state = filepath.Join(dir, "state")
	st, err := store.Open(context.Background(), state)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var hours []domain.WeatherHour
	for h := 0; h < 48; h++ {
		at := time.Date(2027, 7, 20, 0, 0, 0, 0, ny).Add(time.Duration(h) * time.Hour)
		temp := 24.0
		if hr := at.Hour(); hr >= 11 && hr < 20 {
			temp = 35
		}
		hours = append(hours, domain.WeatherHour{At: at, TempC: temp, Humidity: 55, FetchedAt: now, Latitude: 40.71, Longitude: -74.01})
	}
	if err := st.SaveForecast(context.Background(), hours); err != nil {
		t.Fatal(err)
	}
	return profilePath, state, now
}

func TestPlanFollowsTheStoredForecast(t *testing.T) {
	path, state, now := cliWeather(t)
	plain := []string{"plan", "--profile", path, "--state", state, "--from", "2027-07-20"}

	code, out, errOut := runCLI(t, now, plain...)
	if code != 0 {
		t.Fatalf("plan: %d %s", code, errOut)
	}
	first, _, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "Following the weather forecast fetched 06:00 EDT (stored in "+state) || !strings.Contains(first, "Open-Meteo.com") {
		t.Errorf("plan's header does not name the forecast: %q", first)
	}
	hot := strings.Count(out, "Time for a cup of water: heat index")
	if hot < 8 {
		t.Errorf("%d hot water reminders:\n%s", hot, out)
	}

	code, out, _ = runCLI(t, now, append(plain, "--no-weather")...)
	if code != 0 || strings.Contains(out, "heat index") || strings.Contains(out, "Following") {
		t.Errorf("--no-weather still follows the forecast:\n%s", out)
	}

	code, out, errOut = runCLI(t, now, append(plain, "--json")...)
	var occs []domain.Occurrence
	if err := json.Unmarshal([]byte(out), &occs); code != 0 || err != nil {
		t.Fatalf("plan --json: %d %v\n%s", code, err, out)
	}
	if !strings.HasPrefix(errOut, "Following the weather forecast") {
		t.Errorf("plan --json says nothing of the forecast on stderr: %q", errOut)
	}
	n := 0
	for _, o := range occs {
		if strings.Contains(o.Why, "Heat index") {
			n++
		}
	}
	if n != hot {
		t.Errorf("--json has %d reminders naming the heat, the table %d", n, hot)
	}

	code, out, errOut = runCLI(t, now, append(plain, "--ics")...)
	if code != 0 || !strings.Contains(out, "heat index") || !strings.HasPrefix(errOut, "Following the weather forecast") {
		t.Errorf("plan --ics: %d, stderr %q", code, errOut)
	}

	// Nothing stored yet: the plan says so and follows the climate.
	empty := filepath.Join(t.TempDir(), "state")
	code, out, _ = runCLI(t, now, "plan", "--profile", path, "--state", empty, "--from", "2027-07-20")
	if code != 0 || !strings.HasPrefix(out, "No weather forecast stored in "+empty+" yet: planning from the climate") || strings.Contains(out, "heat index") {
		t.Errorf("plan without a stored forecast:\n%s", out)
	}
}

func TestNextWithoutADaemonFollowsTheStoredForecast(t *testing.T) {
	path, state, now := cliWeather(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	code, out, errOut := runCLI(t, now.Add(5*time.Hour), "next", "-n", "3", "--profile", path, "--state", state, "--socket", sock)
	if code != 0 || !strings.Contains(errOut, "listing from the profile") || !strings.Contains(errOut, "Following the weather forecast") {
		t.Fatalf("next: %d\n%s", code, errOut)
	}
	if strings.Count(out, "heat index") != 3 {
		t.Errorf("the next three at 11:00 on a hot day are not all hot water reminders:\n%s", out)
	}
	code, out, errOut = runCLI(t, now.Add(5*time.Hour), "next", "-n", "3", "--profile", path, "--state", state, "--socket", sock, "--no-weather")
	if code != 0 || strings.Contains(out, "heat index") || !strings.Contains(errOut, "--no-weather") {
		t.Errorf("next --no-weather: %d\n%s\n%s", code, out, errOut)
	}
}

// A cramp logged without a daemon on a stored-forecast day carries the
// weather; list shows it and stats counts it.
func TestCrampWeatherOnTheCommandLine(t *testing.T) {
	path, state, now := cliWeather(t)
	sock := filepath.Join(t.TempDir(), "none.sock")
	at := now.Add(9 * time.Hour) // 15:00, in the heat
	code, out, errOut := runCLI(t, at, "cramp", "log", "--at", "14:30", "--severity", "5", "--profile", path, "--state", state, "--socket", sock)
	if code != 0 || !strings.Contains(out, "Weather beside it, from the stored forecast: heat index 1") || !strings.Contains(out, "day's high") {
		t.Fatalf("cramp log: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, at, "cramp", "list", "--profile", path, "--state", state, "--socket", sock)
	if code != 0 || !strings.Contains(out, "[heat index 1") {
		t.Errorf("cramp list does not show the weather:\n%s", out)
	}
	code, out, _ = runCLI(t, at.Add(24*time.Hour), "stats", "--days", "3", "--profile", path, "--state", state, "--socket", sock)
	if code != 0 || !strings.Contains(out, "after a hot day (heat index 80 °F or more):  0 cramp nights of 1") {
		t.Errorf("stats does not set hot days beside the others:\n%s", out)
	}
}

func TestCheckNamesTheForecast(t *testing.T) {
	path, _, now := cliWeather(t)
	code, out, _ := runCLI(t, now, "check", "--profile", path)
	if code != 0 || !strings.Contains(out, "; weather from api.open-meteo.com at 40.71, -74.01") {
		t.Errorf("check: %d %s", code, out)
	}
}
