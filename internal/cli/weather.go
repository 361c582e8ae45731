package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/weather"
)

// weatherFlags are those of the commands that plan without the daemon
// (plan, its calendar export, next): they follow the forecast the daemon
// stored, read from the state directory read-only.
type weatherFlags struct {
	state     string
	noWeather bool
}

// add adds --state and --no-weather to cmd.
func (f *weatherFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.state, "state", "", "state directory holding the stored weather forecast, read-only (default $XDG_STATE_HOME/crampd)")
	cmd.Flags().BoolVar(&f.noWeather, "no-weather", false, "plan from the climate alone, without the stored weather forecast")
}

// forecastFor reads the stored forecast p's plan follows in [from, to) from
// the state directory, read-only, and says in a line what the plan
// follows; "" when p has no [weather] (nothing changes) or --no-weather
// was given. A state database that cannot be read is not an error: the
// plan then follows the climate, and the line says why.
func (f weatherFlags) forecastFor(ctx context.Context, env Env, p *profile.Profile, from, to time.Time) (plan.Forecast, string) {
	if p.Weather == nil || f.noWeather {
		return plan.Forecast{}, ""
	}
	dir := f.state
	if dir == "" {
		dir = store.DefaultDir(env.Getenv)
	}
	st, err := store.OpenReadOnly(ctx, dir)
	if errors.Is(err, store.ErrNoDatabase) {
		return plan.Forecast{}, fmt.Sprintf("No weather forecast stored in %s yet: planning from the climate (the daemon fetches it).", dir)
	}
	if err != nil {
		return plan.Forecast{}, fmt.Sprintf("Cannot read the stored weather forecast (%v): planning from the climate.", err)
	}
	defer st.Close()
	return readForecast(ctx, env, st, dir, p, from, to)
}

// readForecast reads the forecast p's plan follows in [from, to) from r,
// the state database in dir, and says in a line what the plan follows.
func readForecast(ctx context.Context, env Env, r weather.Reader, dir string, p *profile.Profile, from, to time.Time) (plan.Forecast, string) {
	fc, err := weather.ForPlan(ctx, r, p, from, to)
	if err != nil {
		return plan.Forecast{}, fmt.Sprintf("Cannot read the stored weather forecast (%v): planning from the climate.", err)
	}
	if fc.Len() == 0 {
		return fc, fmt.Sprintf("No weather forecast for this window stored in %s: planning from the climate.", dir)
	}
	return fc, fmt.Sprintf("Following the weather forecast fetched %s (stored in %s; weather data by Open-Meteo.com, CC BY 4.0); --no-weather plans from the climate alone.",
		stamp(fc.FetchedAt(), p.Location, env.Clock.Now()), dir)
}

// note prints a forecast line, when there is one.
func note(w io.Writer, line string) {
	if line != "" {
		fmt.Fprintln(w, line)
	}
}

// weatherSummary names where the forecast comes from, for check.
func weatherSummary(p *profile.Profile) string {
	if p.Weather == nil {
		return ""
	}
	host := p.Weather.URL
	if u, err := url.Parse(p.Weather.URL); err == nil {
		host = u.Host
	}
	return fmt.Sprintf("; weather from %s at %g, %g", host, p.Weather.Latitude, p.Weather.Longitude)
}

// crampWeather describes the weather beside a cramp: "heat index 88 °F
// (31 °C), day's high 108 °F (42 °C)", or "" without one.
func crampWeather(w *domain.Weather) string {
	if w == nil {
		return ""
	}
	s := "heat index " + heat.Describe(w.HeatIndexF)
	if w.DayMaxHeatIndexF != nil {
		s += ", day's high " + heat.Describe(*w.DayMaxHeatIndexF)
	}
	return s
}

// openMeteoCredit credits the forecast wherever crampd shows it, as its
// CC BY 4.0 licence asks.
const openMeteoCredit = "(weather data by Open-Meteo.com, CC BY 4.0)"

// bracket puts s after two spaces in brackets, or returns "" for "".
func bracket(s string) string {
	if s == "" {
		return ""
	}
	return "  [" + s + "]"
}

// writeHeatNights prints nights after hot days beside the others, when the
// stats have them.
func writeHeatNights(w io.Writer, h *stats.HeatNights) {
	if h == nil {
		return
	}
	fmt.Fprintf(w, "  after a hot day (heat index %d °F or more):  %d cramp nights of %d\n", h.HotDayF, h.AfterHotCrampNights, h.AfterHotNights)
	fmt.Fprintf(w, "  after a cooler day:                         %d cramp nights of %d\n", h.AfterCoolCrampNights, h.AfterCoolNights)
	if h.UnknownNights > 0 {
		fmt.Fprintf(w, "  after a day with no forecast stored:        %d cramp nights of %d\n", h.UnknownCrampNights, h.UnknownNights)
	}
	fmt.Fprintln(w, "  "+openMeteoCredit)
}

// weatherStatus says in a line what the plan follows this hour.
func weatherStatus(ws *app.WeatherStatus, loc *time.Location, now time.Time) string {
	if !ws.Following || ws.FetchedAt == nil {
		return "no forecast fetched within two days covers this hour: planning from the climate"
	}
	return fmt.Sprintf("heat index %s this hour (%s), forecast fetched %s by Open-Meteo.com",
		heat.Describe(ws.HeatIndexF), ws.Category, stamp(*ws.FetchedAt, loc, now))
}
