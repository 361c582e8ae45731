// Command bench measures crampd from the outside: how late reminders
// arrive, how it copes with a burst, what it costs while idle, how fast it
// starts, how it scales to a large profile and how fast its outbox drains,
// each beside remind(1) in the same invocation where remind does the same
// job.
//
//	go run ./bench [--quick] [--json]
//
// Each figure is the median of several runs. --quick runs fewer and shorter
// runs and finishes in under a minute; `make bench` runs the full set.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// config sizes one invocation.
type config struct {
	quick bool
	// fireRuns daemons each fire fireCount reminders, one a second.
	fireRuns, fireCount int
	burstRuns           int
	readyRuns           int
	scaleRuns           int
	// scaleHold is how long a scale daemon runs after READY; in the full
	// run's 32 s the profile's reminders (one every 8.64 s) wake it a few
	// times, and so would a 30 s sentinel tick.
	scaleHold time.Duration
	drainRuns int
	// idleProcs daemons of each kind idle side by side for idleWindow.
	idleProcs  int
	idleWindow time.Duration
	// webRequests times each web page so many times; webIdle is how long
	// the daemon with the web page on idles before its RSS is read.
	webRequests int
	webIdle     time.Duration
	// replyRuns daemons each take replyPresses button presses; the idle
	// daemons with and without a reply subscription see a keepalive every
	// replyKeepalive.
	replyRuns, replyPresses int
	replyKeepalive          time.Duration
}

var (
	full = config{
		fireRuns: 5, fireCount: 40, burstRuns: 5, readyRuns: 11,
		scaleRuns: 3, scaleHold: 32 * time.Second, drainRuns: 3,
		idleProcs: 3, idleWindow: 10 * time.Minute,
		webRequests: 200, webIdle: time.Minute,
		replyRuns: 3, replyPresses: 100, replyKeepalive: 45 * time.Second,
	}
	// quick keeps every figure but fits the whole invocation under a
	// minute: the idle window is the longest part, and everything else runs
	// while it lasts. Burst, scale and drain get one run each.
	quick = config{
		quick:    true,
		fireRuns: 3, fireCount: 4, burstRuns: 1, readyRuns: 5,
		scaleRuns: 1, scaleHold: time.Second, drainRuns: 1,
		idleProcs: 3, idleWindow: 48 * time.Second,
		webRequests: 50, webIdle: 5 * time.Second,
		// A shorter keepalive than ntfy's 45 s, so that the quick window
		// holds several.
		replyRuns: 1, replyPresses: 100, replyKeepalive: 12 * time.Second,
	}
)

func main() {
	var (
		quickFlag = flag.Bool("quick", false, "fewer, shorter runs: finishes in under a minute")
		jsonFlag  = flag.Bool("json", false, "print one JSON object instead of a table")
		rev       = flag.String("rev", "", "build crampd from this commit (git archive) instead of the working tree")
		binFlag   = flag.String("crampd", "", "use this crampd binary instead of building one")
		keep      = flag.Bool("keep", false, "keep the temporary directory (logs, profiles, state)")
		only      = flag.String("only", "", "comma-separated figures to run (disk,fire,burst,idle,ready,scale,drain,web,reply); default all")
		attachCmd = flag.String("attach", "", "command to attach to each timed daemon, with {pid} and {out}, e.g. 'perf record -g -p {pid} -o {out}.data'")
		attachDir = flag.String("attach-dir", ".", "directory for the --attach command's {out} files")
		verbose   = flag.Bool("v", false, "log every run's individual samples")
	)
	flag.Parse()
	began := time.Now()
	cfg := full
	if *quickFlag {
		cfg = quick
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ad, err := filepath.Abs(*attachDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	res, err := run(ctx, cfg, opts{rev: *rev, bin: *binFlag, keep: *keep, only: *only, attachCmd: *attachCmd, attachDir: ad, verbose: *verbose}, began)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	res.Meta.ElapsedS = time.Since(began).Seconds()
	if *jsonFlag {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(res.flat())
		return
	}
	res.table(os.Stdout)
}

// opts are the command line's choices besides the size.
type opts struct {
	rev, bin, only       string
	keep, verbose        bool
	attachCmd, attachDir string
}

// bench is one invocation's shared state.
type bench struct {
	cfg  config
	bin  string
	tmp  string
	peer *peer
	log  io.Writer

	// mu guards n and attached: the idle figure runs beside the others.
	mu sync.Mutex
	n  int

	attachCmd, attachDir string
	attached             int
	verbose              bool
}

// runDir returns a fresh directory for one run.
func (b *bench) runDir(tag string) (string, error) {
	b.mu.Lock()
	b.n++
	dir := filepath.Join(b.tmp, fmt.Sprintf("%02d-%s", b.n, tag))
	b.mu.Unlock()
	return dir, os.MkdirAll(filepath.Join(dir, "home"), 0o700)
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "bench: "+format+"\n", args...)
}

func run(ctx context.Context, cfg config, o opts, began time.Time) (*results, error) {
	rev, bin, keep, only := o.rev, o.bin, o.keep, o.only
	root, err := rig.ModuleRoot(ctx)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "crampd-bench-")
	if err != nil {
		return nil, err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "bench: keeping", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	b := &bench{cfg: cfg, tmp: tmp, log: os.Stderr, attachCmd: o.attachCmd, attachDir: o.attachDir, verbose: o.verbose}
	res := newResults(meta{
		Date:     began.UTC().Format(time.RFC3339),
		Cores:    runtime.NumCPU(),
		CPU:      cpuModel(),
		Kernel:   kernel(),
		Go:       goVersion(ctx),
		Mode:     map[bool]string{true: "quick", false: "full"}[cfg.quick],
		Command:  "go run ./bench " + strings.Join(os.Args[1:], " "),
		Crampd:   rig.Describe(ctx, root, rev),
		IdleS:    cfg.idleWindow.Seconds(),
		FireRuns: cfg.fireRuns, FirePerRun: cfg.fireCount,
	})
	if bin == "" {
		built := time.Now()
		if bin, err = rig.Build(ctx, root, tmp, rev); err != nil {
			return nil, err
		}
		b.logf("built crampd in %s", time.Since(built).Round(time.Millisecond))
	} else {
		res.Meta.Crampd = bin
	}
	b.bin = bin
	if b.peer, err = newPeer(tmp); err != nil {
		return nil, err
	}
	res.Meta.Remind = remindVersion()

	want := func(name string) bool {
		return only == "" || strings.Contains(","+only+",", ","+name+",")
	}
	// The idle daemons run in the background for the whole invocation;
	// they sleep, so the other figures do not disturb what they measure
	// (their own CPU time) and they barely disturb the others.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idleDone := make(chan error, 1)
	if want("idle") {
		go func() { idleDone <- b.idle(ctx, root, &res.Idle) }()
	} else {
		idleDone <- nil
	}
	steps := []struct {
		name string
		fn   func(context.Context, *results) error
	}{
		{"disk", func(ctx context.Context, r *results) error { return b.disk(&r.Disk) }},
		{"ready", func(ctx context.Context, r *results) error { return b.ready(ctx, root, &r.Ready) }},
		{"fire", func(ctx context.Context, r *results) error { return b.fire(ctx, &r.Fire) }},
		{"burst", func(ctx context.Context, r *results) error { return b.burst(ctx, &r.Burst) }},
		{"scale", func(ctx context.Context, r *results) error { return b.scale(ctx, &r.Scale) }},
		{"drain", func(ctx context.Context, r *results) error { return b.drain(ctx, &r.Drain) }},
		{"web", func(ctx context.Context, r *results) error { return b.web(ctx, root, &r.Web) }},
		{"reply", func(ctx context.Context, r *results) error { return b.reply(ctx, root, &r.Reply) }},
	}
	for _, s := range steps {
		if !want(s.name) {
			continue
		}
		t := time.Now()
		if err := s.fn(ctx, res); err != nil {
			// Stop the idle daemons before the temporary directory goes.
			cancel()
			<-idleDone
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		b.logf("%s done in %s", s.name, time.Since(t).Round(time.Millisecond))
	}
	if err := <-idleDone; err != nil {
		return nil, fmt.Errorf("idle: %w", err)
	}
	return res, nil
}
