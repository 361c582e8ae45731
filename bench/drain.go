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
	// CPUUsPerDelivery is crampd's CPU time per delivery while draining,
	// and Cores that CPU time over the drain's wall time: well under the
	// machine's two cores means the drain waits rather than computes.
	CPUUsPerDelivery, Cores float64
	// Conns is how many TCP connections the drain opened to the receiver.
	Conns float64
}

// drain fills crampd's outbox with drainSize deliveries and times how fast
// a restarted crampd empties it into a loopback receiver. To fill it, a
// daemon fires drainSize reminders at one instant at a receiver that holds
// every request open, and is killed (-9) once it has recorded them all: no
// attempt has an outcome, so all of them are pending. The restarted daemon
// runs a profile with the channel alone, so that only the outbox works.
func (b *bench) drain(ctx context.Context, out *drainResult) error {
	var rates, readies, perDel, cores, conns []float64
	for r := 0; r < b.cfg.drainRuns; r++ {
		run, err := b.drainRun(ctx, r)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		b.logf("drain run %d: %.0f deliveries/s, %.0f µs CPU each, %.2f cores busy, %.0f connections (READY with a full outbox after %.0f ms)",
			r+1, run.PerS, run.CPUUsPerDelivery, run.Cores, run.Conns, run.ReadyMs)
		rates, readies = append(rates, run.PerS), append(readies, run.ReadyMs)
		perDel, cores = append(perDel, run.CPUUsPerDelivery), append(cores, run.Cores)
		conns = append(conns, run.Conns)
	}
	out.Conns = rig.Median(conns)
	out.PerS, out.ReadyMs = rig.Median(rates), rig.Median(readies)
	out.CPUUsPerDelivery, out.Cores = rig.Median(perDel), rig.Median(cores)
	return nil
}

func (b *bench) drainRun(ctx context.Context, r int) (drainResult, error) {
	dir, err := b.runDir("drain")
	if err != nil {
		return drainResult{}, err
	}
	rcv, err := rig.NewReceiver()
	if err != nil {
		return drainResult{}, err
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
		return drainResult{}, err
	}
	state := filepath.Join(dir, "state")
	spec := rig.Spec{Bin: b.bin, Profile: profile, State: state, Dir: dir, Secret: rcv.Secret, Tag: "fill"}
	d, err := rig.Start(spec)
	if err != nil {
		return drainResult{}, err
	}
	if _, err := d.WaitReady(ctx); err != nil {
		d.Kill()
		return drainResult{}, err
	}
	// crampd logs "reminder due" for each occurrence once its transaction
	// has committed.
	deadline := at.Add(60 * time.Second)
	for countLines(d.LogPath, "reminder due") < drainSize {
		if time.Now().After(deadline) {
			d.Kill()
			return drainResult{}, fmt.Errorf("crampd recorded only %d of %d (log: %s)", countLines(d.LogPath, "reminder due"), drainSize, d.Tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.Kill()
	rcv.SetDecider(nil)
	rcv.Release()
	_, reqsBefore := rcv.Counts()
	connsBefore := rcv.Conns()

	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, nil, rig.WebhookChannel(rcv.URL))); err != nil {
		return drainResult{}, err
	}
	spec.Tag = "drain"
	d, err = rig.Start(spec)
	if err != nil {
		return drainResult{}, err
	}
	defer d.Stop(10 * time.Second)
	// Attaching takes a moment, so the profile of a drain misses its start.
	defer b.attach(d, "drain")()
	ready, err := d.WaitReady(ctx)
	if err != nil {
		return drainResult{}, err
	}
	before, err := rig.ReadUsage(d.PID())
	if err != nil {
		return drainResult{}, err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	rcv.Wait(wctx, d.Done(), func(distinct, _ int) bool { return distinct >= drainSize })
	after, err := rig.ReadUsage(d.PID())
	if err != nil {
		return drainResult{}, err
	}
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
		return drainResult{}, fmt.Errorf("delivered %d of %d (log: %s)", len(ids), drainSize, d.Tail())
	}
	if _, total := rcv.Counts(); total-reqsBefore != len(acc) {
		return drainResult{}, fmt.Errorf("%d requests for %d deliveries after the restart", total-reqsBefore, len(acc))
	}
	start := ready
	if first.Before(start) {
		start = first
	}
	cpu := after.Sub(before).CPU
	return drainResult{
		PerS:             drainSize / last.Sub(start).Seconds(),
		ReadyMs:          rig.Ms(ready.Sub(d.Started)),
		CPUUsPerDelivery: float64(cpu.Microseconds()) / drainSize,
		Cores:            cpu.Seconds() / last.Sub(start).Seconds(),
		Conns:            float64(rcv.Conns() - connsBefore),
	}, nil
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
