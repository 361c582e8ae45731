package domain

import "time"

// MaxForecastAge is how old a forecast may be at the hour it describes and
// still be used: older forecasts are not trusted, and the plan falls back to
// the profile's climate.
const MaxForecastAge = 48 * time.Hour

// WeatherHour is one hour of a weather forecast crampd fetched and stored
// for where the person is.
type WeatherHour struct {
	// At is the start of the hour.
	At time.Time `json:"at"`
	// TempC is the air temperature 2 m above ground, in °C.
	TempC float64 `json:"temperature_c"`
	// Humidity is the relative humidity 2 m above ground, in percent.
	Humidity float64 `json:"relative_humidity"`
	// FetchedAt is when the forecast holding this hour was fetched.
	FetchedAt time.Time `json:"fetched_at"`
	// Latitude and Longitude are the place the forecast was asked for.
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// Fresh reports whether the hour's forecast may be used: it was fetched at
// most MaxForecastAge before the hour itself.
func (h WeatherHour) Fresh() bool { return h.At.Sub(h.FetchedAt) <= MaxForecastAge }

// Weather is the weather beside a logged cramp: that of the hour it was
// logged for, from the stored forecast.
type Weather struct {
	// TempC is the hour's air temperature, in °C.
	TempC float64 `json:"temperature_c"`
	// Humidity is the hour's relative humidity, in percent.
	Humidity float64 `json:"relative_humidity"`
	// HeatIndexF is the hour's heat index, in °F, as the US National
	// Weather Service computes it.
	HeatIndexF float64 `json:"heat_index_f"`
	// DayMaxHeatIndexF is the highest heat index of the day the cramp
	// followed (the day before the night it fell in, or its own day for a
	// cramp in the afternoon), when the forecast for that day is stored.
	DayMaxHeatIndexF *float64 `json:"day_max_heat_index_f,omitempty"`
}
