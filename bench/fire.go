package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// latency is a distribution summary in milliseconds: the median over runs
// of each run's p50, p99 and maximum.
type latency struct {
	P50, P99, Max float64
}

func summarize(runs [][]float64) latency {
	var p50, p99, mx []float64
	for _, xs := range runs {
		p50 = append(p50, rig.Percentile(xs, 50))
		p99 = append(p99, rig.Percentile(xs, 99))
		mx = append(mx, rig.Max(xs))
	}
	return latency{P50: rig.Median(p50), P99: rig.Median(p99), Max: rig.Median(mx)}
}

type fireResult struct {
	Crampd, Remind latency
	// Samples is the total number of reminders timed per daemon.
	Samples int
}

// fire times single reminders: each run starts a crampd whose profile holds
// fireCount custom reminders one second apart (6-field cron), and as many
// remind -z processes with a reminder each at the same instants. crampd
// posts to a loopback receiver, which stamps each request on arrival;
// remind's -k command stamps with date(1). Latency is the stamp minus the
// scheduled instant.
//
// remind sleeps in whole seconds from when it started, so its latency is the
// sub-second phase of its start; the runs start the remind processes spread
// evenly over a second, so that its figures are its typical lateness and not
// the luck of one start time. Its reminders fire that far after crampd's, so
// the two do not compete for the CPU at the same moment.
func (b *bench) fire(ctx context.Context, out *fireResult) error {
	var crampdRuns, remindRuns [][]float64
	for r := 0; r < b.cfg.fireRuns; r++ {
		c, p, err := b.fireRun(ctx, r)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		crampdRuns, remindRuns = append(crampdRuns, c), append(remindRuns, p)
		b.logf("fire run %d: crampd p50 %.2f ms max %.2f ms; remind p50 %.0f ms", r+1,
			rig.Percentile(c, 50), rig.Max(c), rig.Percentile(p, 50))
	}
	out.Crampd, out.Remind = summarize(crampdRuns), summarize(remindRuns)
	out.Samples = b.cfg.fireRuns * b.cfg.fireCount
	return nil
}

func (b *bench) fireRun(ctx context.Context, r int) (crampd, remind []float64, err error) {
	dir, err := b.runDir("fire")
	if err != nil {
		return nil, nil, err
	}
	rcv, err := rig.NewReceiver()
	if err != nil {
		return nil, nil, err
	}
	defer rcv.Close()

	n := b.cfg.fireCount
	// The remind processes start during the two seconds before the first
	// instant, and crampd is READY well before the first of them.
	first := rig.NextSecond(time.Now(), 2200*time.Millisecond)
	at := map[string]time.Time{}
	var customs []rig.Custom
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("f%02d-%03d", r, i)
		t := first.Add(time.Duration(i) * time.Second)
		at[name] = t
		customs = append(customs, rig.At(name, t))
	}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, customs, rig.WebhookChannel(rcv.URL))); err != nil {
		return nil, nil, err
	}
	d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, "state"), Dir: dir, Secret: rcv.Secret, Tag: "fire"})
	if err != nil {
		return nil, nil, err
	}
	defer d.Stop(10 * time.Second)
	if _, err := d.WaitReady(ctx); err != nil {
		return nil, nil, err
	}

	defer b.attach(d, "fire")()
	stamps := filepath.Join(dir, "remind.stamps")
	// Start remind i at phase i/n of a second, from two seconds before the
	// first instant on.
	base := first.Add(-2 * time.Second)
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("f%02d-%03d", r, i)
		time.Sleep(time.Until(base.Add(time.Duration(i) * time.Second / time.Duration(n))))
		rp, err := b.peer.startAt(at[name], []string{name}, stamps)
		if err != nil {
			return nil, nil, err
		}
		defer rp.stop()
	}
	if time.Now().After(first.Add(-200 * time.Millisecond)) {
		return nil, nil, fmt.Errorf("set-up took too long: the first reminder was due at %s", first.Format(time.RFC3339Nano))
	}

	last := first.Add(time.Duration(n-1) * time.Second)
	wctx, cancel := context.WithDeadline(ctx, last.Add(10*time.Second))
	defer cancel()
	rcv.Wait(wctx, d.Done(), func(distinct, _ int) bool { return distinct >= n })
	acc := rcv.Accepted()
	slices.SortFunc(acc, func(a, b rig.Receipt) int { return a.Scheduled.Compare(b.Scheduled) })
	for _, rc := range acc {
		t, ok := at[rc.Title]
		if !ok || !rc.Scheduled.Equal(t) || !rc.SigOK {
			return nil, nil, fmt.Errorf("unexpected delivery %+v", rc)
		}
		crampd = append(crampd, rig.Ms(rc.At.Sub(rc.Scheduled)))
	}
	if b.verbose {
		b.logf("fire run %d: crampd latencies in firing order (ms): %v", r+1, round1(crampd))
	}
	if len(crampd) != n {
		return nil, nil, fmt.Errorf("crampd delivered %d of %d reminders (log: %s)", len(crampd), n, d.Tail())
	}
	st, err := waitStamps(stamps, n, last.Add(3*time.Second))
	if err != nil {
		return nil, nil, err
	}
	for name, ts := range st {
		for _, t := range ts {
			remind = append(remind, rig.Ms(t.Sub(at[name])))
		}
	}
	if len(remind) != n {
		return nil, nil, fmt.Errorf("remind fired %d of %d reminders", len(remind), n)
	}
	return crampd, remind, nil
}
