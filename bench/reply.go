package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/testutil/ntfyserver"
)

// replyResult is the phone figure: how long a button pressed on the phone
// takes to have its effect, and what a reply subscription costs an idle
// daemon.
type replyResult struct {
	// Effect is from the server accepting a button's POST to the ack
	// committed in crampd's store, in ms: the median over runs of each
	// run's p50, p99 and maximum.
	Effect  latency
	Presses int
	// WakesWith and WakesWithout are idle wakeups (context switches) per
	// hour of a daemon whose ntfy channel has a reply subscription and of
	// one whose channel has none, side by side on one server.
	WakesWith, WakesWithout float64
	// KeepaliveS is the server's keepalive interval in the idle window,
	// and ExtraPerKeepalive the wakeups the subscription adds per
	// keepalive.
	KeepaliveS        float64
	ExtraPerKeepalive float64
}

// reply measures the phone's way in against the real ntfy server beside the
// repository. Each run fires replyPresses reminders at one instant to an
// ntfy channel with buttons, then presses each one's Done exactly as the
// ntfy app does (one at a time) and polls crampd's state database until the
// acknowledgement is committed. Beside the runs, two daemons idle on a
// server of their own, with and without a reply subscription, for the idle
// window.
func (b *bench) reply(ctx context.Context, root string, out *replyResult) error {
	bin := ntfyserver.Path(root)
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("the ntfy server is not at %s (the shared tools beside the repository): %w", bin, err)
	}
	idleDone := make(chan error, 1)
	go func() { idleDone <- b.replyIdle(ctx, bin, out) }()
	var runs [][]float64
	for r := 0; r < b.cfg.replyRuns; r++ {
		xs, err := b.replyRun(ctx, bin, r)
		if err != nil {
			<-idleDone
			return fmt.Errorf("run %d: %w", r+1, err)
		}
		runs = append(runs, xs)
		b.logf("reply run %d: press to effect p50 %.2f ms, p99 %.2f ms, max %.2f ms", r+1,
			rig.Percentile(xs, 50), rig.Percentile(xs, 99), rig.Max(xs))
	}
	out.Effect, out.Presses = summarize(runs), b.cfg.replyRuns*b.cfg.replyPresses
	return <-idleDone
}

// replyChannel is an ntfy channel on base; with replies, its buttons answer
// through the topic "replies".
func replyChannel(base string, replies bool) string {
	s := fmt.Sprintf("\n[[channel]]\ntype = \"ntfy\"\nname = \"phone\"\nurl = %q\n", base+"/reminders")
	if replies {
		s += "[channel.replies]\ntopic = \"replies\"\n"
	}
	return s
}

func (b *bench) replyRun(ctx context.Context, bin string, r int) ([]float64, error) {
	dir, err := b.runDir("reply")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "ntfy"), 0o700); err != nil {
		return nil, err
	}
	srv, err := ntfyserver.Launch(bin, filepath.Join(dir, "ntfy"), ntfyserver.Options{Unlimited: true})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()
	n := b.cfg.replyPresses
	first := rig.NextSecond(time.Now(), 2*time.Second)
	stream := rig.NewStream(fmt.Sprintf("r%02d", r), n, n, first)
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, stream.Customs, replyChannel(srv.Base, true))); err != nil {
		return nil, err
	}
	state := filepath.Join(dir, "state")
	d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: state, Dir: dir, Tag: "reply"})
	if err != nil {
		return nil, err
	}
	defer d.Stop(10 * time.Second)
	if _, err := d.WaitReady(ctx); err != nil {
		return nil, err
	}
	defer b.attach(d, "reply")()
	if err := waitLogged(ctx, d, `msg="reply subscription open"`, 10*time.Second); err != nil {
		return nil, err
	}
	msgs, err := waitTopic(ctx, srv.Base+"/reminders", n, time.Until(first)+30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, d.Tail())
	}
	st, err := store.OpenReadOnly(ctx, state)
	if err != nil {
		return nil, err
	}
	defer st.Close()

	var xs []float64
	for _, m := range msgs {
		if len(m.Actions) == 0 || m.Actions[0].Label != "Done" {
			return nil, fmt.Errorf("reminder %q has no Done button: %+v", m.Title, m.Actions)
		}
		done := m.Actions[0]
		f := strings.Fields(done.Body)
		if len(f) != 5 {
			return nil, fmt.Errorf("the Done button's body %q is not a reply", done.Body)
		}
		code, err := ntfyserver.Press(ctx, done)
		accepted := time.Now()
		if err != nil || code != http.StatusOK {
			return nil, fmt.Errorf("press: %d, %v", code, err)
		}
		effect, err := waitAcked(ctx, st, f[1], 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%w (log: %s)", err, d.Tail())
		}
		xs = append(xs, rig.Ms(effect.Sub(accepted)))
	}
	return xs, nil
}

// waitLogged waits until crampd's log holds msg.
func waitLogged(ctx context.Context, d *rig.Crampd, msg string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if b, _ := os.ReadFile(d.LogPath); strings.Contains(string(b), msg) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("crampd never logged %s (log: %s)", msg, d.Tail())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitTopic polls a topic until it holds n messages, and returns them.
func waitTopic(ctx context.Context, url string, n int, timeout time.Duration) ([]ntfyserver.Message, error) {
	deadline := time.Now().Add(timeout)
	for {
		msgs, err := pollTopic(ctx, url)
		if err == nil && len(msgs) >= n {
			return msgs, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("the reminder topic holds %d of %d reminders (%v)", len(msgs), n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func pollTopic(ctx context.Context, url string) ([]ntfyserver.Message, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/json?poll=1", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, errors.New(resp.Status)
	}
	var out []ntfyserver.Message
	dec := json.NewDecoder(resp.Body)
	for dec.More() {
		var m ntfyserver.Message
		if err := dec.Decode(&m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// waitAcked polls the state database until occurrence id is acknowledged,
// and returns when it saw it. The poll is a read of one row every 100 µs or
// so, which costs crampd nothing: WAL readers never block its writer.
func waitAcked(ctx context.Context, st *store.Store, id string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		var status string
		err := st.DB().QueryRowContext(ctx, "SELECT status FROM occurrences WHERE id = ?", id).Scan(&status)
		now := time.Now()
		if err == nil && status == string(domain.StatusAcked) {
			return now, nil
		}
		if now.After(deadline) || ctx.Err() != nil {
			return time.Time{}, fmt.Errorf("%s was not acknowledged within %s (status %q, %v)", id, timeout, status, err)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// replyIdle runs two daemons on the same idle profile and ntfy server, one
// whose channel has a reply subscription and one whose has none, and
// counts their wakeups over the idle window.
func (b *bench) replyIdle(ctx context.Context, bin string, out *replyResult) error {
	dir, err := b.runDir("reply-idle")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(dir, "ntfy"), 0o700); err != nil {
		return err
	}
	keepalive := b.cfg.replyKeepalive
	srv, err := ntfyserver.Launch(bin, filepath.Join(dir, "ntfy"), ntfyserver.Options{Keepalive: keepalive})
	if err != nil {
		return err
	}
	defer srv.Stop()
	var (
		pids   [2]int
		before [2]rig.Usage
		at     time.Time
	)
	for i, withReplies := range []bool{true, false} {
		tag := map[bool]string{true: "with", false: "without"}[withReplies]
		profile := filepath.Join(dir, "profile-"+tag+".toml")
		if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, nil, replyChannel(srv.Base, withReplies))); err != nil {
			return err
		}
		d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: profile, State: filepath.Join(dir, "state-"+tag), Dir: dir, Tag: "reply-idle-" + tag})
		if err != nil {
			return err
		}
		defer d.Stop(10 * time.Second)
		if _, err := d.WaitReady(ctx); err != nil {
			return err
		}
		pids[i] = d.PID()
	}
	time.Sleep(idleSettle)
	at = time.Now()
	for i, pid := range pids {
		if before[i], err = rig.ReadUsage(pid); err != nil {
			return err
		}
	}
	select {
	case <-time.After(b.cfg.idleWindow):
	case <-ctx.Done():
		return ctx.Err()
	}
	over := time.Since(at)
	var wakes [2]float64
	for i, pid := range pids {
		u, err := rig.ReadUsage(pid)
		if err != nil {
			return err
		}
		wakes[i] = float64(u.Sub(before[i]).Switches) * float64(time.Hour) / float64(over)
	}
	out.WakesWith, out.WakesWithout = wakes[0], wakes[1]
	out.KeepaliveS = keepalive.Seconds()
	perHour := float64(time.Hour) / float64(keepalive)
	out.ExtraPerKeepalive = (wakes[0] - wakes[1]) / perHour
	b.logf("reply idle: %.0f wakeups/h with a reply subscription, %.0f without, over %.0f s with a keepalive every %s (%.1f more per keepalive)",
		wakes[0], wakes[1], over.Seconds(), keepalive, out.ExtraPerKeepalive)
	return nil
}
