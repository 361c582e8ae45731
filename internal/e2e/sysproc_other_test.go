//go:build !linux

package e2e

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the child in its own process group when group is set,
// so that it and every process it spawns can be killed together.
func setProcAttr(cmd *exec.Cmd, group bool) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: group}
}
