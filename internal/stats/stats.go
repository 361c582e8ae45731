// Package stats summarises the cramp journal and reminder adherence. The
// figures are plain counts set side by side; they make no causal claims.
package stats

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
)

// Stats summarises a window of days ending now.
type Stats struct {
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	Days   int       `json:"days"`
	Cramps int       `json:"cramps"`
	// Weeks counts cramps per week, newest first; each week ends where the
	// next newer one starts, the first at To.
	Weeks []Week `json:"weeks"`
	// CrampNights counts nights with at least one cramp. A night runs from
	// 18:00 to 12:00 the next day and is named by its evening.
	CrampNights int          `json:"cramp_nights"`
	Nights      int          `json:"nights"`
	Adherence   []Adherence  `json:"adherence"`
	Stretch     StretchNight `json:"stretch"`
}

// Week counts the cramps logged in one week.
type Week struct {
	Start  time.Time `json:"start"`
	Cramps int       `json:"cramps"`
}

// Adherence counts a kind's reminders that were sent and those acknowledged.
type Adherence struct {
	Kind  domain.Kind `json:"kind"`
	Fired int         `json:"fired"`
	Acked int         `json:"acked"`
}

// StretchNight sets nights whose evening stretch was acknowledged beside
// nights whose stretch was not (or not sent), with cramp nights in each.
type StretchNight struct {
	AckedNights      int `json:"acked_nights"`
	AckedCrampNights int `json:"acked_cramp_nights"`
	OtherNights      int `json:"other_nights"`
	OtherCrampNights int `json:"other_cramp_nights"`
}

// Load reads the window from the store and computes its stats.
func Load(ctx context.Context, st *store.Store, p *profile.Profile, now time.Time, days int) (Stats, error) {
	from := now.AddDate(0, 0, -days)
	// Nights that started before the window can hold reminders and cramps
	// inside it; read half a day more on each side.
	recs, err := st.History(ctx, from.Add(-12*time.Hour), now.Add(12*time.Hour))
	if err != nil {
		return Stats{}, err
	}
	cramps, err := st.Cramps(ctx, from.Add(-12*time.Hour), now.Add(time.Nanosecond))
	if err != nil {
		return Stats{}, err
	}
	return Compute(recs, cramps, p.Location, now, days), nil
}

// nightOf names the night t belongs to by its evening's date, or returns
// false when t falls in the day (12:00 to 18:00).
func nightOf(t time.Time, loc *time.Location) (string, bool) {
	l := t.In(loc)
	switch {
	case l.Hour() >= 18:
		return l.Format("2006-01-02"), true
	case l.Hour() < 12:
		return l.AddDate(0, 0, -1).Format("2006-01-02"), true
	}
	return "", false
}

// Compute summarises records and cramps over the days before now.
func Compute(recs []store.Record, cramps []domain.Cramp, loc *time.Location, now time.Time, days int) Stats {
	from := now.AddDate(0, 0, -days)
	s := Stats{From: from, To: now, Days: days}
	for w := 0; w*7 < days; w++ {
		end := now.AddDate(0, 0, -7*w)
		start := end.AddDate(0, 0, -7)
		if start.Before(from) {
			start = from
		}
		week := Week{Start: start}
		for _, c := range cramps {
			if !c.At.Before(start) && c.At.Before(end) {
				week.Cramps++
			}
		}
		s.Weeks = append(s.Weeks, week)
	}

	// The nights whose evenings fall in the window.
	nights := map[string]bool{}
	for d := from; d.Before(now); d = d.AddDate(0, 0, 1) {
		nights[d.In(loc).Format("2006-01-02")] = true
	}
	s.Nights = len(nights)
	crampNights := map[string]bool{}
	for _, c := range cramps {
		if c.At.Before(from) || c.At.After(now) {
			continue
		}
		s.Cramps++
		if n, ok := nightOf(c.At, loc); ok && nights[n] {
			crampNights[n] = true
		}
	}
	s.CrampNights = len(crampNights)

	byKind := map[domain.Kind]*Adherence{}
	stretchAcked := map[string]bool{}
	for _, r := range recs {
		if r.At.Before(from) || r.At.After(now) {
			continue
		}
		if r.Status != domain.StatusFired && r.Status != domain.StatusAcked {
			continue
		}
		a := byKind[r.Kind]
		if a == nil {
			a = &Adherence{Kind: r.Kind}
			byKind[r.Kind] = a
		}
		a.Fired++
		if r.Status == domain.StatusAcked {
			a.Acked++
			if r.Kind == domain.KindStretch {
				if n, ok := nightOf(r.At, loc); ok {
					stretchAcked[n] = true
				}
			}
		}
	}
	for _, k := range domain.Kinds() {
		if a := byKind[k]; a != nil {
			s.Adherence = append(s.Adherence, *a)
		}
	}
	for n := range nights {
		if stretchAcked[n] {
			s.Stretch.AckedNights++
			if crampNights[n] {
				s.Stretch.AckedCrampNights++
			}
		} else {
			s.Stretch.OtherNights++
			if crampNights[n] {
				s.Stretch.OtherCrampNights++
			}
		}
	}
	return s
}

// DoctorReason returns why the cramps (those within the doctor window) call
// for a doctor, in the article's terms, or "" when they do not: a cramp at
// or above the severity threshold, one with swelling, numbness or weakness,
// or as many cramps as the count threshold.
func DoctorReason(cramps []domain.Cramp, cfg profile.Doctor) string {
	for i := len(cramps) - 1; i >= 0; i-- {
		if c := cramps[i]; c.Severity >= cfg.Severity {
			return fmt.Sprintf("You logged a severe cramp (severity %d).", c.Severity)
		}
	}
	for i := len(cramps) - 1; i >= 0; i-- {
		if c := cramps[i]; len(c.Symptoms) > 0 {
			syms := slices.Clone(c.Symptoms)
			return fmt.Sprintf("You logged a cramp with %s.", strings.Join(syms, " and "))
		}
	}
	if len(cramps) >= cfg.Count {
		return fmt.Sprintf("You logged %d cramps in the last %s.", len(cramps), days(cfg.Within))
	}
	return ""
}

func days(d time.Duration) string {
	if n := int(d / (24 * time.Hour)); n > 0 && d%(24*time.Hour) == 0 {
		if n == 1 {
			return "day"
		}
		return fmt.Sprintf("%d days", n)
	}
	return d.String()
}
