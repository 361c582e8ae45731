package control

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultSocket returns $XDG_RUNTIME_DIR/crampd/crampd.sock, or a private
// directory under the temporary directory when there is no runtime
// directory.
func DefaultSocket(getenv func(string) string) string {
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "crampd-"+strconv.Itoa(os.Getuid()))
		return filepath.Join(dir, "crampd.sock")
	}
	return filepath.Join(dir, "crampd", "crampd.sock")
}

// ErrRunning means another daemon answers on the socket.
var ErrRunning = errors.New("crampd is already running")

// Listen opens the control socket at path: its directory is made 0700 and
// the socket 0600. A stale socket left by a crash is replaced; one that
// answers belongs to a running daemon, and Listen refuses it.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("socket directory %s belongs to another user", dir)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("%w (socket %s)", ErrRunning, path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("remove stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, fmt.Errorf("socket permissions: %w", err)
	}
	return l, nil
}

// peerUID reads the connecting process's uid from the kernel (SO_PEERCRED),
// which a client cannot forge.
func peerUID(c net.Conn) (int, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return -1, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return -1, err
	}
	var (
		cred *unix.Ucred
		cerr error
	)
	err = raw.Control(func(fd uintptr) {
		cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err != nil {
		return -1, err
	}
	if cerr != nil {
		return -1, cerr
	}
	return int(cred.Uid), nil
}

// CheckPeer allows a peer only when it runs as the daemon's own user.
func CheckPeer(peer, self int) error {
	if peer < 0 || peer != self {
		return fmt.Errorf("peer uid %d is not the daemon's uid %d", peer, self)
	}
	return nil
}
