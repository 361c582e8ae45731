package weather

import (
	"context"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// Reader is where stored forecasts are read: the state database, open for
// writing in the daemon or read-only in a command run without one.
type Reader interface {
	Forecast(ctx context.Context, from, to time.Time) ([]domain.WeatherHour, error)
}

// planBack and planAhead are how far around now the daemon keeps the stored forecast
// in its plan inputs: back as far as it catches up after downtime, and
// ahead as far as a forecast may be used.
const (
	planBack  = 8 * 24 * time.Hour
	planAhead = 4 * 24 * time.Hour
)

// ForPlan reads the stored forecast the plan of p follows in [from, to):
// the hours fetched for p's [weather] coordinates (a forecast for a place
// the profile no longer names is not followed). Without [weather] it is
// the zero Forecast, and so is a window with nothing stored.
func ForPlan(ctx context.Context, r Reader, p *profile.Profile, from, to time.Time) (plan.Forecast, error) {
	if p.Weather == nil {
		return plan.Forecast{}, nil
	}
	// The hour that holds from starts up to an hour before it.
	hours, err := r.Forecast(ctx, from.Add(-time.Hour), to)
	if err != nil {
		return plan.Forecast{}, err
	}
	here := hours[:0]
	for _, h := range hours {
		if h.Latitude == p.Weather.Latitude && h.Longitude == p.Weather.Longitude {
			here = append(here, h)
		}
	}
	return plan.NewForecast(here), nil
}

// ForPlanAround is ForPlan over the window the daemon plans in around now.
func ForPlanAround(ctx context.Context, r Reader, p *profile.Profile, now time.Time) (plan.Forecast, error) {
	return ForPlan(ctx, r, p, now.Add(-planBack), now.Add(planAhead))
}
