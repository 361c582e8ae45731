package registry

import (
	"os"

	"golang.org/x/sys/unix"
)

// pseudoFS names the kernel file systems whose files look regular but are
// windows onto the kernel or another process (/proc/self/environ holds the
// whole environment, with every variable's secret).
var pseudoFS = map[int64]string{
	unix.PROC_SUPER_MAGIC:    "procfs",
	unix.SYSFS_MAGIC:         "sysfs",
	unix.DEBUGFS_MAGIC:       "debugfs",
	unix.TRACEFS_MAGIC:       "tracefs",
	unix.SECURITYFS_MAGIC:    "securityfs",
	unix.CGROUP_SUPER_MAGIC:  "cgroupfs",
	unix.CGROUP2_SUPER_MAGIC: "cgroup2fs",
	unix.BPF_FS_MAGIC:        "bpffs",
	unix.EFIVARFS_MAGIC:      "efivarfs",
}

// onPseudoFS names the kernel file system f is on, or returns "".
func onPseudoFS(f *os.File) (string, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	var st unix.Statfs_t
	var serr error
	// Control rather than Fd, which would put the file in blocking mode.
	if err := rc.Control(func(fd uintptr) { serr = unix.Fstatfs(int(fd), &st) }); err != nil {
		return "", err
	}
	if serr != nil {
		return "", serr
	}
	return pseudoFS[int64(st.Type)], nil
}
