package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// drainSize is how many deliveries wait in the outbox.
const drainSize = 10_000

type drainResult struct {
	// PerS is the median drain rate: drainSize over the time from the
	// restarted daemon's READY (or its first delivery, if earlier) to the
	// last delivery received.
	PerS float64
	// ReadyMs is the restarted daemon's exec-to-READY with the full outbox.
	ReadyMs float64
}

// drain fills crampd's outbox with drainSize deliveries and times how fast
// a restarted crampd empties it into a loopback receiver. To fill it, a
// daemon fires drainSize reminders at one instant at a receiver that holds
// every request open, and is killed (-9) once it has recorded them all: no
// attempt has an outcome, so all of them are pending. The restarted daemon
// runs a profile with the channel alone, so that only the outbox works.
func (b *bench) drain(ctx context.Context, out *drainResult) error {
	var rates, readies []float64
	for r := 0; r < b.cfg.drainRuns; r++ {
		rate, ready, err := b.drainRun(ctx, r)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		b.logf("drain run %d: %.0f deliveries/s (READY with a full outbox after %.0f ms)", r+1, rate, ready)
		rates, readies = append(rates, rate), append(readies, ready)
	}
	out.PerS, out.ReadyMs = rig.Median(rates), rig.Median(readies)
	return nil
}

func (b *bench) drainRun(ctx context.Context, r int) (rate, readyMs float64, err error) {
	dir, err := b.runDir("drain")
	if err != nil {
		return 0, 0, err
	}
	rcv, err := rig.NewReceiver()
	if err != nil {
		return 0, 0, err
	}
	defer rcv.Close()
	rcv.SetDecider(func(rig.Receipt, int) rig.Action { return rig.Action{Hang: true} })

	at := rig.NextSecond(time.Now(), 1500*time.Millisecond)
	customs := make([]rig.Custom, drainSize)
	for i := range customs {
		customs[i] = rig.At(fmt.Sprintf("d%02d-%05d", r, i), at)
	}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, customs, rig.WebhookChannel(rcv.URL))); err != nil {
		return 0, 0, err
	}
	state := filepath.Join(dir, "state")
	spec := rig.Spec{Bin: b.bin, Profile: profile, State: state, Dir: dir, Secret: rcv.Secret, Tag: "fill"}
	d, err := rig.Start(spec)
	if err != nil {
		return 0, 0, err
	}
	if _, err := d.WaitReady(ctx); err != nil {
		d.Kill()
		return 0, 0, err
	}
	// crampd logs "reminder due" for each occurrence once its transaction
	// has committed.
	deadline := at.Add(60 * time.Second)
	for countLines(d.LogPath, "reminder due") < drainSize {
		if time.Now().After(deadline) {
			d.Kill()
			return 0, 0, fmt.Errorf("crampd recorded only %d of %d (log: %s)", countLines(d.LogPath, "reminder due"), drainSize, d.Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.Kill()
	rcv.SetDecider(nil)
	rcv.Release()
	_, before := rcv.Counts()

	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, nil, rig.WebhookChannel(rcv.URL))); err != nil {
		return 0, 0, err
	}
	spec.Tag = "drain"
	d, err = rig.Start(spec)
	if err != nil {
		return 0, 0, err
	}
	defer d.Stop(10 * time.Second)
	ready, err := d.WaitReady(ctx)
	if err != nil {
		return 0, 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	rcv.Wait(wctx, d.Done(), func(distinct, _ int) bool { return distinct >= drainSize })
	acc := rcv.Accepted()
	ids := map[string]bool{}
	var first, last time.Time
	for _, rc := range acc {
		ids[rc.WebhookID] = true
		if first.IsZero() || rc.At.Before(first) {
			first = rc.At
		}
		if rc.At.After(last) {
			last = rc.At
		}
	}
	if len(ids) != drainSize {
		return 0, 0, fmt.Errorf("delivered %d of %d (log: %s)", len(ids), drainSize, d.Tail())
	}
	if _, total := rcv.Counts(); total-before != len(acc) {
		return 0, 0, fmt.Errorf("%d requests for %d deliveries after the restart", total-before, len(acc))
	}
	start := ready
	if first.Before(start) {
		start = first
	}
	return drainSize / last.Sub(start).Seconds(), rig.Ms(ready.Sub(d.Started)), nil
}

// countLines counts the lines of path that contain s.
func countLines(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n := 0
	for _, line := range bytes.Split(b, []byte("\n")) {
		if bytes.Contains(line, []byte(s)) {
			n++
		}
	}
	return n
}
