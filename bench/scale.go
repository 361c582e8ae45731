package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// scaleSize is the number of custom reminders in the large profile.
const scaleSize = 10_000

type scaleResult struct {
	CheckMs, PlanMs, ReadyMs, RSSMiB float64
	ProfileKiB                       float64
	// HeldS is how long each daemon ran after READY; RSSMiB is its peak
	// (VmHWM) over that time.
	HeldS float64
	// IdleCPUMsPerHour is CPU use while held, extrapolated: whatever
	// each wakeup costs with ten thousand reminders to plan.
	IdleCPUMsPerHour float64
}

// scaleProfile spreads scaleSize daily reminders evenly over the day, one
// every 8.64 s.
func scaleProfile(channel string) string {
	customs := make([]rig.Custom, scaleSize)
	for i := range customs {
		s := i * 86400 / scaleSize
		customs[i] = rig.Custom{Name: fmt.Sprintf("s%05d", i), Cron: fmt.Sprintf("CRON_TZ=UTC %d %d %d * * *", s%60, s/60%60, s/3600)}
	}
	return rig.Profile(rig.QuietBase, customs, channel)
}

// scale times `crampd check` and `crampd plan` (one day) on a profile of
// ten thousand custom reminders, then exec-to-READY and the peak RSS of a
// daemon running it.
func (b *bench) scale(ctx context.Context, out *scaleResult) error {
	var check, plan, ready, rss, cpu []float64
	text := scaleProfile(rig.StdoutChannel)
	out.ProfileKiB = float64(len(text)) / 1024
	for r := 0; r < b.cfg.scaleRuns; r++ {
		dir, err := b.runDir("scale")
		if err != nil {
			return err
		}
		profile := filepath.Join(dir, "profile.toml")
		if err := rig.WriteFile(profile, text); err != nil {
			return err
		}
		c, err := timeCmd(ctx, b.bin, "check", "--profile", profile)
		if err != nil {
			return err
		}
		p, err := timeCmd(ctx, b.bin, "plan", "--profile", profile, "--days", "1")
		if err != nil {
			return err
		}
		d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, "state"), Dir: dir, Tag: "scale"})
		if err != nil {
			return err
		}
		readyAt, err := d.WaitReady(ctx)
		if err != nil {
			d.Kill()
			return err
		}
		detach := b.attach(d, "scale")
		base, err := rig.ReadUsage(d.PID())
		if err != nil {
			d.Kill()
			return err
		}
		time.Sleep(b.cfg.scaleHold)
		detach()
		u, err := rig.ReadUsage(d.PID())
		if err != nil {
			d.Kill()
			return err
		}
		if err := d.Stop(10 * time.Second); err != nil {
			return err
		}
		check, plan = append(check, c), append(plan, p)
		ready = append(ready, rig.Ms(readyAt.Sub(d.Started)))
		rss = append(rss, rig.MiB(u.HWM))
		held := u.Sub(base)
		cpu = append(cpu, rig.Ms(held.CPU)*float64(time.Hour)/float64(b.cfg.scaleHold))
		b.logf("scale run %d: check %.0f ms, plan %.0f ms, READY %.0f ms, peak RSS %.1f MiB", r+1, c, p, ready[r], rss[r])
	}
	out.CheckMs, out.PlanMs, out.ReadyMs, out.RSSMiB = rig.Median(check), rig.Median(plan), rig.Median(ready), rig.Median(rss)
	out.HeldS, out.IdleCPUMsPerHour = b.cfg.scaleHold.Seconds(), rig.Median(cpu)
	return nil
}

// timeCmd runs crampd with args, output discarded, and returns its wall
// time from exec to exit in milliseconds.
func timeCmd(ctx context.Context, bin string, args ...string) (float64, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = rig.Env(os.TempDir())
	var stderr limitedBuffer
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		return 0, fmt.Errorf("crampd %s: %w: %s", args[0], err, stderr.String())
	}
	return rig.Ms(took), nil
}

// limitedBuffer keeps the first 4 KiB written to it.
type limitedBuffer struct{ b []byte }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := 4096 - len(l.b); room > 0 {
		l.b = append(l.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (l *limitedBuffer) String() string { return string(l.b) }
