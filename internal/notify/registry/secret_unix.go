//go:build unix

package registry

import (
	"io/fs"
	"os"
	"syscall"
)

// ownedByUs reports the owner of fi and whether it is the user crampd runs
// as.
func ownedByUs(fi fs.FileInfo) (uid int, ok bool) {
	st, isStat := fi.Sys().(*syscall.Stat_t)
	if !isStat {
		return -1, false
	}
	return int(st.Uid), int(st.Uid) == os.Geteuid()
}
