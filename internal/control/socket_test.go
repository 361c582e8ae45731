package control_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/testutil/impostor"
)

// TestImpostorHelper is the impostor process of the tests below; run on
// its own it does nothing.
func TestImpostorHelper(t *testing.T) {
	if !impostor.Child() {
		t.Skip("the impostor process of TestClientRefusesUntrustedSocket")
	}
	impostor.Main()
}

// privateDir returns a fresh directory of the test's user, mode 0700, with
// a short path (socket paths are limited to 108 bytes).
func privateDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "crampd-sock")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// countingServer serves path with a handler that counts the requests that
// reach it and answers each with an empty JSON object.
func countingServer(t *testing.T, path string) *atomic.Int64 {
	t.Helper()
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		n.Add(1)
		w.Write([]byte("{}"))
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return &n
}

// TestClientRefusesUntrustedSocket points the client at sockets another
// user could serve. Each must be refused with ErrUntrusted and a message
// that names the path, before any request reaches the server; the user's
// own socket in a private directory is talked to.
func TestClientRefusesUntrustedSocket(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the socket path the client is given, and a
		// function that reports the requests that reached its server.
		setup func(t *testing.T) (string, func() int)
		// want is a part of the error message; empty means no error.
		want []string
	}{
		{
			name: "own private directory",
			setup: func(t *testing.T) (string, func() int) {
				sock := filepath.Join(privateDir(t), "crampd.sock")
				n := countingServer(t, sock)
				return sock, func() int { return int(n.Load()) }
			},
		},
		{
			name: "directory open to other users",
			setup: func(t *testing.T) (string, func() int) {
				dir := privateDir(t)
				os.Chmod(dir, 0o777)
				sock := filepath.Join(dir, "crampd.sock")
				n := countingServer(t, sock)
				return sock, func() int { return int(n.Load()) }
			},
			want: []string{"is open to other users (mode 0777)", "chmod 700"},
		},
		{
			name: "directory is a symbolic link",
			setup: func(t *testing.T) (string, func() int) {
				real := privateDir(t)
				n := countingServer(t, filepath.Join(real, "crampd.sock"))
				link := filepath.Join(privateDir(t), "run")
				if err := os.Symlink(real, link); err != nil {
					t.Fatal(err)
				}
				return filepath.Join(link, "crampd.sock"), func() int { return int(n.Load()) }
			},
			want: []string{"is a symbolic link"},
		},
		{
			name: "directory made by another user",
			setup: func(t *testing.T) (string, func() int) {
				// The attack: XDG_RUNTIME_DIR is unset and another user
				// made $TMPDIR/crampd-UID first, and serves a socket in it.
				tmp := privateDir(t)
				// Like /tmp: everyone may create entries, each keeps their own.
				if err := os.Chmod(tmp, 0o1777); err != nil {
					t.Fatal(err)
				}
				sock := filepath.Join(tmp, "crampd-"+strconv.Itoa(os.Getuid()), "crampd.sock")
				im := impostor.Squat(t, "TestImpostorHelper", sock)
				return sock, func() int { return len(im.Requests(t)) }
			},
			want: []string{"belongs to uid " + strconv.Itoa(impostor.UID), "not to you", "pose as crampd", "XDG_RUNTIME_DIR"},
		},
		{
			name: "process of another user in the user's own directory",
			setup: func(t *testing.T) (string, func() int) {
				sock := filepath.Join(privateDir(t), "crampd.sock")
				im := impostor.Serve(t, "TestImpostorHelper", sock)
				return sock, func() int { return len(im.Requests(t)) }
			},
			want: []string{"runs as uid " + strconv.Itoa(impostor.UID), "not your crampd"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sock, reached := tt.setup(t)
			c := control.NewClient(sock)
			_, err := c.Ack(context.Background(), "stretch-0123456789ab")
			if len(tt.want) == 0 {
				if err != nil || reached() != 1 {
					t.Fatalf("ack through the user's own socket: %v, %d requests reached it", err, reached())
				}
				return
			}
			if !errors.Is(err, control.ErrUntrusted) {
				t.Fatalf("ack = %v, want ErrUntrusted", err)
			}
			for _, w := range append(tt.want, filepath.Dir(sock)) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if n := reached(); n != 0 {
				t.Errorf("%d requests reached the untrusted server, want none", n)
			}
		})
	}
}

// TestListenRefusesSquattedDirectory has another user make the socket's
// directory first. The daemon must refuse to start there, saying whose
// directory it is and what to do, rather than fail later or serve a
// socket that user could replace.
func TestListenRefusesSquattedDirectory(t *testing.T) {
	tests := []struct {
		name string
		// squat makes dir as the squatter would.
		squat func(t *testing.T, dir string)
		want  []string
	}{
		{
			name: "a symbolic link to a directory of the user's",
			squat: func(t *testing.T, dir string) {
				if err := os.Symlink(privateDir(t), dir); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"is a symbolic link"},
		},
		{
			name: "a directory of another user",
			squat: func(t *testing.T, dir string) {
				impostor.RequireRoot(t)
				if err := os.Mkdir(dir, 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(dir, impostor.UID, impostor.UID); err != nil {
					t.Fatal(err)
				}
			},
			want: []string{"belongs to uid " + strconv.Itoa(impostor.UID), "Have it removed", "XDG_RUNTIME_DIR or --socket"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(privateDir(t), "crampd-"+strconv.Itoa(os.Getuid()))
			tt.squat(t, dir)
			l, err := control.Listen(filepath.Join(dir, "crampd.sock"))
			if err == nil {
				l.Close()
				t.Fatal("Listen in a squatted directory succeeded")
			}
			if !errors.Is(err, control.ErrUntrusted) {
				t.Errorf("Listen = %v, want ErrUntrusted", err)
			}
			for _, w := range append(tt.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// systemDir makes a directory shaped like systemd's /run/crampd: inside a
// directory of root's that only root writes, owned by the service's user
// (the impostor's uid plays it), mode 0700.
func systemDir(t *testing.T, owner int, perm os.FileMode) string {
	t.Helper()
	parent := privateDir(t)
	os.Chmod(parent, 0o755)
	dir := filepath.Join(parent, "crampd")
	if err := os.Mkdir(dir, perm); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, perm)
	if err := os.Chown(dir, owner, owner); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "crampd.sock")
}

// Root talks to the system service only when its socket is where only
// systemd could have put it and the process on it runs as the directory's
// owner; anything else is refused before a request is sent.
func TestClientTrustsTheSystemServiceOnlyAsItsOwnUser(t *testing.T) {
	impostor.RequireRoot(t)
	ctx := context.Background()

	sock := systemDir(t, impostor.UID, 0o700)
	svc := impostor.Serve(t, "TestImpostorHelper", sock)
	if _, err := control.NewClientWith(sock, control.System).Status(ctx); err != nil {
		t.Fatalf("the service's own socket: %v", err)
	}
	if n := len(svc.Requests(t)); n != 1 {
		t.Fatalf("the service got %d requests", n)
	}
	if !control.NewClient(control.SystemSocket).System() {
		t.Fatal("a client for the system socket does not use the system's rules")
	}

	for _, tt := range []struct {
		name  string
		owner int
		perm  os.FileMode
		want  string
	}{
		{"served by someone other than the directory's owner", impostor.UID - 1, 0o700, "not as the service's user"},
		{"a directory others can write", impostor.UID, 0o777, "not a directory that only its owner can write"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sock := systemDir(t, tt.owner, tt.perm)
			im := impostor.Serve(t, "TestImpostorHelper", sock)
			_, err := control.NewClientWith(sock, control.System).Status(ctx)
			if !errors.Is(err, control.ErrUntrusted) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrUntrusted saying %q", err, tt.want)
			}
			if n := len(im.Requests(t)); n != 0 {
				t.Fatalf("%d requests reached an untrusted socket", n)
			}
		})
	}
}
