package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crampd/crampd/bench/internal/rig"
)

// The attacks below are ones crampd withstood when it was attacked as a
// hostile local user, a broken network and a failing disk would; they run
// here so that it keeps withstanding them. Each checks what crampd
// promises, not only that it is still there: every reminder delivered
// once, the control socket answering, and memory bounded.

// rssBound is the ceiling on crampd's peak RSS (VmHWM) under an attack:
// the bound the benchmarks hold the 10,000-reminder scale run to.
const rssBound = 100 << 20

// hugeAnswerRSS bounds peak RSS when the webhook answers 50 MB: well below
// the answer, so that reading it whole would show.
const hugeAnswerRSS = 40 << 20

// hugeAnswer is the size of the webhook's answer in the huge-answer
// scenario.
const hugeAnswer = 50 << 20

// statusTimeout bounds one status request, as it does for crampd's own
// client. A wave of a thousand requests on a loaded machine queues for
// seconds; that is not a failure.
const statusTimeout = 30 * time.Second

// prompt is how long a single status request may take while crampd is
// under attack: it answers in milliseconds when idle, and an attack that
// delays everyone else by seconds has succeeded.
const prompt = 5 * time.Second

// attack is what the scenarios below share: a run directory, a webhook
// receiver, a stream of reminders posted to it, and the crampd serving it.
type attack struct {
	dir string
	rcv *rig.Receiver
	s   rig.Stream
	d   *rig.Crampd
}

// startAttack writes a profile whose reminders (n of them, perSecond a
// second from lead on) go to a fresh receiver, and starts crampd on it
// with its state in state (dir/state if empty). It waits for READY=1.
func (c *chaos) startAttack(ctx context.Context, tag string, n, perSecond int, lead time.Duration, state string) (*attack, error) {
	dir, rcv, err := c.setup(tag)
	if err != nil {
		return nil, err
	}
	a := &attack{dir: dir, rcv: rcv, s: rig.NewStream(tag, n, perSecond, rig.NextSecond(time.Now(), lead))}
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, a.s.Customs, rig.WebhookChannel(rcv.URL))); err != nil {
		rcv.Close()
		return nil, err
	}
	if state == "" {
		state = filepath.Join(dir, "state")
	}
	a.d, err = rig.Start(rig.Spec{Bin: c.bin, Profile: profile, State: state, Dir: dir, Secret: rcv.Secret, Tag: tag})
	if err != nil {
		rcv.Close()
		return nil, err
	}
	if _, err := a.d.WaitReady(ctx); err != nil {
		a.d.Kill()
		rcv.Close()
		return nil, err
	}
	return a, nil
}

// close kills crampd if it still runs and stops the receiver.
func (a *attack) close() {
	select {
	case <-a.d.Done():
	default:
		a.d.Kill()
	}
	a.rcv.Close()
}

// finish waits until every reminder has been accepted (or until the last
// one is overdue by patience), checks that crampd still answers status,
// reads its peak RSS (VmHWM, over its whole life) and stops it. It returns
// the tally, the peak and a list of the promises broken.
func (a *attack) finish(ctx context.Context, patience time.Duration, rss int64) (rig.Tally, int64, []string, error) {
	waitAll(ctx, a.rcv, a.s, a.d.Done(), a.s.Last.Add(patience))
	// Give a stray late duplicate a moment to show up.
	time.Sleep(500 * time.Millisecond)
	var broken []string
	if _, err := askStatus(ctx, socketClient(a.d.Socket)); err != nil {
		broken = append(broken, fmt.Sprintf("status not answered at the end: %v", err))
	}
	u, err := rig.ReadUsage(a.d.PID())
	if err != nil {
		return rig.Tally{}, 0, nil, err
	}
	if u.HWM > rss {
		broken = append(broken, fmt.Sprintf("peak RSS %.1f MiB over %.0f MiB", rig.MiB(u.HWM), rig.MiB(rss)))
	}
	if err := a.d.Stop(10 * time.Second); err != nil {
		return rig.Tally{}, 0, nil, err
	}
	t := a.s.Tally(a.rcv.Requests())
	if len(t.Lost) > 0 {
		broken = append(broken, fmt.Sprintf("lost: %v", first(t.Lost, 10)))
	}
	if t.Duplicates > 0 || t.Unexpected > 0 || t.BadSig > 0 || t.Early > 0 {
		broken = append(broken, "duplicates, unexpected, badly signed or early deliveries")
	}
	return t, u.HWM, broken, nil
}

// verdict fills r from a finished attack.
func verdict(r *result, t rig.Tally, peak int64, broken []string, detail string) {
	r.detail = fmt.Sprintf("%s; %s; peak RSS %.1f MiB", detail, t, rig.MiB(peak))
	r.pass = len(broken) == 0
	if !r.pass {
		r.detail += "; broken: " + strings.Join(broken, "; ")
	}
}

// socketClient returns an HTTP client for crampd's control socket that
// opens a connection per request, as each `crampd status` does.
func socketClient(sock string) *http.Client {
	var d net.Dialer
	return &http.Client{Timeout: statusTimeout, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return d.DialContext(ctx, "unix", sock)
		},
	}}
}

// askStatus asks for crampd's status and returns how long the answer took.
func askStatus(ctx context.Context, hc *http.Client) (time.Duration, error) {
	began := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://crampd/v1/status", nil)
	if err != nil {
		return 0, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, err
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("status answered %s: %.100s", resp.Status, body)
	}
	return time.Since(began), nil
}

// socketFlood sends waves of floodClients parallel status requests, each
// on its own connection, to crampd's control socket while a stream of
// reminders comes due. It passes when every request is answered, every
// reminder delivered once and peak RSS stays under rssBound.
func (c *chaos) socketFlood(ctx context.Context) result {
	r := result{name: "socket-flood"}
	a, err := c.startAttack(ctx, "flood", c.size.attackReminders, 10, 2*time.Second, "")
	if err != nil {
		r.err = err
		return r
	}
	defer a.close()
	hc := socketClient(a.d.Socket)
	var answered, failed atomic.Int64
	var slowest atomic.Int64
	var firstErr atomic.Value
	waves := 0
	for waves == 0 || time.Now().Before(a.s.Last) {
		var wg sync.WaitGroup
		for range c.size.floodClients {
			wg.Go(func() {
				took, err := askStatus(ctx, hc)
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					return
				}
				answered.Add(1)
				for {
					old := slowest.Load()
					if int64(took) <= old || slowest.CompareAndSwap(old, int64(took)) {
						break
					}
				}
			})
		}
		wg.Wait()
		waves++
	}
	t, peak, broken, err := a.finish(ctx, 30*time.Second, rssBound)
	if err != nil {
		r.err = err
		return r
	}
	if failed.Load() > 0 {
		broken = append(broken, fmt.Sprintf("%d requests unanswered (first: %v)", failed.Load(), firstErr.Load()))
	}
	verdict(&r, t, peak, broken, fmt.Sprintf("%d waves of %d parallel clients, %d answered, slowest %s",
		waves, c.size.floodClients, answered.Load(), time.Duration(slowest.Load()).Round(time.Millisecond)))
	return r
}

// headerTimeout is how long crampd's control server waits for a request's
// headers (ReadHeaderTimeout).
const headerTimeout = 5 * time.Second

// slowloris opens slowConns connections to the control socket that send a
// request's headers one byte every 200 ms, while a stream of reminders
// comes due and a well-behaved client asks for status twice a second. It
// passes when crampd closes every slow connection within its header
// timeout (plus a margin), answers every status promptly, delivers every
// reminder once, keeps peak RSS under rssBound and ends with no more open
// descriptors than it started with (plus a few).
func (c *chaos) slowloris(ctx context.Context) result {
	r := result{name: "slowloris"}
	a, err := c.startAttack(ctx, "slowloris", c.size.attackReminders, 10, 2*time.Second, "")
	if err != nil {
		r.err = err
		return r
	}
	defer a.close()
	fdsBefore := openFDs(a.d.PID())

	const request = "GET /v1/status HTTP/1.1\r\nHost: crampd\r\nUser-Agent: slow\r\nAccept: */*\r\nX-Padding: " +
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n"
	var (
		wg         sync.WaitGroup
		mu         sync.Mutex
		held       []time.Duration // how long crampd let each slow connection live
		dialFailed int
	)
	for range c.size.slowConns {
		wg.Go(func() {
			conn, err := net.Dial("unix", a.d.Socket)
			if err != nil {
				mu.Lock()
				dialFailed++
				mu.Unlock()
				return
			}
			defer conn.Close()
			opened := time.Now()
			closed := make(chan struct{})
			go func() {
				// crampd closing the connection ends this read.
				io.Copy(io.Discard, conn)
				close(closed)
			}()
			tick := time.NewTicker(200 * time.Millisecond)
			defer tick.Stop()
			for i := 0; ; i = (i + 1) % len(request) {
				select {
				case <-closed:
					mu.Lock()
					held = append(held, time.Since(opened))
					mu.Unlock()
					return
				case <-ctx.Done():
					return
				case <-time.After(time.Until(opened.Add(4 * headerTimeout))):
					// Still open long after the timeout: give up, and
					// let the missing entry in held report it.
					return
				case <-tick.C:
					conn.Write([]byte{request[i]})
				}
			}
		})
	}
	// A well-behaved client meanwhile.
	hc := socketClient(a.d.Socket)
	var slowest time.Duration
	var statusErrs []string
	probeUntil := time.Now().Add(headerTimeout + 2*time.Second)
	for time.Now().Before(probeUntil) {
		took, err := askStatus(ctx, hc)
		if err != nil {
			statusErrs = append(statusErrs, err.Error())
		}
		slowest = max(slowest, took)
		time.Sleep(500 * time.Millisecond)
	}
	wg.Wait()

	fdsAfter := openFDs(a.d.PID())
	t, peak, broken, err := a.finish(ctx, 30*time.Second, rssBound)
	if err != nil {
		r.err = err
		return r
	}
	longest := time.Duration(0)
	for _, h := range held {
		longest = max(longest, h)
	}
	if len(held) != c.size.slowConns-dialFailed || dialFailed > 0 {
		broken = append(broken, fmt.Sprintf("%d of %d slow connections closed by crampd (%d could not connect)", len(held), c.size.slowConns, dialFailed))
	}
	if longest > headerTimeout+3*time.Second {
		broken = append(broken, fmt.Sprintf("a slow connection lived %s, past the %s header timeout", longest.Round(time.Millisecond), headerTimeout))
	}
	if len(statusErrs) > 0 || slowest > prompt {
		broken = append(broken, fmt.Sprintf("status during the attack: slowest %s, errors %q", slowest.Round(time.Millisecond), first(statusErrs, 3)))
	}
	if fdsAfter > fdsBefore+8 {
		broken = append(broken, fmt.Sprintf("open descriptors %d after the attack, %d before", fdsAfter, fdsBefore))
	}
	verdict(&r, t, peak, broken, fmt.Sprintf("%d slow connections, each closed within %s; status answered in at most %s; descriptors %d before, %d after",
		len(held), longest.Round(time.Millisecond), slowest.Round(time.Millisecond), fdsBefore, fdsAfter))
	return r
}

// openFDs counts a process's open descriptors, or returns -1.
func openFDs(pid int) int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// hangingWebhook has the receiver hold every request without answering
// while a stream of reminders comes due. While deliveries hang, crampd
// must keep answering status; once the receiver recovers, every reminder
// must arrive once, under one webhook-id per reminder. Last, with a
// delivery hanging again, SIGTERM must stop crampd within its stop grace
// (5 s) and a margin.
func (c *chaos) hangingWebhook(ctx context.Context) result {
	r := result{name: "hanging-webhook"}
	hang := func(rig.Receipt, int) rig.Action { return rig.Action{Hang: true} }
	a, err := c.startAttack(ctx, "hang", c.size.hangReminders, 2, 2*time.Second, "")
	if err != nil {
		r.err = err
		return r
	}
	defer a.close()
	a.rcv.SetDecider(hang)

	// Everything has come due and the first deliveries hang.
	time.Sleep(time.Until(a.s.Last.Add(2 * time.Second)))
	var broken []string
	hung := len(a.rcv.Requests())
	if hung == 0 {
		broken = append(broken, "no delivery reached the hanging receiver")
	}
	took, err := askStatus(ctx, socketClient(a.d.Socket))
	if err != nil || took > prompt {
		broken = append(broken, fmt.Sprintf("status while deliveries hang: %v after %s", err, took.Round(time.Millisecond)))
	}
	// The receiver recovers: what hangs gets a 503, the rest 200.
	a.rcv.SetDecider(nil)
	a.rcv.Release()
	waitAll(ctx, a.rcv, a.s, a.d.Done(), a.s.Last.Add(90*time.Second))
	t := a.s.Tally(a.rcv.Requests())
	if len(t.Lost) > 0 || t.Duplicates > 0 || t.DupIDMismatch > 0 || t.Unexpected > 0 || t.BadSig > 0 {
		broken = append(broken, "lost, doubled or unexpected deliveries")
	}
	ids := map[string]string{}
	for _, rq := range a.rcv.Requests() {
		if id, seen := ids[rq.Title]; seen && id != rq.WebhookID {
			broken = append(broken, "a retry changed its webhook-id: "+rq.Title)
		}
		ids[rq.Title] = rq.WebhookID
	}
	u, err := rig.ReadUsage(a.d.PID())
	if err != nil {
		r.err = err
		return r
	}
	if u.HWM > rssBound {
		broken = append(broken, fmt.Sprintf("peak RSS %.1f MiB over %.0f MiB", rig.MiB(u.HWM), rig.MiB(rssBound)))
	}

	// Stop while a delivery hangs.
	a.rcv.SetDecider(hang)
	before := len(a.rcv.Requests())
	// As a user would: `crampd fire NAME` sends that reminder now.
	fire := exec.CommandContext(ctx, c.bin, "fire", a.s.Customs[0].Name, "--socket", a.d.Socket)
	fire.Env = rig.Env(filepath.Join(a.dir, "home"))
	if out, err := fire.CombinedOutput(); err != nil {
		r.err = fmt.Errorf("crampd fire: %w: %s", err, out)
		return r
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	a.rcv.Wait(wctx, a.d.Done(), func(_, requests int) bool { return requests > before })
	cancel()
	sent := time.Now()
	if err := a.d.Stop(stopGrace + 3*time.Second); err != nil {
		broken = append(broken, fmt.Sprintf("stop while a delivery hangs: %v", err))
	}
	stopped := time.Since(sent)
	verdict(&r, t, u.HWM, broken, fmt.Sprintf("%d deliveries hung, then recovered; status answered in %s while they hung; stopped in %s with one hanging",
		hung, took.Round(time.Millisecond), stopped.Round(time.Millisecond)))
	return r
}

// stopGrace is how long crampd gives deliveries in flight when it stops.
const stopGrace = 5 * time.Second

// hugeWebhookAnswer has the receiver accept every delivery with a 50 MB
// body. crampd reads only the first few KiB of an answer, so every
// reminder must be delivered once and peak RSS stay well under the size
// of one answer.
func (c *chaos) hugeWebhookAnswer(ctx context.Context) result {
	r := result{name: "huge-answer"}
	a, err := c.startAttack(ctx, "huge", c.size.attackReminders/4, 2, 2*time.Second, "")
	if err != nil {
		r.err = err
		return r
	}
	defer a.close()
	a.rcv.SetDecider(func(rig.Receipt, int) rig.Action { return rig.Action{BodyBytes: hugeAnswer} })
	t, peak, broken, err := a.finish(ctx, 60*time.Second, hugeAnswerRSS)
	if err != nil {
		r.err = err
		return r
	}
	verdict(&r, t, peak, broken, fmt.Sprintf("every answer %d MiB", hugeAnswer>>20))
	return r
}

// diskSize is the tmpfs the full-disk scenario puts crampd's state on:
// room for the database and its WAL, and little more.
const diskSize = "8m"

// fullDisk puts crampd's state directory on a small tmpfs, fills it while
// a stream of reminders comes due, then frees the space. crampd must keep
// answering status while the disk is full and, once space returns,
// deliver every reminder once. Mounting needs root; without it the
// scenario is skipped, unless CRAMPD_REQUIRE_ROOT=1 (CI).
func (c *chaos) fullDisk(ctx context.Context) result {
	r := result{name: "full-disk"}
	dir, err := c.runDir("disk-mnt")
	if err != nil {
		r.err = err
		return r
	}
	mnt := filepath.Join(dir, "state")
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		r.err = err
		return r
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+diskSize+",mode=0700"); err != nil {
		if os.Getenv("CRAMPD_REQUIRE_ROOT") != "1" && (errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES)) {
			r.pass, r.detail = true, fmt.Sprintf("skipped: cannot mount a tmpfs (%v); run as root to include it", err)
			return r
		}
		r.err = fmt.Errorf("mount a %s tmpfs on %s: %w", diskSize, mnt, err)
		return r
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)

	// Six seconds' lead: the disk is filled before the first comes due.
	a, err := c.startAttack(ctx, "disk", c.size.attackReminders/2, 5, 6*time.Second, mnt)
	if err != nil {
		r.err = err
		return r
	}
	defer a.close()
	filler := filepath.Join(mnt, "filler")
	if err := fill(filler); err != nil {
		r.err = err
		return r
	}
	full := time.Now()
	var broken []string
	// Everything comes due while the disk is full.
	time.Sleep(time.Until(a.s.Last.Add(3 * time.Second)))
	took, err := askStatus(ctx, socketClient(a.d.Socket))
	if err != nil || took > prompt {
		broken = append(broken, fmt.Sprintf("status while the disk is full: %v after %s", err, took.Round(time.Millisecond)))
	}
	whileFull, _ := a.rcv.Counts()
	diskErrors := countLines(a.d.LogPath, "no space left on device") + countLines(a.d.LogPath, "database or disk is full")
	if err := os.Remove(filler); err != nil {
		r.err = err
		return r
	}
	freed := time.Now()
	t, peak, more, err := a.finish(ctx, 3*time.Minute, rssBound)
	if err != nil {
		r.err = err
		return r
	}
	broken = append(broken, more...)
	if diskErrors == 0 {
		broken = append(broken, "crampd logged no full-disk error: the disk was not full where it writes")
	}
	verdict(&r, t, peak, broken, fmt.Sprintf("disk full for %s (%d delivered meanwhile, %d full-disk errors logged); all delivered %s after space returned",
		freed.Sub(full).Round(time.Second), whileFull, diskErrors, lastDelivery(a.rcv).Sub(freed).Round(100*time.Millisecond)))
	return r
}

// fill writes path until the file system is full.
func fill(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 64<<10)
	chunk := make([]byte, 64<<10)
	for {
		if _, err := w.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return nil
			}
			return fmt.Errorf("fill %s: %w", path, err)
		}
	}
}

// lastDelivery returns when the receiver last accepted a delivery.
func lastDelivery(rcv *rig.Receiver) time.Time {
	var last time.Time
	for _, rq := range rcv.Accepted() {
		if rq.At.After(last) {
			last = rq.At
		}
	}
	return last
}
