package control

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
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
//
// The fallback lives in a directory every user can write to, so another
// user can create crampd-UID first. Listen and the client both refuse a
// socket directory that is not the user's own (see ErrUntrusted).
func DefaultSocket(getenv func(string) string) string {
	dir := getenv("XDG_RUNTIME_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "crampd-"+strconv.Itoa(os.Getuid()))
		return filepath.Join(dir, "crampd.sock")
	}
	return filepath.Join(dir, "crampd", "crampd.sock")
}

// SystemSocket is where the system service (`crampd install --system`)
// listens: systemd makes its directory, owned by the service's own user,
// in root's /run.
const SystemSocket = "/run/crampd/crampd.sock"

// Trust says whose daemon a client may talk to.
type Trust int

const (
	// Own is the user's own daemon: a private directory of the user's,
	// served by a process of the user's.
	Own Trust = iota
	// System is the system service: a directory in root's /run owned by
	// the service's user, served by that user. Only root may connect.
	System
)

// Locate returns the socket the commands talk to when none is given: the
// user's own, or the system service's when the user has none and the
// system service runs (its directory exists only while it does).
func Locate(getenv func(string) string) (string, Trust) {
	return locate(DefaultSocket(getenv), SystemSocket)
}

func locate(user, system string) (string, Trust) {
	if _, err := os.Lstat(user); err == nil {
		return user, Own
	}
	if _, err := os.Lstat(filepath.Dir(system)); err == nil {
		return system, System
	}
	return user, Own
}

// ErrRootOnly means the socket is the system service's, and only root may
// control it.
var ErrRootOnly = errors.New("only root may control the system crampd")

// ErrRunning means another daemon answers on the socket.
var ErrRunning = errors.New("crampd is already running")

// ErrUntrusted means a control socket, its directory or the process on it
// is not the user's own: another user may be posing as crampd, and
// neither the daemon nor the client will use it.
var ErrUntrusted = errors.New("control socket not trusted")

// ownDir checks that fi, from os.Lstat(dir), is a directory that the
// process's user owns, not a symbolic link to one. A directory another
// user made where crampd would put its socket lets that user serve the
// socket, or delete and replace crampd's.
func ownDir(dir string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%w: socket directory %s is a symbolic link, which crampd does not follow; remove it, or set XDG_RUNTIME_DIR or --socket to a directory of your own",
			ErrUntrusted, dir)
	case !fi.IsDir():
		return fmt.Errorf("%w: socket directory %s is not a directory; remove it, or set XDG_RUNTIME_DIR or --socket to a directory of your own",
			ErrUntrusted, dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%w: cannot tell who owns socket directory %s", ErrUntrusted, dir)
	}
	if self := os.Getuid(); int(st.Uid) != self {
		return fmt.Errorf("%w: socket directory %s belongs to uid %d, not to you (uid %d): another user may have made it to pose as crampd. "+
			"Have it removed (by its owner or root), or set XDG_RUNTIME_DIR or --socket to a directory of your own",
			ErrUntrusted, dir, st.Uid, self)
	}
	return nil
}

// Listen opens the control socket at path: its directory is made 0700 and
// the socket 0600. The directory must be the user's own (see ownDir). A
// stale socket left by a crash is replaced; one that answers belongs to a
// running daemon, and Listen refuses it.
func Listen(path string) (net.Listener, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create socket directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, fmt.Errorf("socket directory: %w", err)
	}
	if err := ownDir(dir, fi); err != nil {
		return nil, err
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

// dialOwn connects to the control socket at path, but only to the user's
// own daemon: the socket's directory must be the user's and private
// (0700, as Listen leaves it), and the process on the socket must run as
// the user, which the kernel reports (SO_PEERCRED) and no peer can forge.
// Anything else is refused with ErrUntrusted before a byte is sent, so
// that cramp notes and acks never reach another user. A missing directory,
// or a missing socket in the user's own directory, is returned as the
// error ENOENT: no daemon runs there.
func dialOwn(ctx context.Context, d *net.Dialer, path string) (net.Conn, error) {
	dir := filepath.Dir(path)
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	if err := ownDir(dir, fi); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(path); err != nil {
		return nil, err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("%w: socket directory %s is open to other users (mode %04o), but crampd keeps it 0700; run chmod 700 %s",
			ErrUntrusted, dir, perm, dir)
	}
	self := os.Getuid()
	return dialAs(ctx, d, path, self,
		fmt.Sprintf("not as you (uid %d), so it is not your crampd; stop it, or set XDG_RUNTIME_DIR or --socket to a directory of your own", self))
}

// dialSystem connects to the system service's socket at path. Its
// directory must sit in a directory of root's that no one else can write,
// be owned by the service's user and writable by no one else, and the
// process on the socket must run as that user: nothing else could have
// made it. A user who is not root cannot connect (ErrRootOnly).
func dialSystem(ctx context.Context, d *net.Dialer, path string) (net.Conn, error) {
	dir := filepath.Dir(path)
	parent := filepath.Dir(dir)
	pfi, err := os.Lstat(parent)
	if err != nil {
		return nil, err
	}
	if st, ok := pfi.Sys().(*syscall.Stat_t); !ok || st.Uid != 0 || !pfi.IsDir() || pfi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%w: %s, which holds the system socket's directory, is not a directory of root's that only root can write", ErrUntrusted, parent)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&fs.ModeSymlink != 0 || !fi.IsDir() || fi.Mode().Perm()&0o022 != 0 {
		return nil, fmt.Errorf("%w: the system socket's directory %s is not a directory that only its owner can write", ErrUntrusted, dir)
	}
	c, err := dialAs(ctx, d, path, int(st.Uid), fmt.Sprintf("not as the service's user (uid %d) that owns %s", st.Uid, dir))
	if errors.Is(err, fs.ErrPermission) {
		return nil, fmt.Errorf("%w (on %s): run the command with sudo", ErrRootOnly, path)
	}
	return c, err
}

// dialAs connects to path and keeps the connection only when the process
// serving it runs as uid; otherwise it says whom it found, and why that is
// not enough (whyNot).
func dialAs(ctx context.Context, d *net.Dialer, path string, uid int, whyNot string) (net.Conn, error) {
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, err
	}
	found, err := peerUID(c)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: cannot tell who serves %s: %w", ErrUntrusted, path, err)
	}
	if found != uid {
		c.Close()
		return nil, fmt.Errorf("%w: the process serving %s runs as uid %d, %s", ErrUntrusted, path, found, whyNot)
	}
	return c, nil
}

// peerUID reads the uid of the process on the other end of c from the
// kernel (SO_PEERCRED), which the peer cannot forge: for the daemon, the
// client that connected; for the client, the process that listens.
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
