package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

type readyResult struct {
	// FirstMs is exec until READY=1 with an empty state directory (the
	// database is created); RestartMs with the state the first start left.
	FirstMs, RestartMs float64
}

// ready times exec until READY=1 on the harness's NOTIFY_SOCKET, with the
// idle profile (the example profile without its demo reminder).
func (b *bench) ready(ctx context.Context, root string, out *readyResult) error {
	profileText, err := idleProfile(root)
	if err != nil {
		return err
	}
	var first, restart []float64
	for r := 0; r < b.cfg.readyRuns; r++ {
		dir, err := b.runDir("ready")
		if err != nil {
			return err
		}
		profile := filepath.Join(dir, "profile.toml")
		if err := rig.WriteFile(profile, profileText); err != nil {
			return err
		}
		spec := rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, "state"), Dir: dir, Tag: "first"}
		f, err := startToReady(ctx, spec)
		if err != nil {
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		spec.Tag = "restart"
		s, err := startToReady(ctx, spec)
		if err != nil {
			return fmt.Errorf("run %d, restart: %w", r+1, err)
		}
		first, restart = append(first, f), append(restart, s)
	}
	out.FirstMs, out.RestartMs = rig.Median(first), rig.Median(restart)
	b.logf("ready: first start %v ms, restart %v ms", round1(first), round1(restart))
	return nil
}

// startToReady starts crampd, returns exec-to-READY in milliseconds, and
// stops it again.
func startToReady(ctx context.Context, spec rig.Spec) (float64, error) {
	d, err := rig.Start(spec)
	if err != nil {
		return 0, err
	}
	ready, err := d.WaitReady(ctx)
	if err != nil {
		d.Kill()
		return 0, err
	}
	if err := d.Stop(10 * time.Second); err != nil {
		return 0, err
	}
	return rig.Ms(ready.Sub(d.Started)), nil
}

func round1(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(int(x*10+0.5)) / 10
	}
	return out
}
