package rig

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// SecretEnv names the variable that carries the webhook signing secret to
// crampd; profiles from this package refer to it with secret_env.
const SecretEnv = "CRAMPD_BENCH_SECRET"

// inheritedOut lists variables of the harness's own environment that would
// change where crampd writes or whom it talks to if a child inherited them.
var inheritedOut = []string{
	"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR",
	"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM", "CREDENTIALS_DIRECTORY",
	"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
	"DBUS_SESSION_BUS_ADDRESS", "DISPLAY", "WAYLAND_DISPLAY", "TZ", SecretEnv,
}

// Env returns the harness's environment without inheritedOut, with HOME set
// to home, plus extra.
func Env(home string, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(inheritedOut, name) {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home)
	return append(env, extra...)
}

// Spec describes one crampd run.
type Spec struct {
	Bin     string
	Profile string
	State   string
	// Dir holds the notify socket and the log files.
	Dir string
	// Secret is handed to crampd in SecretEnv.
	Secret string
	// Stdout receives the stdout channel's lines; nil discards them.
	Stdout io.Writer
	// Tag names this run's log file (crampd-TAG.log).
	Tag string
}

// Crampd is a running `crampd run`.
type Crampd struct {
	Cmd     *exec.Cmd
	Notify  *NotifySocket
	Started time.Time
	LogPath string
	// Socket is the control socket's path.
	Socket string

	done chan struct{}
	err  error
}

// Start execs `crampd run`. Started is read just before the exec, so that
// READY minus Started is what a service manager would see.
func Start(s Spec) (*Crampd, error) {
	sock, err := ListenNotify(s.Dir, "notify-"+s.Tag+".sock")
	if err != nil {
		return nil, fmt.Errorf("notify socket: %w", err)
	}
	logPath := filepath.Join(s.Dir, "crampd-"+s.Tag+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		sock.Close()
		return nil, err
	}
	// Each run gets its own runtime directory, where crampd puts its
	// control socket, so that daemons running side by side do not collide.
	runtimeDir := filepath.Join(s.Dir, "run-"+s.Tag)
	if err := os.MkdirAll(runtimeDir, 0o700); err != nil {
		logf.Close()
		sock.Close()
		return nil, err
	}
	cmd := exec.Command(s.Bin, "run", "--profile", s.Profile, "--state", s.State)
	cmd.Env = Env(filepath.Join(s.Dir, "home"), "XDG_RUNTIME_DIR="+runtimeDir, "NOTIFY_SOCKET="+sock.Path, SecretEnv+"="+s.Secret)
	cmd.Stdout = s.Stdout
	cmd.Stderr = logf
	cmd.SysProcAttr = ChildAttr()
	c := &Crampd{Cmd: cmd, Notify: sock, LogPath: logPath, Socket: filepath.Join(runtimeDir, "crampd", "crampd.sock"), done: make(chan struct{})}
	c.Started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		sock.Close()
		return nil, fmt.Errorf("start crampd: %w", err)
	}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

// PID returns the process ID.
func (c *Crampd) PID() int { return c.Cmd.Process.Pid }

// Done is closed when the process has exited.
func (c *Crampd) Done() <-chan struct{} { return c.done }

// Err returns how the process exited, once Done is closed.
func (c *Crampd) Err() error { return c.err }

// ReadyTimeout bounds how long WaitReady waits; crampd takes well under a
// second even for the largest profiles the harness writes.
const ReadyTimeout = time.Minute

// WaitReady waits for the first READY=1 and returns when it arrived.
func (c *Crampd) WaitReady(ctx context.Context) (time.Time, error) {
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	m, _, err := c.Notify.Await(ctx, c.done, 0, "READY=1")
	if err != nil {
		return time.Time{}, fmt.Errorf("waiting for READY=1: %w (log: %s)", err, c.Tail())
	}
	return m.At, nil
}

// Signal sends sig to the process.
func (c *Crampd) Signal(sig syscall.Signal) error { return c.Cmd.Process.Signal(sig) }

// Kill sends SIGKILL and waits for the process to be gone.
func (c *Crampd) Kill() {
	c.Cmd.Process.Signal(syscall.SIGKILL)
	<-c.done
	c.Notify.Close()
}

// Stop sends SIGTERM and waits up to timeout for a clean exit, killing the
// process after that. It returns the exit error of a process that did not
// stop cleanly.
func (c *Crampd) Stop(timeout time.Duration) error {
	defer c.Notify.Close()
	c.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			return fmt.Errorf("crampd exited: %w (log: %s)", c.err, c.Tail())
		}
		return nil
	case <-time.After(timeout):
		c.Cmd.Process.Signal(syscall.SIGKILL)
		<-c.done
		return fmt.Errorf("crampd did not stop within %s", timeout)
	}
}

// Tail returns the end of the process's log, for error messages.
func (c *Crampd) Tail() string {
	b, err := os.ReadFile(c.LogPath)
	if err != nil {
		return err.Error()
	}
	if len(b) > 1500 {
		b = b[len(b)-1500:]
	}
	return strings.TrimSpace(string(b))
}

// ChildAttr puts a child in its own process group, so that a kill reaches
// nothing of the harness's, and has the kernel kill it if the harness dies
// first, so that no daemon outlives an interrupted run.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
