package daemon_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/daemon"
)

const webProfile = doseProfile + `[web]
listen = "127.0.0.1:0"
`

// What the schedule fires reaches the use cases' subscribers (an open web
// page), and the tests' own hook still sees it.
func TestFiredRemindersArePublished(t *testing.T) {
	h := newHarness(t, webProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	h.start()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := h.d.Service().Subscribe(ctx)
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := h.waitFired(1)[0]
	select {
	case e := <-events:
		if e.Kind != app.EventFired || len(e.IDs) != 1 || e.IDs[0] != dose.ID {
			t.Fatalf("event %+v, want the dose %s fired", e, dose.ID)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event for the fired dose")
	}
}

// The web page is served while the daemon runs and not after it stops.
func TestWebPageLifecycle(t *testing.T) {
	h := newHarness(t, webProfile, time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	h.start()
	l, err := h.d.Service().WebLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(l.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		t.Fatalf("sign in: %s at %s", resp.Status, resp.Request.URL)
	}
	h.stop()
	if resp, err := c.Get(l.URL); err == nil {
		resp.Body.Close()
		t.Fatalf("the page answers after the daemon stopped: %s", resp.Status)
	}
	if !strings.Contains(h.logs.String(), `msg="serving the web page" component=web url=http://127.0.0.1:`) {
		t.Errorf("the start was not logged:\n%s", h.logs.String())
	}
}

// A port another program holds stops the start with a clear error, and
// leaves nothing held (the state can be locked again).
func TestWebPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := newHarness(t, strings.Replace(webProfile, "127.0.0.1:0", ln.Addr().String(), 1), time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	opts := daemon.Options{
		ProfilePath: h.path, StateDir: filepath.Join(h.dir, "state"), Clock: h.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Getenv: func(string) string { return "" },
	}
	_, err = daemon.New(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "web page: ") || !strings.Contains(err.Error(), "address already in use") ||
		!strings.Contains(err.Error(), "change listen in [web]") {
		t.Fatalf("start on a port in use: %v", err)
	}
	ln.Close()
	d, err := daemon.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("the failed start left something held: %v", err)
	}
	d.Close()
}

// A reload that changes [web] says it needs a restart; the page stays
// where it was.
func TestWebReloadNeedsARestart(t *testing.T) {
	h := newHarness(t, webProfile, time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	h.start()
	before, _ := h.d.Service().WebLogin(context.Background())
	writeFile(t, h.path, strings.Replace(webProfile, "127.0.0.1:0", "127.0.0.1:1", 1))
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.logs.String(), "the profile's [web] table changed; restart crampd to apply it") {
		t.Fatalf("no word of a restart:\n%s", h.logs.String())
	}
	after, _ := h.d.Service().WebLogin(context.Background())
	if hostOf(before.URL) != hostOf(after.URL) {
		t.Fatalf("the page moved from %s to %s without a restart", before.URL, after.URL)
	}
	// A reload that leaves [web] alone says nothing of it.
	seen := len(h.logs.String())
	writeFile(t, h.path, strings.Replace(webProfile, "127.0.0.1:0", "127.0.0.1:1", 1)+"\n# a comment\n")
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(h.logs.String()[seen:], "[web] table changed") {
		t.Fatal("an unchanged [web] table was reported changed")
	}
}

func hostOf(u string) string {
	u = strings.TrimPrefix(u, "http://")
	host, _, _ := strings.Cut(u, "/")
	return host
}
