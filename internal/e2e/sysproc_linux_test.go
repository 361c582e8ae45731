package e2e

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group when group is set,
// so that it and every process it spawns can be killed together, and asks
// the kernel to kill it if the test binary dies without running cleanups.
func setProcAttr(cmd *exec.Cmd, group bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group, Pdeathsig: syscall.SIGKILL}
}
