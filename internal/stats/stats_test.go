package stats_test

import (
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
)

var now = time.Date(2027, 6, 15, 9, 0, 0, 0, time.UTC)

var doctor = profile.Doctor{Enabled: true, Severity: 8, Count: 3, Within: 7 * 24 * time.Hour, Cooldown: 7 * 24 * time.Hour}

func cramp(ago time.Duration, severity int, symptoms ...string) domain.Cramp {
	return domain.Cramp{At: now.Add(-ago), Severity: severity, Symptoms: symptoms}
}

func TestNudgeThresholds(t *testing.T) {
	week := 7 * 24 * time.Hour
	tests := []struct {
		name   string
		cfg    profile.Doctor
		cramps []domain.Cramp
		last   time.Time
		send   bool
		reason string
	}{
		{name: "nothing logged", cfg: doctor},
		{name: "severity one below the threshold", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 7)}},
		{name: "severity at the threshold", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 8)}, send: true, reason: "severe cramp (severity 8)"},
		{name: "a symptom", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 2, "swelling")}, send: true, reason: "with swelling"},
		{name: "two symptoms", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 0, "numbness", "weakness")}, send: true, reason: "with numbness and weakness"},
		{name: "one short of the count", cfg: doctor, cramps: []domain.Cramp{cramp(2*time.Hour, 3), cramp(time.Hour, 3)}},
		{name: "the count within the window", cfg: doctor, cramps: []domain.Cramp{cramp(week, 3), cramp(2*time.Hour, 3), cramp(time.Hour, 3)}, send: true, reason: "3 cramps in the last 7 days"},
		{name: "one just outside the window", cfg: doctor, cramps: []domain.Cramp{cramp(week+time.Millisecond, 3), cramp(2*time.Hour, 3), cramp(time.Hour, 3)}},
		{name: "a severe cramp outside the window", cfg: doctor, cramps: []domain.Cramp{cramp(week+time.Hour, 10)}},
		{name: "severity wins over symptoms in the reason", cfg: doctor, cramps: []domain.Cramp{cramp(2*time.Hour, 9), cramp(time.Hour, 1, "numbness")}, send: true, reason: "severity 9"},
		{name: "within the cooldown", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 9)}, last: now.Add(-week + time.Millisecond), reason: "severity 9"},
		{name: "the cooldown just over", cfg: doctor, cramps: []domain.Cramp{cramp(time.Hour, 9)}, last: now.Add(-week), send: true, reason: "severity 9"},
		{name: "turned off", cfg: profile.Doctor{}, cramps: []domain.Cramp{cramp(time.Hour, 10)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := stats.NudgeFor(tt.cramps, tt.cfg, tt.last, now)
			if n.Send != tt.send || !strings.Contains(n.Reason, tt.reason) || (tt.reason == "") != (n.Reason == "") {
				t.Fatalf("nudge %+v, want send %v with a reason containing %q", n, tt.send, tt.reason)
			}
			if !tt.send && n.Reason != "" && (!n.Last.Equal(tt.last) || !n.NextAllowed.Equal(tt.last.Add(tt.cfg.Cooldown))) {
				t.Fatalf("held back without saying until when: %+v", n)
			}
		})
	}
}

func rec(kind domain.Kind, status domain.Status, at time.Time) domain.Record {
	return domain.Record{Occurrence: domain.Occurrence{Kind: kind, At: at}, Status: status}
}

func TestCompute(t *testing.T) {
	loc := time.UTC
	day := func(d, h int) time.Time { return time.Date(2027, 6, d, h, 0, 0, 0, loc) }
	recs := []domain.Record{
		rec(domain.KindStretch, domain.StatusAcked, day(13, 22)),   // the night of the 13th: stretched
		rec(domain.KindStretch, domain.StatusFired, day(14, 22)),   // the 14th: not acknowledged
		rec(domain.KindHydration, domain.StatusAcked, day(14, 10)), // counts for adherence
		rec(domain.KindHydration, domain.StatusMissed, day(14, 12)),
		rec(domain.KindHydration, domain.StatusFired, day(1, 12)), // before the window
	}
	cramps := []domain.Cramp{
		{At: day(14, 3)},  // the night of the 13th
		{At: day(15, 2)},  // the night of the 14th
		{At: day(15, 4)},  // the same night again
		{At: day(14, 15)}, // an afternoon: no night
		{At: day(2, 3)},   // before the window
	}
	s := stats.Compute(recs, cramps, loc, now, 7)
	if s.Cramps != 4 || s.Nights != 7 || s.CrampNights != 2 {
		t.Fatalf("cramps %d on %d of %d nights; want 4 on 2 of 7", s.Cramps, s.CrampNights, s.Nights)
	}
	if len(s.Weeks) != 1 || s.Weeks[0].Cramps != 4 {
		t.Fatalf("weeks %+v", s.Weeks)
	}
	want := map[domain.Kind][2]int{domain.KindHydration: {1, 1}, domain.KindStretch: {2, 1}}
	if len(s.Adherence) != 2 {
		t.Fatalf("adherence %+v", s.Adherence)
	}
	for _, a := range s.Adherence {
		if w := want[a.Kind]; a.Fired != w[0] || a.Acked != w[1] {
			t.Errorf("%s: %d of %d acknowledged, want %d of %d", a.Kind, a.Acked, a.Fired, w[1], w[0])
		}
	}
	st := s.Stretch
	if st.AckedNights != 1 || st.AckedCrampNights != 1 || st.OtherNights != 6 || st.OtherCrampNights != 1 {
		t.Fatalf("stretch nights %+v", st)
	}
	// Four weeks in 28 days, newest first.
	if s := stats.Compute(recs, cramps, loc, now, 28); len(s.Weeks) != 4 || s.Weeks[0].Cramps != 4 || s.Weeks[1].Cramps != 1 || s.Weeks[2].Cramps != 0 {
		t.Fatalf("28 days: weeks %+v", s.Weeks)
	}
}

// The check-in's answers tell "no cramp" from "no answer": over a week,
// nights answered with and without a cramp, a "no cramps" night that the
// journal contradicts, answers outside the window, and nights left
// unanswered.
func TestCountAnswers(t *testing.T) {
	// now is 09:00 on June 15: the week's nights are June 8 to 14.
	night := func(date string, a domain.Answer) domain.Night { return domain.Night{Date: date, Answer: a} }
	tests := []struct {
		name    string
		answers []domain.Night
		cramps  []domain.Cramp
		want    stats.Answers
	}{
		{name: "no answers", want: stats.Answers{Unanswered: 7}},
		{name: "each answer", answers: []domain.Night{
			night("2027-06-08", domain.AnswerNone), night("2027-06-09", domain.AnswerCramp),
			night("2027-06-10", domain.AnswerSevere), night("2027-06-14", domain.AnswerNone),
		}, want: stats.Answers{Answered: 4, CrampNights: 2, CrampFree: 2, Unanswered: 3}},
		{name: "no cramps, but one logged at 02:00", answers: []domain.Night{night("2027-06-13", domain.AnswerNone)},
			cramps: []domain.Cramp{cramp(31*time.Hour, 4)}, want: stats.Answers{Answered: 1, CrampNights: 1, Unanswered: 6}},
		{name: "outside the window", answers: []domain.Night{night("2027-06-07", domain.AnswerCramp), night("2027-06-15", domain.AnswerNone)},
			want: stats.Answers{Unanswered: 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stats.CountAnswers(tt.answers, tt.cramps, time.UTC, now, 7); got != tt.want {
				t.Errorf("answers %+v, want %+v", got, tt.want)
			}
		})
	}
	if first, last := stats.NightRange(now, 7, time.UTC); first != "2027-06-08" || last != "2027-06-15" {
		t.Errorf("night range %s to %s", first, last)
	}
}
