// Command chaos checks that crampd neither loses nor doubles reminders when
// things go wrong around it:
//
//   - restart storm: crampd is killed with SIGKILL and restarted at random
//     points while a stream of reminders comes due;
//
//   - endpoint flaps: the webhook receiver answers 200, 503 and 429 (with
//     Retry-After) and resets connections;
//
//   - reload storm: 100 SIGHUPs, alternating valid and broken profiles,
//     while reminders come due;
//
//   - attacks crampd withstood (attacks.go): 1,000 parallel clients on the
//     control socket, slowloris on it, a webhook that hangs, one that
//     answers 50 MB, and a full disk under the state directory (a small
//     tmpfs, when run as root).
//
//     go run ./bench/chaos [--quick]
//
// It prints one summary line with PASS or FAIL for each scenario and exits
// non-zero if any failed. --quick is the size .ci/run uses.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// size is one invocation's scale.
type size struct {
	stormReminders, stormPerSecond, stormKills int
	flapReminders, flapPerSecond               int
	flapTimeout                                time.Duration
	reloadReminders, reloadPerSecond, reloads  int
	// attackReminders is the stream under the flood and slowloris
	// attacks; the huge-answer and full-disk streams are a quarter and a
	// half of it.
	attackReminders, floodClients, slowConns, hangReminders int
}

var (
	full = size{
		stormReminders: 1500, stormPerSecond: 15, stormKills: 40,
		flapReminders: 400, flapPerSecond: 10, flapTimeout: 10 * time.Minute,
		reloadReminders: 400, reloadPerSecond: 10, reloads: 100,
		attackReminders: 400, floodClients: 1000, slowConns: 1000, hangReminders: 16,
	}
	// quick keeps the floors: 500 reminders and 20 kills for the
	// storm, 100 reloads.
	quick = size{
		stormReminders: 500, stormPerSecond: 10, stormKills: 20,
		flapReminders: 100, flapPerSecond: 10, flapTimeout: 2 * time.Minute,
		reloadReminders: 200, reloadPerSecond: 10, reloads: 100,
		attackReminders: 100, floodClients: 1000, slowConns: 300, hangReminders: 8,
	}
)

// result is one scenario's outcome.
type result struct {
	name   string
	pass   bool
	detail string
	// warn notes a should that was not met; it does not fail the run.
	warn string
	err  error
}

func (r result) String() string {
	switch {
	case r.err != nil:
		return fmt.Sprintf("%s FAIL (error: %v)", r.name, r.err)
	case r.pass && r.warn != "":
		return fmt.Sprintf("%s PASS with a warning (%s; warning: %s)", r.name, r.detail, r.warn)
	case r.pass:
		return fmt.Sprintf("%s PASS (%s)", r.name, r.detail)
	default:
		return fmt.Sprintf("%s FAIL (%s)", r.name, r.detail)
	}
}

type chaos struct {
	bin  string
	tmp  string
	size size
	seed uint64
	mu   sync.Mutex
	n    int
}

func (c *chaos) runDir(tag string) (string, error) {
	c.mu.Lock()
	c.n++
	dir := filepath.Join(c.tmp, fmt.Sprintf("%02d-%s", c.n, tag))
	c.mu.Unlock()
	return dir, os.MkdirAll(filepath.Join(dir, "home"), 0o700)
}

// setup makes a scenario's run directory and starts its webhook receiver.
func (c *chaos) setup(tag string) (string, *rig.Receiver, error) {
	dir, err := c.runDir(tag)
	if err != nil {
		return "", nil, err
	}
	rcv, err := rig.NewReceiver()
	return dir, rcv, err
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "chaos: "+format+"\n", args...)
}

func main() {
	var (
		quickFlag = flag.Bool("quick", false, "the CI size: 500 reminders and 20 kills, 100 reloads")
		rev       = flag.String("rev", "", "build crampd from this commit (git archive) instead of the working tree")
		binFlag   = flag.String("crampd", "", "use this crampd binary instead of building one")
		keep      = flag.Bool("keep", false, "keep the temporary directory (logs, profiles, state)")
		only      = flag.String("only", "", "comma-separated scenarios (storm,flaps,reload,flood,slowloris,hang,huge,disk); default all")
		seed      = flag.Uint64("seed", 0, "random seed for kill points (0: from the clock)")
	)
	flag.Parse()
	began := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	c := &chaos{size: full, seed: *seed}
	if *quickFlag {
		c.size = quick
	}
	if c.seed == 0 {
		c.seed = uint64(time.Now().UnixNano())
	}
	root, err := rig.ModuleRoot(ctx)
	if err != nil {
		fatal(err)
	}
	if c.tmp, err = os.MkdirTemp("", "crampd-chaos-"); err != nil {
		fatal(err)
	}
	if *keep {
		logf("keeping %s", c.tmp)
	} else {
		defer os.RemoveAll(c.tmp)
	}
	c.bin = *binFlag
	if c.bin == "" {
		if c.bin, err = rig.Build(ctx, root, c.tmp, *rev); err != nil {
			os.RemoveAll(c.tmp)
			fatal(err)
		}
	}
	desc := rig.Describe(ctx, root, *rev)
	if *binFlag != "" {
		desc = *binFlag
	}
	logf("crampd %s, seed %d (rerun the same kill points with --seed %d)", desc, c.seed, c.seed)

	scenarios := []struct {
		flag, name string
		fn         func(context.Context) result
	}{
		{"storm", "restart-storm", c.restartStorm},
		{"flaps", "endpoint-flaps", c.endpointFlaps},
		{"reload", "reload-storm", c.reloadStorm},
		{"flood", "socket-flood", c.socketFlood},
		{"slowloris", "slowloris", c.slowloris},
		{"hang", "hanging-webhook", c.hangingWebhook},
		{"huge", "huge-answer", c.hugeWebhookAnswer},
		{"disk", "full-disk", c.fullDisk},
	}
	// The scenarios share nothing but the machine, so they run side by
	// side: besides saving time, the load makes each a little harsher.
	results := make([]result, len(scenarios))
	var wg sync.WaitGroup
	for i, s := range scenarios {
		if *only != "" && !strings.Contains(","+*only+",", ","+s.flag+",") {
			results[i] = result{name: s.name, pass: true, detail: "skipped"}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.fn(ctx)
			logf("%s", results[i])
		}()
	}
	wg.Wait()
	ok := true
	var parts []string
	for _, r := range results {
		ok = ok && r.pass && r.err == nil
		parts = append(parts, r.String())
	}
	verdict := "PASS"
	if !ok {
		verdict = "FAIL"
	}
	fmt.Printf("chaos %s in %.0f s: %s\n", verdict, time.Since(began).Seconds(), strings.Join(parts, "; "))
	if !ok {
		if !*keep {
			os.RemoveAll(c.tmp)
		}
		os.Exit(1)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "chaos:", err)
	os.Exit(2)
}

// daemon starts crampd on profile with state in dir.
func (c *chaos) daemon(dir, profile, secret, tag string) (*rig.Crampd, error) {
	return rig.Start(rig.Spec{Bin: c.bin, Profile: profile, State: filepath.Join(dir, "state"), Dir: dir, Secret: secret, Tag: tag})
}

// waitAll waits until every reminder of s has been accepted by rcv, or
// until deadline.
func waitAll(ctx context.Context, rcv *rig.Receiver, s rig.Stream, gone <-chan struct{}, deadline time.Time) {
	wctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	rcv.Wait(wctx, gone, func(distinct, _ int) bool { return distinct >= len(s.At) })
}

// countLines counts the lines of the file at path that contain s (each
// log line holds one message).
func countLines(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}
