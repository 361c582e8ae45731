package e2e

import (
	"errors"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestLifecycleNotify plays systemd's side of the notify protocol: it owns
// NOTIFY_SOCKET, sets a watchdog, and checks that crampd reports READY,
// feeds the watchdog at half its period, brackets a SIGHUP reload with
// RELOADING (stamped with the monotonic clock, as systemd 253+ requires) and
// READY, and reports STOPPING before a clean exit on SIGTERM.
func TestLifecycleNotify(t *testing.T) {
	t.Parallel()
	const watchdogUsec = 200_000
	sock := listenNotify(t)

	s := newSandbox(t)
	s.writeProfile(quietBase + "\n[[channel]]\ntype = \"stdout\"\n")
	// WATCHDOG_PID stays unset (the sandbox drops it): go-systemd then
	// trusts WATCHDOG_USEC, whereas a set WATCHDOG_PID must equal the
	// child's pid, which is unknown before it starts.
	d := s.run("crampd", "NOTIFY_SOCKET="+sock.path, "WATCHDOG_USEC="+strconv.Itoa(watchdogUsec))

	if got := sock.nextState(t, d, 5*time.Second); got != "READY=1" {
		t.Fatalf("first state notification = %q, want READY=1", got)
	}

	// Five pings give four intervals; their median shrugs off one late
	// tick on a loaded machine.
	pings := sock.waitPings(t, d, 5, 5*time.Second)
	var gaps []time.Duration
	for i := 1; i < len(pings); i++ {
		gaps = append(gaps, pings[i].Sub(pings[i-1]))
	}
	slices.Sort(gaps)
	want := watchdogUsec * time.Microsecond / 2
	if median := gaps[len(gaps)/2]; median < want/2 || median > want*3/2 {
		t.Errorf("median watchdog interval = %v (gaps %v), want about %v: half of WATCHDOG_USEC", median, gaps, want)
	}

	before := monotonicUsec(t)
	d.signal(syscall.SIGHUP)
	reloading := sock.nextState(t, d, 5*time.Second)
	after := monotonicUsec(t)
	fields := parseState(reloading)
	if fields["RELOADING"] != "1" {
		t.Fatalf("state after SIGHUP = %q, want RELOADING=1 first", reloading)
	}
	stamp, err := strconv.ParseInt(fields["MONOTONIC_USEC"], 10, 64)
	if err != nil {
		t.Fatalf("RELOADING notification %q has no valid MONOTONIC_USEC: %v", reloading, err)
	}
	if stamp < before || stamp > after {
		t.Errorf("MONOTONIC_USEC=%d, want CLOCK_MONOTONIC at the reload, between %d and %d", stamp, before, after)
	}
	if got := sock.nextState(t, d, 5*time.Second); got != "READY=1" {
		t.Fatalf("state after RELOADING = %q, want READY=1", got)
	}
	d.waitStderr(5*time.Second, `msg="profile reloaded"`)

	d.signal(syscall.SIGTERM)
	if got := sock.nextState(t, d, 10*time.Second); got != "STOPPING=1" {
		t.Fatalf("state after SIGTERM = %q, want STOPPING=1", got)
	}
	if st := d.wait(15 * time.Second); st.ExitCode() != 0 {
		t.Fatalf("crampd exited with %v after SIGTERM, want status 0", st)
	}
	if got := sock.states(); len(got) != 4 {
		t.Errorf("state notifications = %q, want exactly READY, RELOADING, READY, STOPPING", got)
	}
}

// notifySocket is the receiving end of NOTIFY_SOCKET.
type notifySocket struct {
	path string

	mu sync.Mutex
	// msgs holds every datagram but watchdog pings, in arrival order;
	// read counts those nextState has returned.
	msgs []string
	read int
	// pings holds the arrival times of WATCHDOG=1 datagrams.
	pings []time.Time
}

// listenNotify binds a unixgram socket, as systemd does for a Type=notify
// service, and collects what arrives until the test ends.
func listenNotify(t *testing.T) *notifySocket {
	t.Helper()
	s := &notifySocket{path: filepath.Join(shortTempDir(t), "notify.sock")}
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: s.path, Net: "unixgram"})
	if err != nil {
		t.Fatalf("listen on notify socket: %v", err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("read notify socket: %v", err)
				}
				return
			}
			at := time.Now()
			msg := string(buf[:n])
			s.mu.Lock()
			if msg == "WATCHDOG=1" {
				s.pings = append(s.pings, at)
			} else {
				s.msgs = append(s.msgs, msg)
			}
			s.mu.Unlock()
		}
	}()
	return s
}

// nextState waits for the next datagram that is not a watchdog ping.
func (s *notifySocket) nextState(t *testing.T, d *proc, timeout time.Duration) string {
	t.Helper()
	var msg string
	d.waitFor(timeout, "sd_notify state message", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.read < len(s.msgs) {
			msg = s.msgs[s.read]
			s.read++
			return true
		}
		return false
	})
	return msg
}

// states returns every non-ping datagram so far.
func (s *notifySocket) states() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.msgs)
}

// waitPings waits until n watchdog pings have arrived and returns their
// arrival times.
func (s *notifySocket) waitPings(t *testing.T, d *proc, n int, timeout time.Duration) []time.Time {
	t.Helper()
	var pings []time.Time
	d.waitFor(timeout, strconv.Itoa(n)+" WATCHDOG=1 pings", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		pings = slices.Clone(s.pings)
		return len(pings) >= n
	})
	return pings
}

// parseState splits a notification into its KEY=VALUE lines.
func parseState(msg string) map[string]string {
	out := map[string]string{}
	for line := range strings.SplitSeq(msg, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			out[k] = v
		}
	}
	return out
}

// monotonicUsec reads CLOCK_MONOTONIC, the clock systemd expects in
// MONOTONIC_USEC; it is shared by every process on the machine.
func monotonicUsec(t *testing.T) int64 {
	t.Helper()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatalf("read monotonic clock: %v", err)
	}
	return ts.Sec*1_000_000 + ts.Nsec/1_000
}
