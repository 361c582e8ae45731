package webhook_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/webhook"
)

var now = time.Date(2025, 3, 14, 21, 30, 5, 0, time.UTC)

func message(attempt int) notify.Message {
	zone := time.FixedZone("CET", 3600)
	return notify.Message{
		ID:      "msg_2m9VaQz5",
		Attempt: attempt,
		Occurrence: domain.Occurrence{
			ID:    "medication-0123456789ab",
			Kind:  domain.KindMedication,
			Rule:  "medication/Magnesium/22:00",
			At:    time.Date(2025, 3, 14, 22, 0, 0, 0, zone),
			Title: "Magnesium",
			Body:  "Take 300 mg magnesium.",
			Why:   "Your doctor suggested it for night cramps.",
		},
	}
}

// request is what a test receiver saw.
type request struct {
	header http.Header
	body   []byte
}

// recorder is a real HTTP receiver that records every request and answers
// with the status the test chose.
func recorder(t *testing.T, status int) (*httptest.Server, func() []request) {
	t.Helper()
	var (
		mu   sync.Mutex
		reqs []request
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read request body: %v", err)
		}
		mu.Lock()
		reqs = append(reqs, request{header: r.Header.Clone(), body: body})
		mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), reqs...)
	}
}

func newNotifier(t *testing.T, cfg webhook.Config) *webhook.Notifier {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = clockwork.NewFakeClockAt(now)
	}
	n, err := webhook.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return n
}

func TestNotifyPayloadAndHeaders(t *testing.T) {
	srv, requests := recorder(t, http.StatusNoContent)
	n := newNotifier(t, webhook.Config{URL: srv.URL + "/hook"})

	if err := n.Notify(context.Background(), message(1)); err != nil {
		t.Fatalf("Notify: %v", err)
	}

	reqs := requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver saw %d requests, want 1", len(reqs))
	}
	want := `{"type":"reminder.due","timestamp":"2025-03-14T21:30:05Z","data":{"id":"medication-0123456789ab","kind":"medication","title":"Magnesium","body":"Take 300 mg magnesium.","why":"Your doctor suggested it for night cramps.","scheduled_at":"2025-03-14T22:00:00+01:00","attempt":1}}`
	if got := string(reqs[0].body); got != want {
		t.Errorf("body mismatch\n got: %s\nwant: %s", got, want)
	}
	for _, h := range []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"User-Agent", "crampd"},
		{"Webhook-Id", "msg_2m9VaQz5"},
		{"Webhook-Timestamp", strconv.FormatInt(now.Unix(), 10)},
		{"Webhook-Signature", ""},
	} {
		if got := reqs[0].header.Get(h.name); got != h.want {
			t.Errorf("header %s = %q, want %q", h.name, got, h.want)
		}
	}
}

// verify checks a request's signature the way a receiver would, written
// independently of webhook.Sign.
func verify(t *testing.T, key []byte, r request) {
	t.Helper()
	id := r.header.Get("webhook-id")
	ts := r.header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, key)
	io.WriteString(mac, id+"."+ts+"."+string(r.body))
	want := mac.Sum(nil)

	for _, sig := range strings.Fields(r.header.Get("webhook-signature")) {
		version, enc, ok := strings.Cut(sig, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(enc)
		if err == nil && hmac.Equal(got, want) {
			return
		}
	}
	t.Errorf("no valid v1 signature in %q", r.header.Get("webhook-signature"))
}

func TestNotifySignsAndKeepsIDAcrossAttempts(t *testing.T) {
	srv, requests := recorder(t, http.StatusOK)
	clock := clockwork.NewFakeClockAt(now)
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	n := newNotifier(t, webhook.Config{URL: srv.URL, Secret: webhook.DecodeSecret(secret), Clock: clock})

	if err := n.Notify(context.Background(), message(1)); err != nil {
		t.Fatalf("first attempt: %v", err)
	}
	clock.Advance(90 * time.Second)
	if err := n.Notify(context.Background(), message(2)); err != nil {
		t.Fatalf("second attempt: %v", err)
	}

	reqs := requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver saw %d requests, want 2", len(reqs))
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reqs {
		verify(t, key, r)
	}
	if a, b := reqs[0].header.Get("webhook-id"), reqs[1].header.Get("webhook-id"); a != b || a != "msg_2m9VaQz5" {
		t.Errorf("webhook-id changed between attempts: %q, %q", a, b)
	}
	if a, b := reqs[0].header.Get("webhook-timestamp"), reqs[1].header.Get("webhook-timestamp"); a == b {
		t.Errorf("retry reused timestamp %s; receivers would treat it as a replay", a)
	}
}

func TestNotifyClassifiesStatus(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter func() string
		permanent  bool
		hint       time.Duration
	}{
		{name: "500 retryable", status: 500},
		{name: "503 retryable", status: 503},
		{name: "408 retryable", status: 408},
		{name: "429 retryable", status: 429},
		{name: "429 retry-after seconds", status: 429, retryAfter: func() string { return "7" }, hint: 7 * time.Second},
		{name: "429 retry-after date", status: 429, retryAfter: func() string { return now.Add(2 * time.Minute).Format(http.TimeFormat) }, hint: 2 * time.Minute},
		{name: "503 retry-after seconds", status: 503, retryAfter: func() string { return "30" }, hint: 30 * time.Second},
		{name: "400 permanent", status: 400, permanent: true},
		{name: "404 permanent", status: 404, permanent: true},
		{name: "410 permanent", status: 410, permanent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != nil {
					w.Header().Set("Retry-After", tt.retryAfter())
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, `{"error":"nope"}`)
			}))
			defer srv.Close()
			n := newNotifier(t, webhook.Config{URL: srv.URL})

			err := n.Notify(context.Background(), message(1))
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			t.Logf("error: %v", err)
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (err %v)", got, tt.permanent, err)
			}
			got, _ := notify.RetryAfterHint(err)
			if got != tt.hint {
				t.Errorf("RetryAfterHint = %v, want %v", got, tt.hint)
			}
			if !strings.Contains(err.Error(), strconv.Itoa(tt.status)) || !strings.Contains(err.Error(), `{"error":"nope"}`) {
				t.Errorf("error %q should name the status and quote the body", err)
			}
		})
	}
}

func TestNotifyDoesNotFollowRedirects(t *testing.T) {
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed.Add(1)
	}))
	defer target.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/elsewhere?token=leaked", http.StatusFound)
	}))
	defer srv.Close()
	n := newNotifier(t, webhook.Config{URL: srv.URL})

	err := n.Notify(context.Background(), message(1))
	if err == nil {
		t.Fatal("Notify succeeded on a redirect")
	}
	t.Logf("error: %v", err)
	if !notify.IsPermanent(err) {
		t.Errorf("redirect error %v is retryable, want permanent", err)
	}
	if followed.Load() != 0 {
		t.Error("redirect was followed")
	}
	if !strings.Contains(err.Error(), "302") || !strings.Contains(err.Error(), "redirect") {
		t.Errorf("error %q does not explain the redirect", err)
	}
	if strings.Contains(err.Error(), "leaked") {
		t.Errorf("error %q quotes the redirect target", err)
	}
}

// countingTransport counts the response body bytes the client reads.
type countingTransport struct{ read atomic.Int64 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &countingBody{ReadCloser: resp.Body, n: &c.read}
	return resp, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

func TestNotifyCapsResponseBody(t *testing.T) {
	chunk := strings.Repeat("x", 64<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		for range (10 << 20) / len(chunk) {
			if _, err := io.WriteString(w, chunk); err != nil {
				return // the client hung up, as it should
			}
		}
	}))
	defer srv.Close()
	transport := &countingTransport{}
	n := newNotifier(t, webhook.Config{URL: srv.URL, Client: &http.Client{Transport: transport}})

	err := n.Notify(context.Background(), message(1))
	if err == nil || notify.IsPermanent(err) {
		t.Fatalf("Notify = %v, want a retryable error", err)
	}
	if got := transport.read.Load(); got > httpx.MaxResponseBody+1 {
		t.Errorf("read %d bytes of the response, want at most %d", got, httpx.MaxResponseBody+1)
	}
	if len(err.Error()) > 1024 {
		t.Errorf("error message is %d bytes long, want a short snippet", len(err.Error()))
	}
}

func TestNotifyHangingServerIsCutByContext(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	n := newNotifier(t, webhook.Config{URL: srv.URL})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- n.Notify(ctx, message(1)) }()
	<-arrived
	cancel()

	err := <-errc
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Notify = %v, want context.Canceled", err)
	}
	if notify.IsPermanent(err) {
		t.Errorf("cancelled attempt %v is permanent, want retryable", err)
	}
}

func TestNotifyRedactsURLSecrets(t *testing.T) {
	// A closed server refuses the connection, so net/http reports an error
	// that quotes the request URL.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("user", "pass")
	u.RawQuery = "token=s3cret"
	n := newNotifier(t, webhook.Config{URL: u.String()})

	err = n.Notify(context.Background(), message(1))
	if err == nil {
		t.Fatal("Notify to a closed server succeeded")
	}
	t.Logf("error: %v", err)
	for _, secret := range []string{"s3cret", "pass"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	if notify.IsPermanent(err) {
		t.Errorf("connection error %v is permanent, want retryable", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  webhook.Config
	}{
		{name: "no url", cfg: webhook.Config{Clock: clockwork.NewFakeClock()}},
		{name: "not http", cfg: webhook.Config{URL: "ftp://example.com/?token=s3cret", Clock: clockwork.NewFakeClock()}},
		{name: "unparsable", cfg: webhook.Config{URL: "https://exa mple.com/?token=s3cret", Clock: clockwork.NewFakeClock()}},
		{name: "no clock", cfg: webhook.Config{URL: "https://example.com/hook"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := webhook.New(tt.cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

func TestNotifyRejectsUnusableMessageID(t *testing.T) {
	tests := []struct {
		name string
		id   string
	}{
		{name: "empty", id: ""},
		{name: "newline", id: "msg\n1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, requests := recorder(t, http.StatusOK)
			n := newNotifier(t, webhook.Config{URL: srv.URL})
			m := message(1)
			m.ID = tt.id

			err := n.Notify(context.Background(), m)
			if !notify.IsPermanent(err) {
				t.Errorf("Notify = %v, want a permanent error", err)
			}
			if got := len(requests()); got != 0 {
				t.Errorf("receiver saw %d requests, want 0", got)
			}
		})
	}
}

// TestSignSpecVector checks the example published with the Standard
// Webhooks specification and its reference libraries, so that receivers
// using those libraries accept crampd's signatures.
func TestSignSpecVector(t *testing.T) {
	key := webhook.DecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	got := webhook.Sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, []byte(`{"test": 2432232314}`))
	const want = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestParseSecret(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "whsec", in: "whsec_aGVsbG8gd29ybGQ=", want: "hello world"},
		{name: "whsec without padding", in: "whsec_aGVsbG8gd29ybGQ", want: "hello world"},
		{name: "raw passphrase", in: "correct horse battery", want: "correct horse battery"},
		{name: "empty means unsigned", in: "", want: ""},
		{name: "bad base64", in: "whsec_not base64!", wantErr: true},
		{name: "empty key", in: "whsec_", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := webhook.ParseSecret(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseSecret error = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "base64!") {
					t.Errorf("error %q quotes the secret", err)
				}
				return
			}
			if string(got) != tt.want {
				t.Errorf("ParseSecret = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeSecretFallsBackToRawBytes(t *testing.T) {
	// A broken whsec_ value must still sign (and so be rejected by the
	// receiver) rather than turn into "unsigned".
	got := webhook.DecodeSecret("whsec_not base64!")
	if string(got) != "whsec_not base64!" {
		t.Errorf("DecodeSecret = %q, want the raw value", got)
	}
}
