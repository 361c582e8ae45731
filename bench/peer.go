package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// The peer is remind(1) in daemon mode (remind -z), the long-standing Unix
// reminder daemon. Its timed reminders (REM ... AT hh:mm) run the -k
// command when they come due; the command here appends a timestamp and the
// reminder's body to a file.
//
// remind only knows whole minutes, so to fire a peer reminder at the same
// instant as crampd's (any whole second) each remind process gets a TZ whose
// UTC offset has a seconds part: in it, the instant is a local minute
// boundary. glibc accepts POSIX offsets down to the second.

// stampScript is the -k command: it writes "<unix seconds.nanoseconds>
// <body>" to the file named by its first argument.
const stampScript = `#!/bin/sh
t=$(date +%s.%N)
echo "$t $2" >> "$1"
`

type peer struct {
	bin   string // path to remind
	dir   string
	stamp string // the stamp script

	mu sync.Mutex // guards n: the idle figure starts remind beside the others
	n  int
}

func newPeer(dir string) (*peer, error) {
	bin, err := exec.LookPath("remind")
	if err != nil {
		return nil, fmt.Errorf("the peer, remind(1), is not installed (Debian: apt-get install -y remind): %w", err)
	}
	stamp := filepath.Join(dir, "stamp.sh")
	if err := os.WriteFile(stamp, []byte(stampScript), 0o755); err != nil {
		return nil, err
	}
	return &peer{bin: bin, dir: dir, stamp: stamp}, nil
}

// remindProc is one running remind -z.
type remindProc struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// tzAligning returns a TZ value in which t (whole seconds) is a local
// minute boundary, and t's local wall time there.
func tzAligning(t time.Time) (string, time.Time) {
	off := (60 - t.UTC().Second()) % 60
	if off == 0 {
		return "UTC0", t.UTC()
	}
	// POSIX TZ offsets are west-positive: "-00:00:17" is 17 s ahead of UTC.
	return fmt.Sprintf("BNC-00:00:%02d", off), t.UTC().Add(time.Duration(off) * time.Second)
}

// remLine is a timed reminder for local wall time lt.
func remLine(lt time.Time, body string) string {
	return fmt.Sprintf("REM %d %s %d AT %02d:%02d MSG %s\n", lt.Day(), lt.Month().String()[:3], lt.Year(), lt.Hour(), lt.Minute(), body)
}

// startAt runs one remind -z whose reminders (bodies) all come due at the
// instant t; their stamps go to out.
func (p *peer) startAt(t time.Time, bodies []string, out string) (*remindProc, error) {
	tz, lt := tzAligning(t)
	var script strings.Builder
	for _, b := range bodies {
		script.WriteString(remLine(lt, b))
	}
	return p.start(script.String(), tz, out)
}

// start runs remind -z on script with the given TZ.
func (p *peer) start(script, tz, out string) (*remindProc, error) {
	p.mu.Lock()
	p.n++
	file := filepath.Join(p.dir, fmt.Sprintf("peer-%d.rem", p.n))
	p.mu.Unlock()
	// remind refuses group- or world-writable files.
	if err := os.WriteFile(file, []byte(script), 0o600); err != nil {
		return nil, err
	}
	logf, err := os.Create(file + ".log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(p.bin, "-z", "-k"+p.stamp+" "+out+" %s", file)
	cmd.Env = append(os.Environ(), "TZ="+tz)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = rig.ChildAttr()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	rp := &remindProc{cmd: cmd, done: make(chan struct{})}
	go func() { cmd.Wait(); logf.Close(); close(rp.done) }()
	return rp, nil
}

func (r *remindProc) pid() int { return r.cmd.Process.Pid }

// stop ends remind and the stamp commands it may still be running.
func (r *remindProc) stop() {
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(2 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-r.done
	}
}

// readStamps reads a stamp file: body -> times it was stamped.
func readStamps(path string) (map[string][]time.Time, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return map[string][]time.Time{}, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]time.Time{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ts, body, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		sec, frac, _ := strings.Cut(ts, ".")
		s, err1 := strconv.ParseInt(sec, 10, 64)
		ns, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 != nil || err2 != nil {
			continue
		}
		out[body] = append(out[body], time.Unix(s, ns))
	}
	return out, sc.Err()
}

// waitStamps polls the stamp file until it holds n stamps or the deadline
// passes.
func waitStamps(path string, n int, deadline time.Time) (map[string][]time.Time, error) {
	for {
		st, err := readStamps(path)
		if err != nil {
			return nil, err
		}
		got := 0
		for _, ts := range st {
			got += len(ts)
		}
		if got >= n || time.Now().After(deadline) {
			return st, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
}
