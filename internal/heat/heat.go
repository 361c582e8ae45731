// Package heat computes the heat index the US National Weather Service
// publishes, and sorts it into the NWS's categories. crampd uses them to
// tighten the hydration plan in hot hours and to set the weather beside each
// logged cramp. Everything here is a function of values.
//
// Sources (cited in the README):
//   - the formula: NWS Weather Prediction Center, "The Heat Index Equation"
//     (Rothfusz 1990, NWS Technical Attachment SR 90-23, with the NWS's
//     adjustments and Steadman's simple formula below 80 °F),
//     https://www.wpc.ncep.noaa.gov/html/heatindex_equation.shtml;
//   - the categories: NWS, "Heat Index",
//     https://www.weather.gov/safety/heat-index.
package heat

import (
	"fmt"
	"math"
)

// Index returns the heat index, in °F, for an air temperature in °F and a
// relative humidity in percent, as the NWS computes it: Steadman's simple
// formula averaged with the temperature first, and, when that reaches
// 80 °F, the Rothfusz regression with its low- and high-humidity
// adjustments.
func Index(tempF, humidity float64) float64 {
	t, rh := tempF, humidity
	simple := 0.5 * (t + 61.0 + (t-68.0)*1.2 + rh*0.094)
	if (simple+t)/2 < 80 {
		return simple
	}
	hi := -42.379 + 2.04901523*t + 10.14333127*rh -
		0.22475541*t*rh - 0.00683783*t*t - 0.05481717*rh*rh +
		0.00122874*t*t*rh + 0.00085282*t*rh*rh - 0.00000199*t*t*rh*rh
	switch {
	case rh < 13 && t >= 80 && t <= 112:
		hi -= (13 - rh) / 4 * math.Sqrt((17-math.Abs(t-95))/17)
	case rh > 85 && t >= 80 && t <= 87:
		hi += (rh - 85) / 10 * ((87 - t) / 5)
	}
	return hi
}

// IndexC returns the heat index, in °F, for an air temperature in °C (as
// weather services outside the US and Open-Meteo give it) and a relative
// humidity in percent.
func IndexC(tempC, humidity float64) float64 { return Index(CToF(tempC), humidity) }

// CToF converts °C to °F.
func CToF(c float64) float64 { return c*9/5 + 32 }

// FToC converts °F to °C.
func FToC(f float64) float64 { return (f - 32) * 5 / 9 }

// Category is one of the NWS's heat index categories, or None below them.
// Categories are ordered: a hotter one compares greater.
type Category int

// The NWS heat index categories, from the coolest.
const (
	// None is a heat index below 80 °F: crampd plans from the profile's
	// climate.
	None Category = iota
	// Caution is a heat index of 80 °F to below 90 °F.
	Caution
	// ExtremeCaution is 90 °F to below 103 °F.
	ExtremeCaution
	// Danger is 103 °F to below 125 °F.
	Danger
	// ExtremeDanger is 125 °F or more.
	ExtremeDanger
)

// The lower bounds of the categories, in °F.
const (
	CautionF        = 80
	ExtremeCautionF = 90
	DangerF         = 103
	ExtremeDangerF  = 125
)

// CategoryOf returns the category of a heat index in °F. The index is
// first rounded to a whole degree, as the NWS chart and crampd's messages
// show it, so that a category always matches the figure shown beside it
// (102.6 °F reads "103 °F", in Danger).
func CategoryOf(indexF float64) Category {
	indexF = math.Round(indexF)
	switch {
	case indexF >= ExtremeDangerF:
		return ExtremeDanger
	case indexF >= DangerF:
		return Danger
	case indexF >= ExtremeCautionF:
		return ExtremeCaution
	case indexF >= CautionF:
		return Caution
	}
	return None
}

// String names the category as the NWS does.
func (c Category) String() string {
	switch c {
	case Caution:
		return "Caution"
	case ExtremeCaution:
		return "Extreme caution"
	case Danger:
		return "Danger"
	case ExtremeDanger:
		return "Extreme danger"
	}
	return "below Caution"
}

// Describe gives a heat index in °F as people read it, in both scales:
// "97 °F (36 °C)".
func Describe(indexF float64) string {
	// The °C figure is that of the rounded °F one, so that the same °F
	// always reads with the same °C.
	f := math.Round(indexF)
	return fmt.Sprintf("%d °F (%d °C)", int(f), int(math.Round(FToC(f))))
}
