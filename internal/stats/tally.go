package stats

import (
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// Tally is what the stats count of the reminder log over a window: a year
// of it is a few thousand reminders, which a database can count for
// itself rather than hand over one by one.
type Tally struct {
	// Sent counts, per kind, the reminders that were sent (acknowledged
	// or not), and Acked those of them that were acknowledged.
	Sent, Acked map[domain.Kind]int
	// StretchAcked lists when the acknowledged stretch reminders were
	// due.
	StretchAcked []time.Time
}

// TallyOf counts the records due in [from, now].
func TallyOf(recs []domain.Record, from, now time.Time) Tally {
	t := Tally{Sent: map[domain.Kind]int{}, Acked: map[domain.Kind]int{}}
	for _, r := range recs {
		if r.At.Before(from) || r.At.After(now) {
			continue
		}
		if !r.Sent() {
			continue
		}
		t.Sent[r.Kind]++
		if r.Status == domain.StatusAcked {
			t.Acked[r.Kind]++
			if r.Kind == domain.KindStretch {
				t.StretchAcked = append(t.StretchAcked, r.At)
			}
		}
	}
	return t
}
