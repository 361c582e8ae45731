// Package history fills a state directory with a long, plausible past:
// every reminder a profile planned over many days, sent and delivered,
// most of them marked done, a few missed, and cramps on some nights. The
// web page's benchmarks and the bench harness measure the pages against
// it. It writes through package store, as the daemon would, so the
// database is one crampd could have written.
package history

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/store"
)

// Summary says what Seed wrote.
type Summary struct {
	Reminders, Acked, Missed int
	Cramps, Nights           int
}

// Seed writes days days of p's reminders before now, and cramps on about
// two nights in five, into the state database in dir. The same seed gives
// the same past.
func Seed(ctx context.Context, dir string, p *profile.Profile, now time.Time, days int, seed uint64) (Summary, error) {
	var sum Summary
	st, err := store.Open(ctx, dir)
	if err != nil {
		return sum, err
	}
	defer st.Close()
	rnd := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	policy := rules.New(p)
	loc := p.Location
	var channels []string
	for _, c := range p.ChannelsInUse() {
		channels = append(channels, c.Name)
	}
	start := now.AddDate(0, 0, -days)
	for d := 0; d < days; d++ {
		from := start.AddDate(0, 0, d)
		occs := plan.Build(p, from, from.AddDate(0, 0, 1))
		var (
			delivered []domain.Delivery
			sent      []domain.Occurrence
		)
		err := st.Do(ctx, func(tx *store.Tx) error {
			for _, o := range occs {
				if rnd.IntN(20) == 0 {
					if _, err := tx.RecordUnfired(o.At, []domain.Occurrence{o}, domain.StatusMissed, "past its grace window"); err != nil {
						return err
					}
					sum.Missed++
					continue
				}
				ds, err := tx.RecordFired(o.At, []store.Due{{Occurrence: o, Channels: channels, Expires: policy.ExpiresAt(o, o.At)}})
				if err != nil {
					return err
				}
				delivered, sent = append(delivered, ds...), append(sent, o)
				sum.Reminders++
			}
			return nil
		})
		if err != nil {
			return sum, fmt.Errorf("seed day %d: %w", d+1, err)
		}
		// The outcomes, as the outbox writes them: delivered.
		for _, del := range delivered {
			del.Status, del.Attempts = domain.StatusDelivered, 1
			if _, err := st.UpdateDelivery(ctx, del.NextAttemptAt, del); err != nil {
				return sum, err
			}
		}
		err = st.Do(ctx, func(tx *store.Tx) error {
			// Most reminders marked done within half an hour.
			for _, o := range sent {
				if rnd.IntN(10) < 7 {
					if _, _, err := tx.Ack(o.ID, o.At.Add(time.Duration(1+rnd.IntN(30))*time.Minute)); err != nil {
						return err
					}
					sum.Acked++
				}
			}
			// A cramp on about two nights in five, in the small hours.
			if rnd.IntN(5) < 2 {
				night := from.In(loc)
				at := time.Date(night.Year(), night.Month(), night.Day()+1, 1+rnd.IntN(5), rnd.IntN(60), 0, 0, loc)
				c := domain.Cramp{At: at, Leg: domain.Legs[rnd.IntN(3)], Muscle: domain.Muscles[rnd.IntN(4)], Severity: 1 + rnd.IntN(9)}
				if rnd.IntN(8) == 0 {
					c.Symptoms = []string{domain.Symptoms[rnd.IntN(3)]}
				}
				if rnd.IntN(4) == 0 {
					c.Note = "woke me up"
				}
				if at.Before(now) {
					if _, err := tx.AddCramp(c, at); err != nil {
						return err
					}
					sum.Cramps++
				}
			}
			return nil
		})
		if err != nil {
			return sum, fmt.Errorf("seed day %d: %w", d+1, err)
		}
	}
	sum.Nights = days
	return sum, st.SetLastSeen(ctx, now)
}
