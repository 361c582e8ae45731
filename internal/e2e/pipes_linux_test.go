package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// streams gives crampd's standard output or error to a file the test holds
// (one end of a pipe it controls); nil leaves a stream captured as usual.
type streams struct {
	stdout, stderr *os.File
	// ignorePipe starts crampd with SIGPIPE ignored, as systemd does
	// (IgnoreSIGPIPE=yes) and as exec preserves.
	ignorePipe bool
}

// start starts `crampd run` with io's streams and a control socket in a
// short directory, and returns the socket's path. It closes the test's
// copies of io's files once the child holds its own. It does not wait for
// start-up: a crampd whose stderr nobody reads is waited for on its socket.
func (s *sandbox) start(name string, io streams) (*proc, string) {
	s.t.Helper()
	sock := filepath.Join(shortTempDir(s.t), "crampd.sock")
	args := []string{"run", "--profile", s.profile, "--state", s.state, "--socket", sock}
	cmd := exec.Command(crampdBin, args...)
	if io.ignorePipe {
		cmd = exec.Command("/bin/sh", append([]string{"-c", `trap '' PIPE; exec "$0" "$@"`, crampdBin}, args...)...)
	}
	cmd.Dir = s.dir
	cmd.Env = s.env
	if io.stdout != nil {
		cmd.Stdout = io.stdout
	}
	if io.stderr != nil {
		cmd.Stderr = io.stderr
	}
	p := startProc(s.t, name, cmd, false)
	for _, f := range []*os.File{io.stdout, io.stderr} {
		if f != nil {
			f.Close()
		}
	}
	return p, sock
}

// waitAnswers waits until `crampd status` gets an answer from p on sock,
// failing if p exits first.
func (p *proc) waitAnswers(s *sandbox, sock string, timeout time.Duration) {
	p.t.Helper()
	p.waitFor(timeout, "an answer to `crampd status` on "+sock, func() bool {
		st := s.crampd("crampd status", nil, "status", "--socket", sock).wait(10 * time.Second)
		return st.ExitCode() == 0
	})
}

// brokenPipe returns the write end of a pipe whose read end is already
// closed, as when the program crampd's output was piped into exits.
func brokenPipe(t *testing.T) *os.File {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

// oneStdoutReminder gives a fresh sandbox a profile with one reminder,
// titled title, due on the stdout channel in two seconds, and returns it
// with the reminder's instant.
func oneStdoutReminder(t *testing.T, title string) (*sandbox, time.Time) {
	t.Helper()
	at := soon(2 * time.Second)
	s := newSandbox(t)
	s.writeProfile(quietBase + custom("piped", cronAt(at), title, "Now, please.", "Pipe test.") + "\n[[channel]]\ntype = \"stdout\"\n")
	return s, at
}

// sigpipeCases are the two ways crampd is started: from a shell, which
// leaves SIGPIPE at its default, and by systemd, which ignores it. Go
// restores the default for standard output and error either way, unless
// the program says otherwise.
var sigpipeCases = []struct {
	name   string
	ignore bool
}{
	{name: "SIGPIPE default", ignore: false},
	{name: "SIGPIPE ignored as under systemd", ignore: true},
}

// TestStdoutReaderGoneKeepsDaemon pipes crampd's standard output into a
// reader that has exited. When a reminder comes due, the stdout channel
// must report itself unavailable and keep the delivery, and crampd must
// stay up, answer on its socket and stop cleanly; the next crampd, with a
// reader, delivers the reminder, once.
func TestStdoutReaderGoneKeepsDaemon(t *testing.T) {
	t.Parallel()
	for _, tc := range sigpipeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, at := oneStdoutReminder(t, "Drink water")
			d, sock := s.start("crampd", streams{stdout: brokenPipe(t), ignorePipe: tc.ignore})

			d.waitStderr(time.Until(at)+10*time.Second, `msg="channel unavailable`, "channel=stdout")
			d.waitAnswers(s, sock, 10*time.Second)
			d.stopCleanly()
			if n := countLines(d.stderr.String(), `msg="reminder delivered"`); n != 0 {
				t.Errorf("%d deliveries logged as done on a pipe nobody reads", n)
			}

			// The outbox kept it: the first retry comes 5 s after the
			// failed attempt.
			again := s.run("crampd (with a reader)")
			evs := again.waitEvents(15*time.Second, 1)
			again.waitStderr(5*time.Second, `msg="reminder delivered"`, "channel=stdout")
			again.stopCleanly()
			if evs = again.events(); len(evs) != 1 || evs[0].Data.Title != "Drink water" {
				t.Errorf("stdout after the restart = %+v, want the kept reminder, once", evs)
			}
		})
	}
}

// TestStderrReaderGoneKeepsDaemon pipes crampd's log into a reader that
// has exited: logging must give up on it quietly while reminders still
// reach standard output and crampd answers on its socket.
func TestStderrReaderGoneKeepsDaemon(t *testing.T) {
	t.Parallel()
	for _, tc := range sigpipeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, at := oneStdoutReminder(t, "Stretch")
			d, sock := s.start("crampd", streams{stderr: brokenPipe(t), ignorePipe: tc.ignore})

			d.waitAnswers(s, sock, startTimeout)
			evs := d.waitEvents(time.Until(at)+10*time.Second, 1)
			if len(evs) != 1 || evs[0].Data.Title != "Stretch" {
				t.Errorf("stdout events = %+v, want the one reminder", evs)
			}
			d.waitAnswers(s, sock, 10*time.Second)
			d.stopCleanly()
		})
	}
}

// stopGrace is how long crampd gives deliveries in flight when told to
// stop (the README's promise).
const stopGrace = 5 * time.Second

// TestStuckStdoutDoesNotBlockStop pipes crampd's standard output into a
// reader that never reads. Once the pipe is full the stdout channel's
// write blocks; SIGTERM must still end crampd, with status 0, within its
// stop grace and a margin for a loaded machine.
func TestStuckStdoutDoesNotBlockStop(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// One page: a dozen reminder lines fill it.
	if _, err := unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, os.Getpagesize()); err != nil {
		t.Fatalf("shrink the pipe: %v", err)
	}
	size, err := unix.FcntlInt(w.Fd(), unix.F_GETPIPE_SZ, 0)
	if err != nil {
		t.Fatal(err)
	}

	at := soon(2 * time.Second)
	profile := quietBase + "\n[[channel]]\ntype = \"stdout\"\n"
	for i := range 40 {
		profile += custom(fmt.Sprintf("flood-%02d", i), cronAt(at), "Drink water", "A glass of water now, please.", "Pipe test.")
	}
	s := newSandbox(t)
	s.writeProfile(profile)
	d, _ := s.start("crampd", streams{stdout: w})
	d.waitStderr(startTimeout, `msg="crampd is running"`)

	// Full means less room left than one line (about 300 bytes), which a
	// pipe writes whole or not at all.
	d.waitFor(time.Until(at)+10*time.Second, "a full stdout pipe", func() bool {
		// TIOCINQ is FIONREAD: the bytes waiting in the pipe.
		n, err := unix.IoctlGetInt(int(r.Fd()), unix.TIOCINQ)
		return err == nil && n > size-300
	})
	sent := time.Now()
	d.signal(syscall.SIGTERM)
	const margin = 3 * time.Second
	st := d.wait(stopGrace + margin + 10*time.Second)
	took := time.Since(sent)
	if took > stopGrace+margin {
		t.Errorf("crampd took %v to stop with its stdout stuck, want at most %v (stop grace) + %v", took.Round(time.Millisecond), stopGrace, margin)
	}
	if st.ExitCode() != 0 {
		t.Errorf("crampd exited with %v, want status 0", st)
	}
}
