package rig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// clockTick is the unit of utime and stime in /proc/PID/stat. Linux has
// reported them in USER_HZ = 100 on every architecture for decades.
const clockTick = 10 * time.Millisecond

// Usage is a snapshot of a process's resource use.
type Usage struct {
	// CPU is user plus system time from the process's CPU-time clock
	// (clock_gettime on its CPUCLOCK_SCHED clock): nanosecond resolution,
	// and it counts exited threads too.
	CPU time.Duration
	// CPUTicks is utime plus stime from /proc/PID/stat, in 10 ms ticks; it
	// is kept as a cross-check of CPU.
	CPUTicks time.Duration
	// RSS and HWM are VmRSS and VmHWM (peak RSS) from /proc/PID/status.
	RSS, HWM int64
	// Switches is voluntary plus involuntary context switches summed over
	// the process's threads: every time a thread went to sleep or was
	// preempted, which is what waking up costs.
	Switches int64
	Threads  int
}

// Sub returns the use between an earlier snapshot and u. Memory figures are
// u's own.
func (u Usage) Sub(earlier Usage) Usage {
	d := u
	d.CPU -= earlier.CPU
	d.CPUTicks -= earlier.CPUTicks
	d.Switches -= earlier.Switches
	return d
}

// ReadUsage reads pid's resource use.
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	// The CPU-time clock of a whole process is ~pid<<3 | CPUCLOCK_SCHED.
	var ts unix.Timespec
	if err := unix.ClockGettime(int32((^pid)<<3|2), &ts); err != nil {
		return u, fmt.Errorf("cpu clock of %d: %w", pid, err)
	}
	u.CPU = time.Duration(ts.Nano())

	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return u, err
	}
	// The command name may hold spaces; the fields resume after its ')'.
	rest := stat[bytes.LastIndexByte(stat, ')')+2:]
	fields := strings.Fields(string(rest))
	// utime and stime are fields 14 and 15 of the full line, 12 and 13
	// after pid and comm.
	if len(fields) < 13 {
		return u, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return u, fmt.Errorf("/proc/%d/stat: bad utime/stime", pid)
	}
	u.CPUTicks = time.Duration(ut+st) * clockTick

	status, err := readStatus(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	u.RSS, u.HWM = status["VmRSS"]*1024, status["VmHWM"]*1024

	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil {
		return u, err
	}
	for _, t := range tasks {
		st, err := readStatus(t)
		if err != nil {
			continue // the thread exited meanwhile
		}
		u.Switches += st["voluntary_ctxt_switches"] + st["nonvoluntary_ctxt_switches"]
		u.Threads++
	}
	return u, nil
}

// readStatus reads the numeric fields of a /proc status file ("VmRSS:
// 1234 kB" gives VmRSS = 1234).
func readStatus(path string) (map[string]int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(val)
		if len(fs) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(fs[0], 10, 64); err == nil {
			out[name] = n
		}
	}
	return out, sc.Err()
}

// MiB converts bytes to mebibytes.
func MiB(b int64) float64 { return float64(b) / (1 << 20) }
