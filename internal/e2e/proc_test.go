package e2e

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/syncbuf"
)

// pollEvery is how often waits re-check their condition. Reminders are
// scheduled to the second, so this is fine enough and cheap.
const pollEvery = 20 * time.Millisecond

// raceWarning is what the race detector prints; a race-enabled crampd
// that prints it has a data race even if every assertion passed.
const raceWarning = "WARNING: DATA RACE"

// proc is a running child process with its output captured.
type proc struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	// group is set when the child leads its own process group, which is
	// then signalled as a whole.
	group bool
	// done is closed once the child has been reaped; state is set before.
	done  chan struct{}
	state *os.ProcessState
}

// startProc starts cmd with its stdout and stderr piped into buffers,
// unless the test gave it files of its own (a pipe it controls). The child
// is killed, if still running, when the test ends, and its output is
// logged if the test failed, since that is usually the only clue.
func startProc(t *testing.T, name string, cmd *exec.Cmd, group bool) *proc {
	t.Helper()
	p := &proc{t: t, name: name, cmd: cmd, stdout: &syncBuffer{}, stderr: &syncBuffer{}, group: group, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.stdout
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.stderr
	}
	// A grandchild may hold the pipes open after the child exits (go run);
	// this bounds how long Wait keeps copying.
	cmd.WaitDelay = 2 * time.Second
	setProcAttr(cmd, group)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		cmd.Wait()
		p.state = cmd.ProcessState
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill(syscall.SIGKILL)
		<-p.done
		if strings.Contains(p.stderr.String(), raceWarning) {
			t.Errorf("%s reported a data race:\n%s", name, p.stderr.String())
		}
		if t.Failed() {
			t.Logf("--- %s stderr ---\n%s", name, p.stderr.String())
			t.Logf("--- %s stdout ---\n%s", name, p.stdout.String())
		}
	})
	return p
}

// pid returns the child's process id.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// exited reports whether the child has been reaped.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill sends sig to the child's whole group, or to the child alone unless
// it has been reaped (its pid may then belong to someone else). A group
// outlives its leader, and its id cannot be reused while any member is
// left, so it is signalled even after the leader exits: go run's own
// child is still in it.
func (p *proc) kill(sig syscall.Signal) {
	pid := p.pid()
	switch {
	case p.group:
		pid = -pid
	case p.exited():
		return
	}
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		p.t.Errorf("signal %s %v: %v", p.name, sig, err)
	}
}

// signal sends sig and fails the test if the child is already gone, since
// the signal would then test nothing.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if p.exited() {
		p.t.Fatalf("%s exited before it could be sent %v: %v", p.name, sig, p.state)
	}
	p.kill(sig)
}

// wait waits up to timeout for the child to exit and returns its state.
func (p *proc) wait(timeout time.Duration) *os.ProcessState {
	p.t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.state
	case <-timer.C:
		p.t.Fatalf("%s did not exit within %v", p.name, timeout)
		return nil
	}
}

// stopCleanly sends SIGTERM and requires exit status 0, the contract a
// service manager relies on to tell a stop from a crash.
func (p *proc) stopCleanly() {
	p.t.Helper()
	p.signal(syscall.SIGTERM)
	// crampd gives deliveries five seconds; allow for that and a slow host.
	if st := p.wait(15 * time.Second); st.ExitCode() != 0 {
		p.t.Fatalf("%s exited with %v after SIGTERM, want status 0", p.name, st)
	}
}

// waitFor polls cond until it holds, failing the test when timeout passes
// or the child exits first.
func (p *proc) waitFor(timeout time.Duration, what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p.exited() {
			// It may have satisfied cond just before exiting.
			if cond() {
				return
			}
			p.t.Fatalf("%s exited (%v) while waiting for %s", p.name, p.state, what)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %s within %v", what, timeout)
		}
		time.Sleep(pollEvery)
	}
}

// waitStderr waits until stderr contains every one of subs on one line.
func (p *proc) waitStderr(timeout time.Duration, subs ...string) string {
	p.t.Helper()
	var found string
	p.waitFor(timeout, "log line with "+strings.Join(subs, " … "), func() bool {
		found = lineWith(p.stderr.String(), subs...)
		return found != ""
	})
	return found
}

// lineWith returns the first line of text holding every one of subs.
func lineWith(text string, subs ...string) string {
next:
	for _, line := range strings.Split(text, "\n") {
		for _, s := range subs {
			if !strings.Contains(line, s) {
				continue next
			}
		}
		return line
	}
	return ""
}

// countLines counts the lines of text holding every one of subs.
func countLines(text string, subs ...string) int {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			n++
		}
	}
	return n
}

// syncBuffer collects what goroutines write while the test reads it.
type syncBuffer = syncbuf.Buffer
