package stats

import (
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
)

// HotDayF is the heat index, in °F, that makes a day hot: the US National
// Weather Service's Caution category, from which crampd tightens the
// hydration plan.
const HotDayF = heat.CautionF

// HeatNights sets nights after hot days beside nights after cooler ones,
// with cramp nights in each. A night is named by its evening, and follows
// the day of the same date; a day is hot when its heat index reached
// HotDayF in some hour of the stored forecast. These are plain counts, set
// side by side: they do not show that heat causes cramps.
type HeatNights struct {
	HotDayF             int `json:"hot_day_f"`
	AfterHotNights      int `json:"after_hot_nights"`
	AfterHotCrampNights int `json:"after_hot_cramp_nights"`
	// AfterCool counts nights after days with a stored forecast that
	// stayed below HotDayF.
	AfterCoolNights      int `json:"after_cool_nights"`
	AfterCoolCrampNights int `json:"after_cool_cramp_nights"`
	// Unknown counts nights after days with no stored forecast.
	UnknownNights      int `json:"unknown_nights"`
	UnknownCrampNights int `json:"unknown_cramp_nights"`
}

// HeatDay names the day whose heat a moment t followed, in loc: that of
// the night t falls in (its evening's date), or t's own date in the
// afternoon.
func HeatDay(t time.Time, loc *time.Location) string {
	if n, ok := nightOf(t, loc); ok {
		return n
	}
	return t.In(loc).Format(time.DateOnly)
}

// DayMaxHeat returns the highest heat index, in °F, of each day (in loc)
// that has fresh forecast hours.
func DayMaxHeat(hours []domain.WeatherHour, loc *time.Location) map[string]float64 {
	out := map[string]float64{}
	for _, h := range hours {
		if !h.Fresh() {
			continue
		}
		day := h.At.In(loc).Format(time.DateOnly)
		index := heat.IndexC(h.TempC, h.Humidity)
		if max, ok := out[day]; !ok || index > max {
			out[day] = index
		}
	}
	return out
}

// Heat sets the nights of the days before now after hot days beside the
// others, from the stored forecast hours and the cramps.
func Heat(hours []domain.WeatherHour, cramps []domain.Cramp, loc *time.Location, now time.Time, days int) HeatNights {
	from := now.AddDate(0, 0, -days)
	nights := windowNights(from, now, loc)
	crampy := crampNights(cramps, nights, from, now, loc)
	dayMax := DayMaxHeat(hours, loc)
	out := HeatNights{HotDayF: HotDayF}
	for n := range nights {
		max, known := dayMax[n]
		switch {
		case !known:
			out.UnknownNights++
			if crampy[n] {
				out.UnknownCrampNights++
			}
		case heat.CategoryOf(max) >= heat.Caution:
			out.AfterHotNights++
			if crampy[n] {
				out.AfterHotCrampNights++
			}
		default:
			out.AfterCoolNights++
			if crampy[n] {
				out.AfterCoolCrampNights++
			}
		}
	}
	return out
}

// windowNights names the nights whose evenings fall in [from, now).
func windowNights(from, now time.Time, loc *time.Location) map[string]bool {
	nights := map[string]bool{}
	for d := from; d.Before(now); d = d.AddDate(0, 0, 1) {
		nights[d.In(loc).Format(time.DateOnly)] = true
	}
	return nights
}

// crampNights names the nights among nights in which a cramp logged in
// [from, now] fell.
func crampNights(cramps []domain.Cramp, nights map[string]bool, from, now time.Time, loc *time.Location) map[string]bool {
	out := map[string]bool{}
	for _, c := range cramps {
		if c.At.Before(from) || c.At.After(now) {
			continue
		}
		if n, ok := nightOf(c.At, loc); ok && nights[n] {
			out[n] = true
		}
	}
	return out
}
