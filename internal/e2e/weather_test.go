package e2e

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/openmeteo"
)

// TestWeatherEndToEnd runs the real binary with [weather] pointing at a
// local Open-Meteo-shaped server that forecasts a heat wave from yesterday
// to two days ahead: the daemon fetches and stores it, status names this
// hour's heat index, plan (reading the state database while the daemon
// runs) follows it and says so, and a cramp logged now carries the weather.
func TestWeatherEndToEnd(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	yesterday := now.Truncate(24 * time.Hour).Add(-24 * time.Hour)
	api := openmeteo.New(t, "hot")
	api.Answer(200, openmeteo.Generate(yesterday, 96, 40.71, -74.01, 36, 55))

	s := newSandbox(t)
	sock := filepath.Join(shortTempDir(t), "crampd.sock")
	s.writeProfile(`timezone = "UTC"
[sleep]
wake = "00:00"
bed = "23:59"
[quiet]
enabled = false
[weather]
latitude = 40.71
longitude = -74.01
url = "` + api.Endpoint() + `"
[[channel]]
type = "stdout"
`)
	p := s.crampd("crampd run", nil, "run", "--profile", s.profile, "--state", s.state, "--socket", sock)
	p.waitStderr(startTimeout, `msg="crampd is running"`)
	p.waitStderr(startTimeout, `msg="weather forecast stored"`)
	if api.Requests() != 1 {
		t.Errorf("%d forecast requests on start, want 1", api.Requests())
	}

	status := s.crampd("crampd status", nil, "status", "--socket", sock)
	if st := status.wait(10 * time.Second); st.ExitCode() != 0 || !strings.Contains(status.stdout.String(), "weather:  heat index ") ||
		!strings.Contains(status.stdout.String(), "(Danger), forecast fetched") {
		t.Errorf("status (%v):\n%s%s", st, status.stdout.String(), status.stderr.String())
	}

	plan := s.crampd("crampd plan", nil, "plan", "--profile", s.profile, "--state", s.state)
	if st := plan.wait(10 * time.Second); st.ExitCode() != 0 ||
		!strings.HasPrefix(plan.stdout.String(), "Following the weather forecast fetched") ||
		!strings.Contains(plan.stdout.String(), "Time for a cup of water: heat index") {
		t.Errorf("plan (%v):\n%s%s", st, plan.stdout.String(), plan.stderr.String())
	}

	cramp := s.crampd("crampd cramp log", nil, "cramp", "log", "--severity", "3", "--socket", sock)
	if st := cramp.wait(10 * time.Second); st.ExitCode() != 0 || !strings.Contains(cramp.stdout.String(), "Weather beside it, from the stored forecast: heat index") {
		t.Errorf("cramp log (%v):\n%s%s", st, cramp.stdout.String(), cramp.stderr.String())
	}

	p.kill(syscall.SIGTERM)
	if st := p.wait(15 * time.Second); st.ExitCode() != 0 {
		t.Errorf("crampd exited with %v", st)
	}
}
