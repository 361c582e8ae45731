package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// burstSize is how many reminders come due in the same second.
const burstSize = 1000

type burstResult struct {
	// AllMs is the median over runs of the time from the instant until the
	// last of the burst was received; FirstMs the same for the first.
	AllMs, FirstMs             float64
	RemindAllMs, RemindFirstMs float64
	// RecordedMs is when crampd logged the last "reminder due" line, which
	// it writes once the occurrence is committed, after the instant (1 ms
	// resolution): the part of AllMs spent before delivering.
	RecordedMs float64
	// CPUMs is the CPU time crampd used from READY until all arrived.
	CPUMs float64
}

// burst makes burstSize reminders come due at the same second. remind gets
// the same burst (one process, burstSize reminders at the same AT time) in
// its own time slot right after crampd's, so that the two do not compete
// for the machine's two cores.
func (b *bench) burst(ctx context.Context, out *burstResult) error {
	var all, first, rAll, rFirst, recorded, cpu []float64
	for r := 0; r < b.cfg.burstRuns; r++ {
		a, f, rec, c, err := b.burstCrampd(ctx, r)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		ra, rf, err := b.burstRemind(ctx, r)
		if err != nil {
			return fmt.Errorf("run %d, remind: %w", r+1, err)
		}
		b.logf("burst run %d: crampd first %.1f ms, all recorded %.0f ms, all %.1f ms (%.0f ms CPU); remind first %.0f ms, all %.0f ms", r+1, f, rec, a, c, rf, ra)
		all, first, rAll, rFirst = append(all, a), append(first, f), append(rAll, ra), append(rFirst, rf)
		recorded, cpu = append(recorded, rec), append(cpu, c)
	}
	out.RecordedMs, out.CPUMs = rig.Median(recorded), rig.Median(cpu)
	out.AllMs, out.FirstMs = rig.Median(all), rig.Median(first)
	out.RemindAllMs, out.RemindFirstMs = rig.Median(rAll), rig.Median(rFirst)
	return nil
}

func burstNames(r int) []string {
	names := make([]string, burstSize)
	for i := range names {
		names[i] = fmt.Sprintf("b%02d-%04d", r, i)
	}
	return names
}

func (b *bench) burstCrampd(ctx context.Context, r int) (all, first, recorded, cpu float64, err error) {
	dir, err := b.runDir("burst")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	rcv, err := rig.NewReceiver()
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer rcv.Close()
	at := rig.NextSecond(time.Now(), time.Second)
	var customs []rig.Custom
	for _, name := range burstNames(r) {
		customs = append(customs, rig.At(name, at))
	}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, customs, rig.WebhookChannel(rcv.URL))); err != nil {
		return 0, 0, 0, 0, err
	}
	d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, "state"), Dir: dir, Secret: rcv.Secret, Tag: "burst"})
	if err != nil {
		return 0, 0, 0, 0, err
	}
	defer d.Stop(10 * time.Second)
	ready, err := d.WaitReady(ctx)
	if err != nil {
		return 0, 0, 0, 0, err
	}
	if !ready.Before(at) {
		return 0, 0, 0, 0, fmt.Errorf("READY came after the burst instant")
	}
	defer b.attach(d, "burst")()
	before, err := rig.ReadUsage(d.PID())
	if err != nil {
		return 0, 0, 0, 0, err
	}
	wctx, cancel := context.WithDeadline(ctx, at.Add(60*time.Second))
	defer cancel()
	rcv.Wait(wctx, d.Done(), func(distinct, _ int) bool { return distinct >= burstSize })
	acc := rcv.Accepted()
	seen := map[string]bool{}
	var lastAt, firstAt time.Time
	for _, rc := range acc {
		if !rc.Scheduled.Equal(at) || !rc.SigOK {
			return 0, 0, 0, 0, fmt.Errorf("unexpected delivery %+v", rc)
		}
		seen[rc.WebhookID] = true
		if rc.At.After(lastAt) {
			lastAt = rc.At
		}
		if firstAt.IsZero() || rc.At.Before(firstAt) {
			firstAt = rc.At
		}
	}
	if len(seen) != burstSize {
		return 0, 0, 0, 0, fmt.Errorf("crampd delivered %d of %d (log: %s)", len(seen), burstSize, d.Tail())
	}
	after, err := rig.ReadUsage(d.PID())
	if err != nil {
		return 0, 0, 0, 0, err
	}
	rec, err := lastLogged(d.LogPath, "reminder due")
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return rig.Ms(lastAt.Sub(at)), rig.Ms(firstAt.Sub(at)), rig.Ms(rec.Sub(at)), rig.Ms(after.Sub(before).CPU), nil
}

func (b *bench) burstRemind(ctx context.Context, r int) (all, first float64, err error) {
	dir, err := b.runDir("burst-remind")
	if err != nil {
		return 0, 0, err
	}
	// Start at a random phase of the second, as a user would.
	at := rig.NextSecond(time.Now(), 500*time.Millisecond)
	stamps := filepath.Join(dir, "remind.stamps")
	rp, err := b.peer.startAt(at, burstNames(r), stamps)
	if err != nil {
		return 0, 0, err
	}
	defer rp.stop()
	st, err := waitStamps(stamps, burstSize, at.Add(120*time.Second))
	if err != nil {
		return 0, 0, err
	}
	var lastAt, firstAt time.Time
	n := 0
	for _, ts := range st {
		for _, t := range ts {
			n++
			if t.After(lastAt) {
				lastAt = t
			}
			if firstAt.IsZero() || t.Before(firstAt) {
				firstAt = t
			}
		}
	}
	if n != burstSize {
		return 0, 0, fmt.Errorf("remind fired %d of %d", n, burstSize)
	}
	return rig.Ms(lastAt.Sub(at)), rig.Ms(firstAt.Sub(at)), ctx.Err()
}

// lastLogged returns the time of the last line of crampd's log that
// contains msg, from its time= field.
func lastLogged(path, msg string) (time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return time.Time{}, err
	}
	var last time.Time
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, msg) || !strings.HasPrefix(line, "time=") {
			continue
		}
		field, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		if t, err := time.Parse(time.RFC3339Nano, field); err == nil && t.After(last) {
			last = t
		}
	}
	if last.IsZero() {
		return last, fmt.Errorf("%s: no %q line", path, msg)
	}
	return last, nil
}
