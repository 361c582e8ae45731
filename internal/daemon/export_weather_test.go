package daemon

import "github.com/crampd/crampd/internal/weather"

// Weather exposes the forecast fetcher to tests.
func (d *Daemon) Weather() *weather.Fetcher { return d.weather }
