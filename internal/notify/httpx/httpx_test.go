package httpx_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
)

var now = time.Date(2025, 3, 14, 21, 30, 0, 0, time.UTC)

func TestRedact(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string
	}{
		{name: "plain", raw: "https://ntfy.sh/cramps", want: "https://ntfy.sh/cramps"},
		{name: "query token", raw: "https://hooks.example/x?token=s3cret&lang=en", want: "https://hooks.example/x?lang=REDACTED&token=REDACTED"},
		{name: "userinfo", raw: "https://user:pass@hooks.example/x", want: "https://hooks.example/x"},
		{name: "bare query key", raw: "https://hooks.example/x?abcdefsecret", want: "https://hooks.example/x?REDACTED"},
		{name: "fragment dropped", raw: "https://hooks.example/x#frag", want: "https://hooks.example/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := httpx.Redact(u); got != tt.want {
				t.Errorf("Redact(%s) = %s, want %s", tt.raw, got, tt.want)
			}
		})
	}
}

func TestSendRedactsNetworkErrors(t *testing.T) {
	// A server that is closed before the request refuses the connection,
	// which makes net/http return a *url.Error quoting the URL.
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword("alice", "pa55word")
	u.Path = "/hook"
	u.RawQuery = "token=s3cretvalue&x=1"

	req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	err = httpx.Send(context.Background(), httpx.NewClient(nil), clockwork.NewFakeClockAt(now), req)
	if err == nil {
		t.Fatal("Send to a closed server succeeded")
	}
	for _, secret := range []string{"s3cretvalue", "pa55word", "alice"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
	}
	t.Logf("redacted error: %v", err)
	if !strings.Contains(err.Error(), "token=REDACTED") {
		t.Errorf("error %q does not name the redacted endpoint", err)
	}
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Errorf("error %v no longer unwraps to *url.Error", err)
	}
	if notify.IsPermanent(err) {
		t.Errorf("network error %v is permanent, want retryable", err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		value  string
		want   time.Duration
		wantOK bool
	}{
		{name: "seconds", value: "7", want: 7 * time.Second, wantOK: true},
		{name: "seconds with spaces", value: " 120 ", want: 2 * time.Minute, wantOK: true},
		{name: "http date", value: now.Add(90 * time.Second).Format(http.TimeFormat), want: 90 * time.Second, wantOK: true},
		{name: "date in the past", value: now.Add(-time.Minute).Format(http.TimeFormat)},
		{name: "zero", value: "0"},
		{name: "negative", value: "-5"},
		{name: "overflow", value: "99999999999999999"},
		{name: "garbage", value: "soon"},
		{name: "empty", value: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := httpx.ParseRetryAfter(tt.value, now)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.value, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		wantErr    bool
		permanent  bool
		hint       time.Duration
	}{
		{name: "200", status: 200},
		{name: "204", status: 204},
		{name: "301", status: 301, wantErr: true, permanent: true},
		{name: "400", status: 400, wantErr: true, permanent: true},
		{name: "401", status: 401, wantErr: true, permanent: true},
		{name: "404", status: 404, wantErr: true, permanent: true},
		{name: "408", status: 408, wantErr: true},
		{name: "410", status: 410, wantErr: true, permanent: true},
		{name: "429 without hint", status: 429, wantErr: true},
		{name: "429 with hint", status: 429, retryAfter: "30", wantErr: true, hint: 30 * time.Second},
		{name: "503 with date", status: 503, retryAfter: now.Add(time.Hour).Format(http.TimeFormat), wantErr: true, hint: time.Hour},
		{name: "500 ignores retry-after", status: 500, retryAfter: "30", wantErr: true},
		{name: "502", status: 502, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Header: http.Header{}}
			if tt.retryAfter != "" {
				resp.Header.Set("Retry-After", tt.retryAfter)
			}
			err := httpx.CheckResponse(resp, []byte("  oops\n\tdetail "), now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("CheckResponse(%d) = %v, want error %v", tt.status, err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if got := notify.IsPermanent(err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v (err %v)", got, tt.permanent, err)
			}
			got, _ := notify.RetryAfterHint(err)
			if got != tt.hint {
				t.Errorf("RetryAfterHint = %v, want %v", got, tt.hint)
			}
			var se *httpx.StatusError
			if !errors.As(err, &se) || se.StatusCode != tt.status {
				t.Errorf("error %v does not carry status %d", err, tt.status)
			}
			if tt.status >= 300 && tt.status < 400 {
				return
			}
			if !strings.Contains(err.Error(), "oops detail") {
				t.Errorf("error %q lacks the body snippet", err)
			}
		})
	}
}

func TestSnippet(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string
	}{
		{name: "collapses space", body: "a\n\n b\t c", want: "a b c"},
		{name: "control characters", body: "a\x1b[31mb", want: "a [31mb"},
		{name: "invalid utf8", body: "a\xffb", want: "a\uFFFDb"},
		{name: "long", body: strings.Repeat("x", 1000), want: strings.Repeat("x", 256) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := httpx.Snippet([]byte(tt.body)); got != tt.want {
				t.Errorf("Snippet = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseURL(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		wantErr bool
	}{
		{name: "https", raw: "https://ntfy.sh/topic"},
		{name: "http", raw: "http://localhost:8080/hook"},
		{name: "no scheme", raw: "ntfy.sh/topic", wantErr: true},
		{name: "ftp", raw: "ftp://example.com/x", wantErr: true},
		{name: "parse error keeps token out", raw: "https://exa mple.com/x?token=s3cret", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := httpx.ParseURL(tt.raw)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseURL(%q) error = %v, want error %v", tt.raw, err, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

// A receiver's body is quoted only after it is scrubbed, and a token cut in
// two by the read limit or the snippet's length is masked as well.
func TestSendScrubsTheBodyBeforeCuttingIt(t *testing.T) {
	const token = "tk_0123456789abcdefghijklmnopqrstuv"
	tests := []struct {
		name string
		body string
	}{
		{name: "whole token", body: "denied: Bearer " + token},
		{name: "token across the snippet's end", body: strings.Repeat("x", 240) + " " + token},
		{name: "token across the read limit", body: strings.Repeat(" ", httpx.MaxResponseBody-16) + token},
		{name: "token escaped in JSON", body: `{"error":"bad auth","echo":{"authorization":"Bearer ` + token + `"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadGateway)
				io.WriteString(w, tt.body)
			}))
			defer srv.Close()
			req, err := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			err = httpx.Send(context.Background(), httpx.NewClient(nil), clockwork.NewFakeClockAt(now), req)
			if err == nil || !strings.Contains(err.Error(), "502") {
				t.Fatalf("Send = %v, want a 502", err)
			}
			if strings.Contains(err.Error(), "tk_0123") || strings.Contains(err.Error(), "0123456789abcdef") {
				t.Errorf("error quotes (part of) the token: %v", err)
			}
			if !strings.Contains(err.Error(), "REDACTED") {
				t.Errorf("error %v does not show where the token was", err)
			}
		})
	}
}
