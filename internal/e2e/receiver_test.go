package e2e

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// request is one request a receiver got.
type request struct {
	Header http.Header
	Body   []byte
	At     time.Time
}

// receiver is a local HTTP endpoint standing in for a webhook or ntfy
// server. It records every request and answers with respond.
type receiver struct {
	srv *httptest.Server

	mu   sync.Mutex
	reqs []request

	// respond writes the answer to request n (0-based). It may block; the
	// request's context ends when crampd hangs up or dies.
	respond func(n int, w http.ResponseWriter, r *http.Request, req request)
}

// newReceiver starts a receiver that answers 200 unless respond is set.
func newReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request, req request)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req := request{Header: r.Header.Clone(), Body: body, At: time.Now()}
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, req)
		rc.mu.Unlock()
		if rc.respond != nil {
			rc.respond(n, w, r, req)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// requests returns what the receiver has got so far.
func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

// url returns the receiver's address with path appended.
func (rc *receiver) url(path string) string { return rc.srv.URL + path }
