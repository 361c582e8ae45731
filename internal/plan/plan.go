// Package plan turns a profile into the reminders it asks for. Build is a
// pure function of the profile and a time window: the same inputs always
// give the same occurrences with the same IDs, and the daemon fires exactly
// what Build returns. All wall-clock arithmetic happens here, so daylight
// saving is handled once, by one rule (see Resolve).
package plan

import (
	"cmp"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/heat"
	"github.com/crampd/crampd/internal/profile"
)

// MaxDays is the longest window Build accepts, in days.
const MaxDays = 400

// workoutOverlap is how close to a before-workout drink reminder a regular
// one may fall before it is dropped as redundant.
const workoutOverlap = 30 * time.Minute

// Days returns the occurrences in [from, from + days calendar days).
func Days(p *profile.Profile, from time.Time, days int) []domain.Occurrence {
	return Build(p, from, from.In(p.Location).AddDate(0, 0, days))
}

// Build returns the occurrences due in [from, to), in time order. Windows
// longer than MaxDays are cut to MaxDays.
func Build(p *profile.Profile, from, to time.Time) []domain.Occurrence {
	return build(p, Forecast{}, from, to)
}

// build is Build following the forecast fc.
func build(p *profile.Profile, fc Forecast, from, to time.Time) []domain.Occurrence {
	if limit := from.AddDate(0, 0, MaxDays); to.After(limit) {
		to = limit
	}
	if !from.Before(to) {
		return nil
	}
	lo, hi := wallSpan(p.Location, from, to)
	b := &builder{p: p, fc: fc, from: from, to: to, lo: lo, hi: hi, seen: map[string]bool{}}
	// Reminders of one calendar day can spill into the next (bed after
	// midnight, a late workout) or start the evening before, so scan a day
	// either side.
	for _, d := range dates(p.Location, from, to) {
		// Skip dates whose reminders (from the evening before to the
		// night after) cannot reach the window: the daemon plans short
		// windows often.
		if d.add(48*time.Hour).before(lo) || hi.before(d.add(-24*time.Hour)) {
			continue
		}
		b.day(d)
	}
	for _, c := range p.Customs {
		if c.Schedule != nil {
			lo, hi := wallSpan(c.Schedule.Location, from, to)
			for _, d := range dates(c.Schedule.Location, from, to) {
				b.custom(c, d, lo, hi)
			}
		}
	}
	slices.SortFunc(b.out, func(a, b domain.Occurrence) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Kind.Order(), b.Kind.Order()), cmp.Compare(a.Rule, b.Rule))
	})
	return b.out
}

// dates lists the calendar dates in loc from the day before from to the day
// after to, as midnight walls.
func dates(loc *time.Location, from, to time.Time) []wall {
	f, t := from.In(loc), to.In(loc)
	first := wallOf(f.Year(), f.Month(), f.Day()-1, 0)
	last := wallOf(t.Year(), t.Month(), t.Day()+1, 0)
	var out []wall
	for d := first; !last.before(d); d = (wall{t: d.t.AddDate(0, 0, 1)}) {
		out = append(out, d)
	}
	return out
}

// wallSpan returns the range of wall times in loc that can resolve into
// [from, to): the window shifted by the smallest and largest UTC offsets in
// force within a day of it.
func wallSpan(loc *time.Location, from, to time.Time) (lo, hi wall) {
	offMin, offMax := 0, 0
	for i, t := range []time.Time{from.Add(-24 * time.Hour), from, to, to.Add(24 * time.Hour)} {
		_, off := t.In(loc).Zone()
		if i == 0 || off < offMin {
			offMin = off
		}
		if i == 0 || off > offMax {
			offMax = off
		}
	}
	lo = wall{from.UTC().Add(time.Duration(offMin) * time.Second)}
	hi = wall{to.UTC().Add(time.Duration(offMax) * time.Second)}
	return lo, hi
}

type builder struct {
	p        *profile.Profile
	fc       Forecast
	from, to time.Time
	// lo and hi bound the wall times, in the profile's zone, that can
	// land in the window.
	lo, hi wall
	seen   map[string]bool
	out    []domain.Occurrence
}

// emit resolves w in loc and keeps the occurrence if it falls in the window.
// Two wall times can resolve to the same instant (a gap time and the hour
// after it); the rule and instant give the same ID, so it is kept once.
func (b *builder) emit(loc *time.Location, w wall, k domain.Kind, rule string, text func() advice.Text) {
	if loc == b.p.Location && (w.before(b.lo) || b.hi.before(w)) {
		return
	}
	at := resolve(loc, w)
	if at.Before(b.from) || !at.Before(b.to) {
		return
	}
	id := domain.OccurrenceID(k, rule, at)
	if b.seen[id] {
		return
	}
	b.seen[id] = true
	// The wording is built only for occurrences in the window.
	t := text()
	b.out = append(b.out, domain.Occurrence{ID: id, Kind: k, Rule: rule, At: at, Title: t.Title, Body: t.Body, Why: t.Why})
}

func at(d wall, c profile.Clock) wall { return d.add(time.Duration(c) * time.Minute) }

// quiet reports whether a reminder of a kind the quiet hours silence falls
// in them.
func (b *builder) quiet(w wall) bool {
	return b.p.Quiet.Contains(profile.Clock(w.minuteOfDay()))
}

// day adds the built-in reminders that belong to calendar date d.
func (b *builder) day(d wall) {
	p, loc := b.p, b.p.Location
	weekday := d.t.Weekday()

	wake := at(d, p.Sleep.Wake)
	bed := at(d, p.Sleep.Bed)
	if p.Sleep.BedAfterMidnight() {
		bed = bed.add(24 * time.Hour)
	}

	// A day whose heat index reaches the Danger category treats every
	// workout as a heavy sweat and adds an electrolyte prompt of its own.
	hottest, forecast := b.dayMaxHeat(wake, bed)
	dangerDay := forecast && heat.CategoryOf(hottest) >= heat.Danger

	var workoutDrinks, workoutPrompts []wall
	for _, e := range p.Exercises {
		if !e.Days.Has(weekday) {
			continue
		}
		start := at(d, e.Start)
		if p.Hydration.Enabled {
			w := start.add(-p.Hydration.BeforeWorkout)
			workoutDrinks = append(workoutDrinks, w)
			if !b.quiet(w) {
				b.emit(loc, w, domain.KindHydration, "hydration/before/"+e.Name, func() advice.Text { return advice.BeforeWorkout(e.Name, e.Start.String()) })
			}
		}
		if p.Electrolytes.Enabled {
			w := start.add(e.Duration + p.Electrolytes.AfterWorkout)
			heavy := e.Intensity == profile.High || p.Climate.Warm() || dangerDay
			workoutPrompts = append(workoutPrompts, w)
			if !b.quiet(w) {
				b.emit(loc, w, domain.KindElectrolytes, "electrolytes/"+e.Name, func() advice.Text {
					snacks := advice.FoodTexts(advice.FoodsFor(advice.Potassium, p.Diet.Avoid))
					return advice.Electrolytes(e.Name, heavy, snacks[:min(len(snacks), 2)])
				})
			}
		}
	}

	if dangerDay && p.Electrolytes.Enabled {
		b.heatElectrolytes(d, wake, bed, hottest, workoutPrompts)
	}

	if p.Hydration.Enabled {
		climate := func() advice.Text { return advice.Hydration(p.Climate.Warm()) }
		var step time.Duration
	cadence:
		for w := wake; w.before(bed); w = w.add(step) {
			// The hour's heat index sets the interval to the next one:
			// the climate's below Caution, denser the hotter it gets.
			step = p.Hydration.Every
			text := climate
			if index, c, ok := b.heatAt(w); ok && c >= heat.Caution {
				step = HeatCadence(c, step)
				every := fmtMinutes(step)
				text = func() advice.Text { return advice.HeatHydration(index, c, every) }
			}
			if b.quiet(w) {
				continue
			}
			for _, wd := range workoutDrinks {
				if diff := w.t.Sub(wd.t).Abs(); diff < workoutOverlap {
					continue cadence
				}
			}
			b.emit(loc, w, domain.KindHydration, "hydration/cadence", text)
		}
	}

	if p.Stretch.Enabled {
		w := bed.add(-p.Stretch.BeforeBed)
		if !b.quiet(w) {
			b.emit(loc, w, domain.KindStretch, "stretch/bed", advice.Stretch)
		}
	}

	if p.Food.Enabled {
		b.food(d)
	}

	for _, m := range p.Medications {
		if !m.Days.Has(weekday) {
			continue
		}
		for _, c := range m.Times {
			b.emit(loc, at(d, c), domain.KindMedication, "medication/"+m.Name+"/"+c.String(), func() advice.Text {
				return advice.Medication(m.Name, c.String(), m.Lowers)
			})
		}
	}

	b.medicationReview(d)

	if p.Checkin.Enabled {
		w := at(d, p.Checkin.At)
		if !b.quiet(w) {
			b.emit(loc, w, domain.KindCheckin, "checkin", advice.Checkin)
		}
	}
}

// dayNumber counts days since 1970-01-01; rotations key off it so that a
// date always gets the same suggestion whatever window asked for it.
func dayNumber(d wall) int { return int(d.t.Unix() / 86400) }

// food adds the day's food prompts. The nutrient rotates through magnesium,
// potassium and calcium, with each mineral a medication lowers taking an
// extra turn; the foods named rotate too, and avoided foods never appear.
func (b *builder) food(d wall) {
	p := b.p
	loweredBy := map[advice.Mineral][]string{}
	for _, m := range p.Medications {
		for _, l := range m.Lowers {
			loweredBy[l] = append(loweredBy[l], m.Name)
		}
	}
	var cycle []advice.Mineral
	for _, n := range advice.FoodNutrients() {
		if len(advice.FoodsFor(n, p.Diet.Avoid)) > 0 {
			cycle = append(cycle, n)
		}
	}
	for _, n := range advice.FoodNutrients() {
		if len(loweredBy[n]) > 0 && slices.Contains(cycle, n) {
			cycle = append(cycle, n)
		}
	}
	if len(cycle) == 0 {
		return
	}
	day := dayNumber(d)
	for slot, c := range p.Food.At {
		w := at(d, c)
		if b.quiet(w) {
			continue
		}
		n, offset := cycle[(day*len(p.Food.At)+slot)%len(cycle)], day+slot
		b.emit(p.Location, w, domain.KindFood, "food/"+c.String(), func() advice.Text {
			foods := advice.FoodTexts(advice.FoodsFor(n, p.Diet.Avoid))
			return advice.FoodPrompt(n, pick(foods, offset, 3), loweredBy[n])
		})
	}
}

// pick returns up to n items of list, starting at offset and wrapping.
func pick(list []string, offset, n int) []string {
	if len(list) <= n {
		return list
	}
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, list[(offset+i)%len(list)])
	}
	return out
}

// medicationReview adds the periodic review prompt when d is a review day
// and some medication lowers a mineral.
func (b *builder) medicationReview(d wall) {
	r := b.p.MedicationReview
	if !r.Enabled || d.t.Day() != r.Day || (int(d.t.Month())-1)%r.EveryMonths != 0 {
		return
	}
	var drugs []string
	var minerals []advice.Mineral
	for _, m := range b.p.Medications {
		if len(m.Lowers) == 0 {
			continue
		}
		drugs = append(drugs, m.Name)
		for _, l := range m.Lowers {
			if !slices.Contains(minerals, l) {
				minerals = append(minerals, l)
			}
		}
	}
	if len(drugs) == 0 {
		return
	}
	w := at(d, r.At)
	if !b.quiet(w) {
		b.emit(b.p.Location, w, domain.KindMedicationReview, "medication-review", func() advice.Text {
			return advice.MedicationReview(drugs, minerals)
		})
	}
}

// starBit marks a cron field written as "*" or "?"; robfig/cron sets it.
const starBit = 1 << 63

// custom adds the firings of a custom reminder on date d (in its own zone).
// The cron spec only decides which wall times match; Resolve decides the
// instants, so daylight saving follows the same rule as every other kind.
// CustomRule is the rule of a custom reminder's occurrences.
func CustomRule(c profile.Custom) string { return "custom/" + c.Name }

// CustomText words a custom reminder.
func CustomText(c profile.Custom) advice.Text {
	why := c.Why
	if why == "" {
		why = "A reminder you added to your profile."
	}
	return advice.Text{Title: c.Title, Body: c.Message, Why: why}
}

func (b *builder) custom(c profile.Custom, d wall, lo, hi wall) {
	s := c.Schedule
	if d.add(24*time.Hour).before(lo) || hi.before(d) {
		return
	}
	if s.Month&(1<<uint(d.t.Month())) == 0 || !dayMatches(s, d.t) {
		return
	}
	text := func() advice.Text { return CustomText(c) }
	rule := CustomRule(c)
	for h := 0; h < 24; h++ {
		hour := d.add(time.Duration(h) * time.Hour)
		if s.Hour&(1<<uint(h)) == 0 || hour.add(time.Hour).before(lo) || hi.before(hour) {
			continue
		}
		for m := 0; m < 60; m++ {
			minute := hour.add(time.Duration(m) * time.Minute)
			if s.Minute&(1<<uint(m)) == 0 || minute.add(time.Minute).before(lo) || hi.before(minute) {
				continue
			}
			for sec := 0; sec < 60; sec++ {
				if s.Second&(1<<uint(sec)) == 0 {
					continue
				}
				w := hour.add(time.Duration(m*60+sec) * time.Second)
				if w.before(lo) || hi.before(w) {
					continue
				}
				b.emit(s.Location, w, domain.KindCustom, rule, text)
			}
		}
	}
}

// dayMatches applies cron's day rule as robfig/cron does: when either the
// day-of-month or day-of-week field is a star, both must match; otherwise
// either may.
func dayMatches(s *cron.SpecSchedule, t time.Time) bool {
	dom := s.Dom&(1<<uint(t.Day())) > 0
	dow := s.Dow&(1<<uint(t.Weekday())) > 0
	if s.Dom&starBit > 0 || s.Dow&starBit > 0 {
		return dom && dow
	}
	return dom || dow
}
