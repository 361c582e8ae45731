package rig

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// NotifyMsg is one sd_notify datagram, stamped when the harness read it.
type NotifyMsg struct {
	At    time.Time
	State []string // its lines, e.g. "READY=1"
}

// Has reports whether the message carries the assignment kv ("READY=1").
func (m NotifyMsg) Has(kv string) bool {
	for _, s := range m.State {
		if s == kv {
			return true
		}
	}
	return false
}

// NotifySocket plays the service manager's side of sd_notify: crampd sends
// READY=1, RELOADING=1 and STOPPING=1 to it.
type NotifySocket struct {
	Path string
	conn *net.UnixConn

	mu      sync.Mutex
	msgs    []NotifyMsg
	changed chan struct{}
}

// ListenNotify binds a unixgram socket at dir/name.
func ListenNotify(dir, name string) (*NotifySocket, error) {
	path := filepath.Join(dir, name)
	os.Remove(path)
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return nil, err
	}
	s := &NotifySocket{Path: path, conn: conn, changed: make(chan struct{})}
	go s.read()
	return s, nil
}

func (s *NotifySocket) read() {
	buf := make([]byte, 8192)
	for {
		n, _, err := s.conn.ReadFromUnix(buf)
		at := time.Now()
		if err != nil {
			return
		}
		msg := NotifyMsg{At: at, State: strings.Split(strings.TrimSpace(string(buf[:n])), "\n")}
		s.mu.Lock()
		s.msgs = append(s.msgs, msg)
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

// Close stops listening and removes the socket file.
func (s *NotifySocket) Close() error {
	err := s.conn.Close()
	os.Remove(s.Path)
	return err
}

// Messages returns every message read so far.
func (s *NotifySocket) Messages() []NotifyMsg {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]NotifyMsg(nil), s.msgs...)
}

// ErrGone means the process exited before sending what was awaited.
var ErrGone = errors.New("crampd exited")

// Await returns the first message at index from or later that carries kv,
// and its index. It gives up when ctx ends or gone is closed.
func (s *NotifySocket) Await(ctx context.Context, gone <-chan struct{}, from int, kv string) (NotifyMsg, int, error) {
	for {
		s.mu.Lock()
		for i := from; i < len(s.msgs); i++ {
			if s.msgs[i].Has(kv) {
				m := s.msgs[i]
				s.mu.Unlock()
				return m, i, nil
			}
		}
		from = max(from, len(s.msgs))
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return NotifyMsg{}, 0, ctx.Err()
		case <-gone:
			// A message sent just before exiting may still be unread.
			select {
			case <-changed:
				continue
			case <-time.After(50 * time.Millisecond):
			}
			s.mu.Lock()
			n := len(s.msgs)
			s.mu.Unlock()
			if n > from {
				continue
			}
			return NotifyMsg{}, 0, ErrGone
		}
	}
}
