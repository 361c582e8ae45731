package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// idleSettle is how long after READY (or after remind starts) the baseline
// is taken, so that start-up work is not counted as idling.
const idleSettle = time.Second

// idleUse is one idle figure set, extrapolated to an hour.
type idleUse struct {
	CPUMsPerHour      float64 // from the CPU-time clock (ns resolution)
	TickCPUMsPerHour  float64 // from /proc/PID/stat utime+stime (10 ms ticks)
	WakeupsPerHour    float64
	RSSMiB            float64
	DueInWindow       int // reminders the plan put inside the window
	WindowS           float64
	PerProcCPUMsPerHr []float64
}

type idleResult struct {
	Crampd, Remind idleUse
}

// demoBlock matches the example profile's "Quick-start demo" [[custom]]
// block with the comment lines before it, up to the next table.
var demoBlock = regexp.MustCompile(`(?s)(#[^\n]*\n)*\[\[custom\]\]\nname\s*=\s*"Quick-start demo".*?\n(\n|$)`)

// idleProfile returns config/example.toml without its Quick-start demo
// reminder, which fires every 10 seconds on purpose so that the README's
// quick start prints something.
func idleProfile(root string) (string, error) {
	b, err := os.ReadFile(filepath.Join(root, "config", "example.toml"))
	if err != nil {
		return "", err
	}
	out := demoBlock.ReplaceAllString(string(b), "")
	if out == string(b) || strings.Contains(out, "Quick-start demo") {
		return "", fmt.Errorf("config/example.toml: cannot find the Quick-start demo [[custom]] block to remove")
	}
	return out, nil
}

// planned is one occurrence from `crampd plan --json`.
type planned struct {
	ID    string    `json:"id"`
	Kind  string    `json:"kind"`
	At    time.Time `json:"at"`
	Title string    `json:"title"`
}

func (b *bench) plan(profile string, from time.Time, days int) ([]planned, error) {
	cmd := exec.Command(b.bin, "plan", "--json", "--profile", profile, "--from", from.Format(time.RFC3339), "--days", fmt.Sprint(days))
	cmd.Env = rig.Env(os.TempDir())
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("crampd plan: %w", err)
	}
	var ps []planned
	return ps, json.Unmarshal(out, &ps)
}

// idle starts idleProcs crampd daemons on the idle profile and as many
// remind -z daemons on the same reminders (the profile's plan for today and
// tomorrow as timed reminders in the profile's zone), lets them idle, and
// reads their CPU time, context switches and RSS from /proc.
func (b *bench) idle(ctx context.Context, root string, out *idleResult) error {
	text, err := idleProfile(root)
	if err != nil {
		return err
	}
	dir, err := b.runDir("idle")
	if err != nil {
		return err
	}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, text); err != nil {
		return err
	}
	now := time.Now()
	occs, err := b.plan(profile, now.Add(-24*time.Hour), 3)
	if err != nil {
		return err
	}
	var script strings.Builder
	due := 0
	for _, o := range occs {
		script.WriteString(remLine(o.At, strings.ReplaceAll(o.Kind, "-", "_")))
		if o.At.After(now) && o.At.Before(now.Add(b.cfg.idleWindow+idleSettle+5*time.Second)) {
			due++
		}
	}
	zone, err := profileZone(text)
	if err != nil {
		return err
	}

	type sample struct {
		pid    int
		before rig.Usage
		at     time.Time
	}
	var (
		cSamples, rSamples []sample
		stops              []func()
	)
	defer func() {
		for _, s := range stops {
			s()
		}
	}()
	var crampds []*rig.Crampd
	var reminds []*remindProc
	for i := 0; i < b.cfg.idleProcs; i++ {
		d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, fmt.Sprint("state", i)), Dir: dir, Tag: fmt.Sprint("idle", i)})
		if err != nil {
			return err
		}
		stops = append(stops, func() { d.Stop(10 * time.Second) })
		if _, err := d.WaitReady(ctx); err != nil {
			return err
		}
		if i == 0 {
			stops = append(stops, b.attach(d, "idle"))
		}
		rp, err := b.peer.start(script.String(), zone, filepath.Join(dir, "remind.stamps"))
		if err != nil {
			return err
		}
		stops = append(stops, rp.stop)
		crampds, reminds = append(crampds, d), append(reminds, rp)
	}
	time.Sleep(idleSettle)
	for i := range crampds {
		cu, err := rig.ReadUsage(crampds[i].PID())
		if err != nil {
			return err
		}
		ru, err := rig.ReadUsage(reminds[i].pid())
		if err != nil {
			return err
		}
		at := time.Now()
		cSamples = append(cSamples, sample{crampds[i].PID(), cu, at})
		rSamples = append(rSamples, sample{reminds[i].pid(), ru, at})
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
	}
	// Read each crampd and its remind at the end of their own window.
	var c, r idleSeries
	for i := range cSamples {
		select {
		case <-time.After(time.Until(cSamples[i].at.Add(b.cfg.idleWindow))):
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, x := range []struct {
			s   sample
			dst *idleSeries
		}{{cSamples[i], &c}, {rSamples[i], &r}} {
			u, err := rig.ReadUsage(x.s.pid)
			if err != nil {
				return err
			}
			x.dst.add(u.Sub(x.s.before), time.Since(x.s.at), u.RSS)
		}
	}
	out.Crampd, out.Remind = c.summary(due, b.cfg.idleWindow), r.summary(due, b.cfg.idleWindow)
	b.logf("idle: crampd %.1f ms CPU/h (per daemon %v), %.0f wakeups/h, %.1f MiB; remind %.1f ms CPU/h, %.0f wakeups/h, %.1f MiB; %d reminders due in the window",
		out.Crampd.CPUMsPerHour, out.Crampd.PerProcCPUMsPerHr, out.Crampd.WakeupsPerHour, out.Crampd.RSSMiB,
		out.Remind.CPUMsPerHour, out.Remind.WakeupsPerHour, out.Remind.RSSMiB, due)
	return nil
}

// idleSeries collects one daemon kind's idle figures, per hour.
type idleSeries struct {
	cpu, ticks, wake, rss []float64
}

func (s *idleSeries) add(d rig.Usage, over time.Duration, rss int64) {
	per := float64(time.Hour) / float64(over)
	s.cpu = append(s.cpu, rig.Ms(d.CPU)*per)
	s.ticks = append(s.ticks, rig.Ms(d.CPUTicks)*per)
	s.wake = append(s.wake, float64(d.Switches)*per)
	s.rss = append(s.rss, rig.MiB(rss))
}

func (s *idleSeries) summary(due int, window time.Duration) idleUse {
	return idleUse{
		CPUMsPerHour: rig.Median(s.cpu), TickCPUMsPerHour: rig.Median(s.ticks),
		WakeupsPerHour: rig.Median(s.wake), RSSMiB: rig.Median(s.rss),
		DueInWindow: due, WindowS: window.Seconds(), PerProcCPUMsPerHr: round1(s.cpu),
	}
}

var zoneRE = regexp.MustCompile(`(?m)^timezone\s*=\s*"([^"]+)"`)

// profileZone returns the profile's timezone, for remind's TZ.
func profileZone(text string) (string, error) {
	m := zoneRE.FindStringSubmatch(text)
	if m == nil {
		return "", fmt.Errorf("the idle profile names no timezone")
	}
	if _, err := os.Stat(filepath.Join("/usr/share/zoneinfo", m[1])); err != nil {
		return "", fmt.Errorf("remind needs the system's zone %s: %w", m[1], err)
	}
	return m[1], nil
}
