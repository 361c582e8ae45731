// Package impostor plays a hostile local user in tests: a process of
// another uid that serves HTTP on a unix socket where crampd's control
// socket would be, and records every request that reaches it, so that a
// test can show that crampd sends it nothing.
//
// The impostor is the test binary itself, copied where the other user can
// run it and started under that user's uid, which needs root. A package
// that uses it has one test (or its TestMain) call Main when Child
// reports that the process is the impostor.
package impostor

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// UID is the user the impostor runs as: nobody, on Debian.
const UID = 65534

// RequireEnv names the variable that makes a test that needs root fail
// rather than skip without it; .ci/run sets it when it runs as root.
const RequireEnv = "CRAMPD_REQUIRE_ROOT"

// childEnv tells a process that it is the impostor, and how it gets its
// socket: "path:P" (it makes P's directory and listens there, as a user
// squatting a shared directory would) or "fd" (it listens on descriptor 3,
// a socket the test bound in a directory the impostor could not write).
const childEnv = "CRAMPD_TEST_IMPOSTOR"

// ready is the line the impostor prints once it listens.
const ready = "impostor listening"

// RequireRoot skips t unless the test runs as root, or fails it when
// RequireEnv is 1.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	msg := "this test plays another local user, which needs root (chown, setuid)"
	if os.Getenv(RequireEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, RequireEnv)
	}
	t.Skip(msg)
}

// Child reports whether this process was started as an impostor.
func Child() bool { return os.Getenv(childEnv) != "" }

// Main serves as the impostor until killed. Call it only when Child is
// true.
func Main() {
	how := os.Getenv(childEnv)
	var (
		l   net.Listener
		err error
	)
	if path, ok := strings.CutPrefix(how, "path:"); ok {
		if err = os.MkdirAll(filepath.Dir(path), 0o755); err == nil {
			l, err = net.Listen("unix", path)
		}
	} else {
		// The test bound the socket; listening here makes this process,
		// and its uid, the one the kernel reports to clients.
		if err = syscall.Listen(3, 16); err == nil {
			l, err = net.FileListener(os.NewFile(3, "bound socket"))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "impostor:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	fmt.Println(ready)
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		fmt.Printf("request %s %s %q\n", r.Method, r.URL.Path, body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	os.Exit(0)
}

// Impostor is a running impostor process.
type Impostor struct {
	path string // the socket it serves
	mu   sync.Mutex
	reqs []string
	done chan struct{}
}

// Squat starts an impostor that makes path's directory (world-readable,
// its own) and serves path. helper is the test that calls Main.
func Squat(t testing.TB, helper, path string) *Impostor {
	t.Helper()
	return start(t, helper, path, "path:"+path, nil)
}

// Serve starts an impostor that serves the socket at path, which the test
// binds (in a directory of its own, where the impostor could not) and the
// impostor listens on. helper is the test that calls Main.
func Serve(t testing.TB, helper, path string) *Impostor {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "impostor socket")
	defer f.Close()
	if err := syscall.Bind(fd, &syscall.SockaddrUnix{Name: path}); err != nil {
		t.Fatalf("bind %s: %v", path, err)
	}
	// The kernel checks write permission on the socket file at connect.
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	return start(t, helper, path, "fd", f)
}

func start(t testing.TB, helper, path, how string, socket *os.File) *Impostor {
	t.Helper()
	RequireRoot(t)
	bin := runnableCopy(t)
	cmd := exec.Command(bin, "-test.run=^"+helper+"$")
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = []string{childEnv + "=" + how, "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: UID, Gid: UID}, Pdeathsig: syscall.SIGKILL}
	if socket != nil {
		cmd.ExtraFiles = []*os.File{socket}
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the impostor as uid %d: %v", UID, err)
	}
	im := &Impostor{path: path, done: make(chan struct{})}
	up := make(chan struct{})
	go func() {
		defer close(im.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			if line == ready {
				close(up)
				continue
			}
			if req, ok := strings.CutPrefix(line, "request "); ok {
				im.mu.Lock()
				im.reqs = append(im.reqs, req)
				im.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		<-im.done
	})
	select {
	case <-up:
	case <-im.done:
		cmd.Wait()
		t.Fatalf("the impostor exited before listening: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the impostor did not listen within 10 s: %s", stderr.String())
	}
	return im
}

// barrierPath is the path of the request Requests sends to learn that
// the impostor has reported everything that reached it before.
const barrierPath = "/impostor-barrier"

// Requests returns the requests that reached the impostor, each as
// `METHOD PATH "BODY"`. It first sends the impostor a request of its own
// (as root, who may connect to any socket) and waits until that one is
// reported: the impostor reports a request before it answers it, so every
// request sent before Requests was called is in the answer, and a count
// of none means none arrived, not that the report is still on its way.
func (im *Impostor) Requests(t testing.TB) []string {
	t.Helper()
	c := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", im.path)
		}},
	}
	resp, err := c.Get("http://impostor" + barrierPath)
	if err != nil {
		t.Fatalf("reach the impostor at %s: %v", im.path, err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		im.mu.Lock()
		for i, r := range im.reqs {
			if strings.HasPrefix(r, "GET "+barrierPath+" ") {
				out := append([]string(nil), im.reqs[:i]...)
				im.reqs = append(im.reqs[:i:i], im.reqs[i+1:]...)
				im.mu.Unlock()
				return out
			}
		}
		im.mu.Unlock()
		select {
		case <-im.done:
			t.Fatal("the impostor stopped before it reported the test's own request")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("the impostor did not report the test's own request within 10 s")
		}
	}
}

// runnableCopy copies the running test binary into a directory the
// impostor's user can enter: go test builds it in a private one.
func runnableCopy(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "crampd-impostor")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "impostor")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}
