package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// restartStorm streams reminders to a receiver while crampd is killed with
// SIGKILL and restarted stormKills times. Half the kills land at uniformly
// random points of the stream; the other half land within 15 ms after a
// batch came due, when deliveries are most likely in flight, which is
// where a crash can cause a duplicate. Restarts follow after 0-300 ms and
// do not wait for READY, so some kills hit a daemon still starting up.
//
// It passes when no reminder is lost and every duplicate carries the
// webhook-id of the first delivery; a kill that caused more than one
// duplicate is reported as a warning, since the issue says there should
// (not must) be at most one per kill.
func (c *chaos) restartStorm(ctx context.Context) result {
	r := result{name: "restart-storm"}
	sz := c.size
	dir, rcv, err := c.setup("storm")
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.Close()
	rng := rand.New(rand.NewPCG(c.seed, 1))

	s := rig.NewStream("storm", sz.stormReminders, sz.stormPerSecond, rig.NextSecond(time.Now(), 2*time.Second))
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, s.Customs, rig.WebhookChannel(rcv.URL))); err != nil {
		r.err = err
		return r
	}

	span := s.Last.Sub(s.First)
	var kills []time.Time
	for i := 0; i < sz.stormKills; i++ {
		if i%2 == 0 {
			kills = append(kills, s.First.Add(time.Duration(rng.Int64N(int64(span)))))
		} else {
			sec := time.Duration(rng.Int64N(int64(span/time.Second))) * time.Second
			kills = append(kills, s.First.Add(sec+time.Duration(rng.Int64N(int64(15*time.Millisecond)))))
		}
	}
	slices.SortFunc(kills, func(a, b time.Time) int { return a.Compare(b) })

	d, err := c.daemon(dir, profile, rcv.Secret, "storm")
	if err != nil {
		r.err = err
		return r
	}
	if _, err := d.WaitReady(ctx); err != nil {
		d.Kill()
		r.err = err
		return r
	}
	var killedAt []time.Time
	for _, k := range kills {
		select {
		case <-time.After(time.Until(k)):
		case <-ctx.Done():
			d.Kill()
			r.err = ctx.Err()
			return r
		}
		select {
		case <-d.Done():
			// It exited on its own: that is a failure in itself.
			r.err = fmt.Errorf("crampd exited by itself: %v (log: %s)", d.Err(), d.Tail())
			return r
		default:
		}
		d.Kill()
		killedAt = append(killedAt, time.Now())
		time.Sleep(time.Duration(rng.Int64N(int64(300 * time.Millisecond))))
		if d, err = c.daemon(dir, profile, rcv.Secret, "storm"); err != nil {
			r.err = err
			return r
		}
	}
	// The last daemon runs undisturbed until everything has arrived.
	waitAll(ctx, rcv, s, d.Done(), s.Last.Add(60*time.Second))
	// Give a stray late duplicate a moment to show up.
	time.Sleep(500 * time.Millisecond)
	if err := d.Stop(10 * time.Second); err != nil {
		r.err = err
		return r
	}

	t := s.Tally(rcv.Requests())
	// A duplicate is caused by the last kill before it arrived.
	perKill := make([]int, len(killedAt))
	for _, at := range t.DupAt {
		i, _ := slices.BinarySearchFunc(killedAt, at, func(k, t time.Time) int { return k.Compare(t) })
		if i > 0 {
			perKill[i-1]++
		}
	}
	maxPerKill := 0
	if len(perKill) > 0 {
		maxPerKill = slices.Max(perKill)
	}
	r.detail = fmt.Sprintf("%d kills; %s, at most %d after one kill", len(killedAt), t, maxPerKill)
	// The musts: nothing lost, and a duplicate is the same message
	// (same webhook-id). Its should: at most one duplicate per kill.
	r.pass = len(t.Lost) == 0 && t.DupIDMismatch == 0 && t.Unexpected == 0 && t.BadSig == 0 && t.Early == 0 &&
		len(killedAt) >= sz.stormKills
	if maxPerKill > 1 {
		r.warn = fmt.Sprintf("one kill caused %d duplicates; there should be at most one per kill", maxPerKill)
	}
	if len(t.Lost) > 0 {
		r.detail += fmt.Sprintf("; lost: %v", first(t.Lost, 10))
	}
	return r
}

func first(xs []string, n int) []string { return xs[:min(n, len(xs))] }
