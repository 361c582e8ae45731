package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/testutil/syncbuf"
)

// fixtureProfile is the day the page tests look at: water every three
// hours from 07:00, food at 12:30, a dose at 09:00 and the stretch at
// 22:30, in Berlin.
const fixtureProfile = `timezone = "Europe/Berlin"
[sleep]
wake = "07:00"
bed  = "23:00"
[hydration]
every = "3h"
[food]
at = ["12:30"]
[[medication]]
name   = "Hydrochlorothiazide"
times  = ["09:00"]
lowers = ["potassium"]
[[channel]]
type = "stdout"
[web]
listen = "127.0.0.1:0"
`

// fixtureStart is 06:55 in Berlin on the fixture day.
var fixtureStart = time.Date(2027, 6, 1, 4, 55, 0, 0, time.UTC)

// syncBuffer collects what goroutines write while the test reads it.
type syncBuffer = syncbuf.Buffer

// page is a running daemon serving the web page, on a fake clock.
type page struct {
	t     *testing.T
	d     *daemon.Daemon
	svc   *app.Service
	clock *clockwork.FakeClock
	dir   string
	logs  *syncBuffer
	// base is the page's address, http://127.0.0.1:PORT.
	base string
}

// startPage runs a daemon on profileText (which must have a [web] table)
// from start.
func startPage(t *testing.T, profileText string, start time.Time, getenv func(string) string) *page {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte(profileText), 0o600); err != nil {
		t.Fatal(err)
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	p := &page{t: t, clock: clockwork.NewFakeClockAt(start), dir: dir, logs: &syncBuffer{}}
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: path, StateDir: filepath.Join(dir, "state"), Clock: p.clock,
		Logger: slog.New(slog.NewTextHandler(p.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv: getenv, Stdout: io.Discard, StopGrace: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.d, p.svc = d, d.Service()
	t.Cleanup(func() {
		if p.d != nil {
			if err := p.d.Stop(); err != nil {
				t.Errorf("stop: %v", err)
			}
		}
	})
	l := p.login()
	u, _ := url.Parse(l)
	p.base = u.Scheme + "://" + u.Host
	return p
}

// login returns a fresh one-time sign-in link.
func (p *page) login() string {
	p.t.Helper()
	l, err := p.svc.WebLogin(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return l.URL
}

// client returns an HTTP client that keeps cookies and does not follow
// redirects, so that each answer can be checked.
func (p *page) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// signedIn returns a client signed in through a one-time link.
func (p *page) signedIn() *http.Client {
	p.t.Helper()
	c := p.client()
	resp, err := c.Get(p.login())
	if err != nil {
		p.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		p.t.Fatalf("sign in: %s", resp.Status)
	}
	return c
}

// do sends a request with the headers a browser sends for a same-origin
// form post, and returns the status and body.
func (p *page) do(c *http.Client, method, path string, form url.Values, header map[string]string) (int, string, http.Header) {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, p.base+path, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if method == http.MethodPost {
		req.Header.Set("Origin", p.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for k, v := range header {
		if k == "Host" {
			// The client would pick cookies for this name; send the
			// page's own, as a browser that was sent here would.
			req.Host = v
			if c.Jar != nil {
				for _, ck := range c.Jar.Cookies(req.URL) {
					req.AddCookie(ck)
				}
			}
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// get fetches a page and fails unless it answers 200.
func (p *page) get(c *http.Client, path string) string {
	p.t.Helper()
	status, body, _ := p.do(c, http.MethodGet, path, nil, nil)
	if status != http.StatusOK {
		p.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	return body
}

// recordStatus reads an occurrence's status from the state database
// itself, as another process would.
func (p *page) recordStatus(id string) domain.Status {
	p.t.Helper()
	st, err := store.OpenReadOnly(context.Background(), filepath.Join(p.dir, "state"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer st.Close()
	rec, err := st.Record(context.Background(), id)
	if err != nil {
		p.t.Fatal(err)
	}
	return rec.Status
}

// advance moves the fake clock by d and waits until the daemon says it
// fired what came due: it waits for the daemon's goroutines, not for time.
func (p *page) advance(d time.Duration, fires bool) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	events := p.svc.Subscribe(ctx)
	p.clock.Advance(d)
	if !fires {
		return
	}
	for {
		select {
		case e := <-events:
			if e.Kind == app.EventFired {
				return
			}
		case <-ctx.Done():
			p.t.Fatalf("nothing fired after moving the clock by %s\nlogs:\n%s", d, p.logs.String())
		}
	}
}
