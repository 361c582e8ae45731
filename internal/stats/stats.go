// Package stats summarises the cramp journal and reminder adherence, and
// holds the doctor nudge's thresholds. The figures are plain counts set side
// by side; they make no causal claims. Everything here is a function of
// values: the callers read the store.
package stats

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
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
	// Heat sets nights after hot days beside the others, when a forecast
	// is stored for the window.
	Heat *HeatNights `json:"heat,omitempty"`
	// Answers counts the morning check-in's answers over the same nights.
	Answers Answers `json:"answers"`
}

// Answers counts the nights of a window by their answer to the morning
// check-in, so that "no cramp" is told from "no answer".
type Answers struct {
	// Answered counts the nights with an answer.
	Answered int `json:"answered"`
	// CrampNights counts answered nights with a cramp: answered so, or
	// with one in the journal.
	CrampNights int `json:"cramp_nights"`
	// CrampFree counts answered nights without a cramp.
	CrampFree int `json:"cramp_free"`
	// Unanswered counts the nights with no answer.
	Unanswered int `json:"unanswered"`
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

// CrampWindow returns the span of the journal that the stats of the days
// before now read: a night that started before the window can hold cramps
// inside it, so half a day more is read before it.
func CrampWindow(now time.Time, days int) (from, to time.Time) {
	return now.AddDate(0, 0, -days).Add(-12 * time.Hour), now.Add(time.Nanosecond)
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
func Compute(recs []domain.Record, cramps []domain.Cramp, loc *time.Location, now time.Time, days int) Stats {
	return FromTally(TallyOf(recs, now.AddDate(0, 0, -days), now), cramps, loc, now, days)
}

// FromTally summarises a tally of the reminder log and the cramps over the
// days before now; the tally must cover exactly those days (see TallyOf).
func FromTally(t Tally, cramps []domain.Cramp, loc *time.Location, now time.Time, days int) Stats {
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
	nights := windowNights(from, now, loc)
	s.Nights = len(nights)
	for _, c := range cramps {
		if !c.At.Before(from) && !c.At.After(now) {
			s.Cramps++
		}
	}
	crampNights := crampNights(cramps, nights, from, now, loc)
	s.CrampNights = len(crampNights)

	for _, k := range domain.Kinds() {
		if n := t.Sent[k]; n > 0 {
			s.Adherence = append(s.Adherence, Adherence{Kind: k, Fired: n, Acked: t.Acked[k]})
		}
	}
	stretchAcked := map[string]bool{}
	for _, at := range t.StretchAcked {
		if n, ok := nightOf(at, loc); ok {
			stretchAcked[n] = true
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

// CountAnswers counts the check-in's answers for the nights of the days
// before now (the nights Compute counts): a night answered "no cramps" in
// which the journal nonetheless holds a cramp counts as a cramp night.
func CountAnswers(answers []domain.Night, cramps []domain.Cramp, loc *time.Location, now time.Time, days int) Answers {
	from := now.AddDate(0, 0, -days)
	nights := windowNights(from, now, loc)
	crampNights := crampNights(cramps, nights, from, now, loc)
	var a Answers
	for _, n := range answers {
		if !nights[n.Date] {
			continue
		}
		a.Answered++
		if n.Answer.Cramped() || crampNights[n.Date] {
			a.CrampNights++
		} else {
			a.CrampFree++
		}
	}
	a.Unanswered = len(nights) - a.Answered
	return a
}

// NightRange returns the first and last evening dates CountAnswers may
// count, for reading the answers.
func NightRange(now time.Time, days int, loc *time.Location) (first, last string) {
	return now.AddDate(0, 0, -days).In(loc).Format("2006-01-02"), now.In(loc).Format("2006-01-02")
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

// Nudge is the doctor-nudge decision for the journal as it stands.
type Nudge struct {
	// Reason says why the journal calls for a doctor, in the article's
	// terms; empty when it does not (or the nudge is turned off).
	Reason string `json:"reason,omitempty"`
	// Send is set when a nudge should go out: there is a reason and the
	// last nudge is older than the cooldown.
	Send bool `json:"send"`
	// Last is when the previous nudge was sent, when it holds this one
	// back; NextAllowed is when the cooldown ends.
	Last        time.Time `json:"last,omitzero"`
	NextAllowed time.Time `json:"next_allowed,omitzero"`
}

// NudgeFor decides whether cramps call for the doctor nudge at now: those
// logged within cfg.Within before now (up to a minute ahead, for clocks
// that differ a little) are weighed by DoctorReason, and a nudge sent at
// last (zero for never) holds another back for cfg.Cooldown.
func NudgeFor(cramps []domain.Cramp, cfg profile.Doctor, last, now time.Time) Nudge {
	if !cfg.Enabled {
		return Nudge{}
	}
	from, to := now.Add(-cfg.Within), now.Add(time.Minute)
	var recent []domain.Cramp
	for _, c := range cramps {
		if !c.At.Before(from) && c.At.Before(to) {
			recent = append(recent, c)
		}
	}
	n := Nudge{Reason: DoctorReason(recent, cfg)}
	if n.Reason == "" {
		return n
	}
	if !last.IsZero() && now.Sub(last) < cfg.Cooldown {
		n.Last, n.NextAllowed = last, last.Add(cfg.Cooldown)
		return n
	}
	n.Send = true
	return n
}
