package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// brokenProfiles each break a valid profile in a different way that only
// loading it can tell: the TOML, a key, a cron spec, a secret.
var brokenProfiles = []struct {
	name  string
	apply func(valid string) string
}{
	{"bad TOML", func(v string) string { return v + "\n[[custom]\nname = \"x\n" }},
	{"unknown key", func(v string) string { return strings.Replace(v, "[stretch]\n", "[stretch]\nbefor_bed = \"30m\"\n", 1) }},
	{"bad cron", func(v string) string {
		return v + "\n[[custom]]\nname = \"broken\"\ncron = \"61 * * * *\"\ntitle = \"broken\"\n"
	}},
	{"missing secret", func(v string) string {
		return strings.Replace(v, "secret_env = \""+rig.SecretEnv+"\"", "secret_env = \"CRAMPD_BENCH_UNSET\"", 1)
	}},
}

// reloadStorm sends reloads SIGHUPs, one every stream-length/reloads,
// alternating a valid profile (which changes each time) and a broken one,
// while a stream of reminders comes due. It passes when no reminder is lost
// or doubled, every RELOADING=1 is followed by READY=1, the valid reloads
// are applied, the broken ones refused, and crampd stops cleanly at the end.
func (c *chaos) reloadStorm(ctx context.Context) result {
	r := result{name: "reload-storm"}
	sz := c.size
	dir, rcv, err := c.setup("reload")
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.Close()
	s := rig.NewStream("reload", sz.reloadReminders, sz.reloadPerSecond, rig.NextSecond(time.Now(), 2*time.Second))
	// valid(k) differs from valid(k-1): an extra reminder far in the future
	// comes and goes, and the stretch lead time changes, so every valid
	// reload re-arms the schedule.
	valid := func(k int) string {
		base := strings.Replace(rig.QuietBase, "[stretch]\nenabled = false\n", fmt.Sprintf("[stretch]\nenabled = false\nbefore_bed = \"%dm\"\n", 20+k%30), 1)
		customs := s.Customs
		if k%2 == 1 {
			customs = append(customs[:len(customs):len(customs)], rig.Custom{Name: "far-future", Cron: "CRON_TZ=UTC 0 0 3 1 1 *"})
		}
		return rig.Profile(base, customs, rig.WebhookChannel(rcv.URL))
	}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, valid(0)); err != nil {
		r.err = err
		return r
	}
	d, err := c.daemon(dir, profile, rcv.Secret, "reload")
	if err != nil {
		r.err = err
		return r
	}
	defer d.Kill()
	if _, err := d.WaitReady(ctx); err != nil {
		r.err = err
		return r
	}
	every := s.Last.Sub(s.First) / time.Duration(sz.reloads)
	next := s.First
	from := len(d.Notify.Messages())
	var slow time.Duration
	for i := 0; i < sz.reloads; i++ {
		text := valid(i/2 + 1)
		if i%2 == 1 {
			text = brokenProfiles[(i/2)%len(brokenProfiles)].apply(text)
		}
		if err := rig.WriteFile(profile, text); err != nil {
			r.err = err
			return r
		}
		time.Sleep(time.Until(next))
		next = next.Add(every)
		sent := time.Now()
		if err := d.Signal(syscall.SIGHUP); err != nil {
			r.err = fmt.Errorf("SIGHUP %d: %w", i+1, err)
			return r
		}
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, at, err := d.Notify.Await(wctx, d.Done(), from, "RELOADING=1")
		if err == nil {
			var m rig.NotifyMsg
			m, at, err = d.Notify.Await(wctx, d.Done(), at+1, "READY=1")
			slow = max(slow, m.At.Sub(sent))
		}
		cancel()
		if err != nil {
			r.err = fmt.Errorf("reload %d: no RELOADING=1 then READY=1: %w (log: %s)", i+1, err, d.Tail())
			return r
		}
		from = at + 1
	}
	waitAll(ctx, rcv, s, d.Done(), s.Last.Add(30*time.Second))
	time.Sleep(500 * time.Millisecond)
	if err := d.Stop(10 * time.Second); err != nil {
		r.err = err
		return r
	}
	msgs := d.Notify.Messages()
	reloading, ready := 0, 0
	for _, m := range msgs {
		if m.Has("RELOADING=1") {
			reloading++
		}
		if m.Has("READY=1") {
			ready++
		}
	}
	applied := countLines(d.LogPath, `msg="profile reloaded"`)
	refused := countLines(d.LogPath, `msg="reload failed`)
	t := s.Tally(rcv.Requests())
	r.detail = fmt.Sprintf("%d SIGHUPs: %d applied, %d refused, READY after each (slowest %s); %s",
		sz.reloads, applied, refused, slow.Round(time.Millisecond), t)
	r.pass = len(t.Lost) == 0 && t.Duplicates == 0 && t.Unexpected == 0 && t.BadSig == 0 && t.Early == 0 &&
		reloading == sz.reloads && ready == sz.reloads+1 && applied == sz.reloads/2 && refused == sz.reloads-sz.reloads/2
	if reloading != sz.reloads || ready != sz.reloads+1 {
		r.detail += fmt.Sprintf("; notify: %d RELOADING=1, %d READY=1", reloading, ready)
	}
	if len(t.Lost) > 0 {
		r.detail += fmt.Sprintf("; lost: %v", first(t.Lost, 10))
	}
	return r
}
