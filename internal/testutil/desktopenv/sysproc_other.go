//go:build !linux

package desktopenv

import "os/exec"

// setDeathSignal does nothing where the kernel offers no parent-death
// signal; the test cleanups still stop every child.
func setDeathSignal(*exec.Cmd) {}
