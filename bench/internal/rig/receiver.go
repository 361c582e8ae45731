package rig

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Receipt is one webhook request as the receiver saw it.
type Receipt struct {
	// At is when the handler was entered, read before the body.
	At        time.Time
	WebhookID string
	ID        string
	Kind      string
	Title     string
	Scheduled time.Time
	Attempt   int
	// SigOK reports a valid Standard Webhooks signature.
	SigOK bool
	// Status is what the receiver answered; 0 for a reset or a hang.
	Status int
}

// Action is how the receiver answers one request.
type Action struct {
	// Status is the HTTP status to answer; 0 means 200.
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Reset closes the connection with a TCP RST instead of answering.
	Reset bool
	// Hang holds the request until Release or the client gives up.
	Hang bool
	// BodyBytes, when positive, is the size of the answer's body (zeros),
	// written after the status until the client stops reading.
	BodyBytes int64
}

// Decider picks the answer to a request; seen counts the earlier requests
// with the same webhook-id.
type Decider func(r Receipt, seen int) Action

// Receiver is a loopback Standard Webhooks endpoint that records what it
// gets.
type Receiver struct {
	URL    string
	Secret string // the whsec_ secret crampd signs with

	key    []byte
	srv    *http.Server
	decide atomic.Pointer[Decider]

	mu       sync.Mutex
	requests []Receipt
	seen     map[string]int // requests per webhook-id
	accepted map[string]int // 2xx answers per webhook-id
	changed  chan struct{}
	release  chan struct{}
	bad      int // requests that failed to parse or verify
	conns    int // TCP connections accepted
}

// NewReceiver starts a receiver on 127.0.0.1 with a fresh secret; it
// answers 200 until SetDecider says otherwise.
func NewReceiver() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	key := make([]byte, 32)
	rand.Read(key)
	r := &Receiver{
		URL:      "http://" + ln.Addr().String() + "/hook",
		Secret:   "whsec_" + base64.StdEncoding.EncodeToString(key),
		key:      key,
		seen:     map[string]int{},
		accepted: map[string]int{},
		changed:  make(chan struct{}),
		release:  make(chan struct{}),
	}
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve), ReadHeaderTimeout: 30 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				r.mu.Lock()
				r.conns++
				r.mu.Unlock()
			}
		}}
	go r.srv.Serve(ln)
	return r, nil
}

// SetDecider replaces how requests are answered; nil answers 200.
func (r *Receiver) SetDecider(d Decider) {
	if d == nil {
		r.decide.Store(nil)
		return
	}
	r.decide.Store(&d)
}

// Release lets every hanging request go; they are answered 503.
func (r *Receiver) Release() {
	r.mu.Lock()
	close(r.release)
	r.release = make(chan struct{})
	r.mu.Unlock()
}

// Close stops the receiver.
func (r *Receiver) Close() {
	r.Release()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	r.srv.Shutdown(ctx)
	r.srv.Close()
}

type event struct {
	Type string `json:"type"`
	Data struct {
		ID          string `json:"id"`
		Kind        string `json:"kind"`
		Title       string `json:"title"`
		ScheduledAt string `json:"scheduled_at"`
		Attempt     int    `json:"attempt"`
	} `json:"data"`
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	at := time.Now()
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	rc := Receipt{At: at, WebhookID: req.Header.Get("webhook-id")}
	var ev event
	if err == nil {
		err = json.Unmarshal(body, &ev)
	}
	if err != nil || ev.Type != "reminder.due" || rc.WebhookID == "" {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	rc.ID, rc.Kind, rc.Title, rc.Attempt = ev.Data.ID, ev.Data.Kind, ev.Data.Title, ev.Data.Attempt
	rc.Scheduled, _ = time.Parse(time.RFC3339, ev.Data.ScheduledAt)
	rc.SigOK = r.verify(req.Header, body)

	r.mu.Lock()
	seen := r.seen[rc.WebhookID]
	r.seen[rc.WebhookID]++
	release := r.release
	r.mu.Unlock()

	var act Action
	if d := r.decide.Load(); d != nil {
		act = (*d)(rc, seen)
	}
	switch {
	case act.Reset:
		r.record(rc)
		reset(w)
		return
	case act.Hang:
		r.record(rc)
		select {
		case <-release:
		case <-req.Context().Done():
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rc.Status = act.Status
	if rc.Status == 0 {
		rc.Status = http.StatusOK
	}
	if act.RetryAfter != "" {
		w.Header().Set("Retry-After", act.RetryAfter)
	}
	// Recorded before answering: once crampd has the answer it may count
	// the delivery done, and the harness must already know of it.
	r.record(rc)
	if act.BodyBytes > 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(act.BodyBytes, 10))
	}
	w.WriteHeader(rc.Status)
	chunk := make([]byte, 64<<10)
	for left := act.BodyBytes; left > 0; left -= int64(len(chunk)) {
		if _, err := w.Write(chunk[:min(left, int64(len(chunk)))]); err != nil {
			return
		}
	}
}

// reset drops the connection with an RST, as a crashed or overloaded
// endpoint (or a middlebox) does.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("receiver: connection cannot be hijacked")
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

func (r *Receiver) record(rc Receipt) {
	r.mu.Lock()
	r.requests = append(r.requests, rc)
	if rc.Status >= 200 && rc.Status < 300 {
		r.accepted[rc.WebhookID]++
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// verify checks the webhook-signature header: "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>", possibly among several space-separated signatures.
func (r *Receiver) verify(h http.Header, body []byte) bool {
	ts := h.Get("webhook-timestamp")
	if _, err := strconv.ParseInt(ts, 10, 64); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, r.key)
	io.WriteString(mac, h.Get("webhook-id")+"."+ts+".")
	mac.Write(body)
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if v, s, ok := strings.Cut(sig, ","); ok && v == "v1" && hmac.Equal([]byte(s), []byte(want)) {
			return true
		}
	}
	return false
}

// Requests returns every request recorded so far, in arrival order.
func (r *Receiver) Requests() []Receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Receipt(nil), r.requests...)
}

// Accepted returns the requests answered 2xx, in arrival order.
func (r *Receiver) Accepted() []Receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Receipt
	for _, rc := range r.requests {
		if rc.Status >= 200 && rc.Status < 300 {
			out = append(out, rc)
		}
	}
	return out
}

// Bad counts requests that were not well-formed reminder events.
func (r *Receiver) Bad() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bad
}

// Conns returns how many TCP connections the receiver has accepted.
func (r *Receiver) Conns() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns
}

// Counts returns how many distinct webhook-ids were accepted and how many
// requests arrived in all.
func (r *Receiver) Counts() (distinct, requests int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.accepted), len(r.requests)
}

// Wait blocks until cond(distinct accepted ids, requests) holds, ctx ends
// or gone (if not nil) is closed; it reports whether cond held.
func (r *Receiver) Wait(ctx context.Context, gone <-chan struct{}, cond func(distinct, requests int) bool) bool {
	for {
		r.mu.Lock()
		ok := cond(len(r.accepted), len(r.requests))
		changed := r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return false
		case <-gone:
			return false
		}
	}
}
