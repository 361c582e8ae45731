package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// attach starts the --attach command (for instance perf record or strace)
// on a running daemon, with {pid} and {out} replaced by the daemon's
// process ID and a path in the directory it runs in. It returns a function
// that interrupts the command and waits for it to write its output. With no
// --attach it does nothing.
//
// This is how the figures are profiled: crampd has no profiling endpoint,
// so perf samples the very binary that was timed, under the same load.
func (b *bench) attach(d *rig.Crampd, tag string) func() {
	if b.attachCmd == "" {
		return func() {}
	}
	b.mu.Lock()
	b.attached++
	out := filepath.Join(b.attachDir, fmt.Sprintf("%s-%02d", tag, b.attached))
	b.mu.Unlock()
	line := strings.NewReplacer("{pid}", strconv.Itoa(d.PID()), "{out}", out).Replace(b.attachCmd)
	cmd := exec.Command("sh", "-c", "exec "+line)
	logf, err := os.Create(out + ".log")
	if err == nil {
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	cmd.SysProcAttr = rig.ChildAttr()
	if err := cmd.Start(); err != nil {
		b.logf("attach: %v", err)
		return func() {}
	}
	// perf and strace need a moment to attach to every thread.
	time.Sleep(300 * time.Millisecond)
	return func() {
		cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if logf != nil {
			logf.Close()
		}
	}
}
