package ntfy_test

import (
	"context"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/ntfy"
)

var now = time.Date(2025, 3, 14, 21, 30, 5, 0, time.UTC)

func message(kind domain.Kind, title string) notify.Message {
	return notify.Message{
		ID:      "msg_ntfy_1",
		Attempt: 1,
		Occurrence: domain.Occurrence{
			ID:    string(kind) + "-0123456789ab",
			Kind:  kind,
			At:    now,
			Title: title,
			Body:  "Take it with a glass of water.",
			Why:   "Missing doses makes cramps come back.",
		},
	}
}

type seen struct {
	method string
	path   string
	header http.Header
	body   string
}

// topic is a real HTTP server standing in for an ntfy topic.
func topic(t *testing.T) (*httptest.Server, func() seen) {
	t.Helper()
	var (
		mu   sync.Mutex
		last seen
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		last = seen{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: string(b)}
		mu.Unlock()
		io.WriteString(w, `{"id":"abc","event":"message"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, func() seen {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestNotifyRequest(t *testing.T) {
	tests := []struct {
		name         string
		kind         domain.Kind
		title        string
		token        string
		wantTags     string
		wantPriority string
		wantAuth     string
	}{
		{name: "hydration", kind: domain.KindHydration, title: "Drink water", wantTags: "droplet,hydration", wantPriority: "default"},
		{name: "stretch", kind: domain.KindStretch, title: "Calf stretch", wantTags: "leg,stretch", wantPriority: "default"},
		{name: "electrolytes", kind: domain.KindElectrolytes, title: "Electrolytes", wantTags: "salt,electrolytes", wantPriority: "default"},
		{name: "medication is high", kind: domain.KindMedication, title: "Magnesium", wantTags: "pill,medication", wantPriority: "high"},
		{name: "doctor is high", kind: domain.KindDoctor, title: "GP appointment", wantTags: "stethoscope,doctor", wantPriority: "high"},
		{name: "token sent as bearer", kind: domain.KindFood, title: "Banana", token: "tk_abc123", wantTags: "banana,food", wantPriority: "default", wantAuth: "Bearer tk_abc123"},
		{name: "non-ascii title", kind: domain.KindMedication, title: "Magnésium 💊", wantTags: "pill,medication", wantPriority: "high"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, last := topic(t)
			n, err := ntfy.New(ntfy.Config{URL: srv.URL + "/cramps", Token: tt.token, Clock: clockwork.NewFakeClockAt(now)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}

			if err := n.Notify(context.Background(), message(tt.kind, tt.title)); err != nil {
				t.Fatalf("Notify: %v", err)
			}

			got := last()
			if got.method != http.MethodPost || got.path != "/cramps" {
				t.Errorf("request = %s %s, want POST /cramps", got.method, got.path)
			}
			wantBody := "Take it with a glass of water.\n\nMissing doses makes cramps come back."
			if got.body != wantBody {
				t.Errorf("body = %q, want %q", got.body, wantBody)
			}
			title, err := new(mime.WordDecoder).DecodeHeader(got.header.Get("Title"))
			if err != nil || title != tt.title {
				t.Errorf("Title = %q (decoded %q, %v), want %q", got.header.Get("Title"), title, err, tt.title)
			}
			if v := got.header.Get("Tags"); v != tt.wantTags {
				t.Errorf("Tags = %q, want %q", v, tt.wantTags)
			}
			if v := got.header.Get("Priority"); v != tt.wantPriority {
				t.Errorf("Priority = %q, want %q", v, tt.wantPriority)
			}
			if v, ok := got.header["Authorization"]; tt.wantAuth == "" && ok {
				t.Errorf("Authorization sent without a token: %q", v)
			}
			if v := got.header.Get("Authorization"); v != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", v, tt.wantAuth)
			}
			for _, h := range []string{"X-Message-Id", "Webhook-Id"} {
				if v := got.header.Get(h); v != "" {
					t.Errorf("header %s = %q, want none", h, v)
				}
			}
		})
	}
}

func TestNotifyBodyWithoutWhy(t *testing.T) {
	srv, last := topic(t)
	n, err := ntfy.New(ntfy.Config{URL: srv.URL + "/cramps", Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	m := message(domain.KindCustom, "Custom")
	m.Occurrence.Why = ""

	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if got := last().body; got != "Take it with a glass of water." {
		t.Errorf("body = %q, want the reminder body alone", got)
	}
}

func TestNotifyClassifiesStatus(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		permanent  bool
		hint       time.Duration
	}{
		{name: "403 forbidden is permanent", status: 403, permanent: true},
		{name: "429 with retry-after", status: 429, retryAfter: "60", hint: time.Minute},
		{name: "502 is retryable", status: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, `{"code":40301,"http":403,"error":"forbidden"}`)
			}))
			defer srv.Close()
			n, err := ntfy.New(ntfy.Config{URL: srv.URL + "/cramps", Token: "tk_s3cret", Clock: clockwork.NewFakeClockAt(now)})
			if err != nil {
				t.Fatalf("New: %v", err)
			}

			err = n.Notify(context.Background(), message(domain.KindHydration, "Drink"))
			if err == nil {
				t.Fatal("Notify succeeded")
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (err %v)", got, tt.permanent, err)
			}
			if got, _ := notify.RetryAfterHint(err); got != tt.hint {
				t.Errorf("RetryAfterHint = %v, want %v", got, tt.hint)
			}
			if strings.Contains(err.Error(), "tk_s3cret") {
				t.Errorf("error %q contains the token", err)
			}
		})
	}
}

func TestNotifyRedactsURLSecrets(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	u, err := url.Parse(srv.URL + "/cramps")
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("user", "pass")
	u.RawQuery = "auth=s3cret"
	n, err := ntfy.New(ntfy.Config{URL: u.String(), Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}

	err = n.Notify(context.Background(), message(domain.KindHydration, "Drink"))
	if err == nil {
		t.Fatal("Notify to a closed server succeeded")
	}
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
		cfg  ntfy.Config
	}{
		{name: "no url", cfg: ntfy.Config{Clock: clockwork.NewFakeClock()}},
		{name: "relative url", cfg: ntfy.Config{URL: "ntfy.sh/cramps", Clock: clockwork.NewFakeClock()}},
		{name: "no clock", cfg: ntfy.Config{URL: "https://ntfy.sh/cramps"}},
		{name: "token with newline", cfg: ntfy.Config{URL: "https://ntfy.sh/cramps", Token: "tk_s3cret\n", Clock: clockwork.NewFakeClock()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ntfy.New(tt.cfg)
			if err == nil {
				t.Fatal("New succeeded")
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}
