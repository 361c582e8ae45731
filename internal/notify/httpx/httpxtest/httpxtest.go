// Package httpxtest holds receivers for testing crampd's HTTP channels
// against real HTTP servers.
package httpxtest

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/logging"
)

// Echo starts a receiver that fails every request with a 500 whose body
// quotes the request line and every header back (Authorization included),
// as some error pages and debugging proxies do.
func Echo(t testing.TB) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s %s\n", r.Method, r.URL.RequestURI(), r.Proto)
		keys := make([]string, 0, len(r.Header))
		for k := range r.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, b.String())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Conns counts the connections a server holds open, as the server sees
// them.
type Conns struct {
	mu sync.Mutex
	n  int
}

// Serve starts a server for h that counts its connections in the returned
// Conns.
func Serve(t testing.TB, h http.Handler) (*httptest.Server, *Conns) {
	t.Helper()
	c := &Conns{}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ConnState = c.track
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, c
}

func (c *Conns) track(_ net.Conn, s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch s {
	case http.StateNew:
		c.n++
	case http.StateClosed, http.StateHijacked:
		c.n--
	}
}

// WaitFor polls until the server holds want open connections, failing t
// after five seconds. Polling is needed because the server learns that a
// client closed a connection only when its next read returns.
func (c *Conns) WaitFor(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		n := c.n
		c.mu.Unlock()
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server holds %d open connections, want %d", n, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// NoSecrets fails t when err's text, or the log line crampd writes for it,
// holds any of secrets.
func NoSecrets(t testing.TB, err error, secrets ...string) {
	t.Helper()
	var logs bytes.Buffer
	logging.New(&logs, slog.LevelInfo, true).Warn("delivery will be retried", "err", err)
	for _, s := range secrets {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error text holds %q: %v", s, err)
		}
		if strings.Contains(logs.String(), s) {
			t.Errorf("log line holds %q: %s", s, logs.String())
		}
	}
}
