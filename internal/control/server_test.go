package control_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

const testProfile = `timezone = "UTC"
[hydration]
enabled = false
[food]
enabled = false
[[custom]]
name = "Walk"
cron = "30 10 * * *"
title = "Walk"
[[channel]]
type = "stdout"
`

// startDaemon runs a daemon with a real control socket on a fake clock.
func startDaemon(t *testing.T) (*daemon.Daemon, string, *clockwork.FakeClock) {
	return startDaemonFor(t)
}

func startDaemonFor(t testing.TB) (*daemon.Daemon, string, *clockwork.FakeClock) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte(testProfile), 0o600); err != nil {
		t.Fatal(err)
	}
	// Unix socket paths are short; keep it under the temp dir root.
	sock := filepath.Join(dir, "run", "crampd.sock")
	clock := clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: path, StateDir: filepath.Join(dir, "state"), Clock: clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Getenv: func(string) string { return "" },
		Socket: sock,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return d, sock, clock
}

// raw sends one request over the socket and returns the status and body.
func raw(t *testing.T, sock, method, path, body string) (int, string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, err := http.NewRequest(method, "http://crampd"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSocketPermissions(t *testing.T) {
	_, sock, _ := startDaemon(t)
	fi, err := os.Stat(sock)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a 0600 socket", fi.Mode())
	}
	di, err := os.Stat(filepath.Dir(sock))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Errorf("socket directory mode %v, want 0700", di.Mode().Perm())
	}
	// A second daemon on the same socket is refused while the first runs.
	if _, err := control.Listen(sock); !errors.Is(err, control.ErrRunning) {
		t.Errorf("second Listen: %v, want ErrRunning", err)
	}
}

func TestStaleSocketIsReplaced(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "crampd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	// Leave the file behind, as a crash would.
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	l2, err := control.Listen(sock)
	if err != nil {
		t.Fatalf("stale socket: %v", err)
	}
	l2.Close()
}

func TestCheckPeer(t *testing.T) {
	tests := []struct {
		name       string
		peer, self int
		ok         bool
	}{
		{"same user", 1000, 1000, true},
		{"root is still another user", 0, 1000, false},
		{"foreign user", 1001, 1000, false},
		{"unknown peer", -1, 1000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := control.CheckPeer(tt.peer, tt.self); (err == nil) != tt.ok {
				t.Errorf("CheckPeer(%d, %d) = %v", tt.peer, tt.self, err)
			}
		})
	}
}

func TestBadRequests(t *testing.T) {
	_, sock, _ := startDaemon(t)
	tests := []struct {
		name         string
		method, path string
		body         string
		status       int
		errContains  string
	}{
		{"malformed JSON", "POST", "/v1/fire", `{"what": `, 400, "malformed JSON"},
		{"unknown field", "POST", "/v1/fire", `{"what": "stretch", "extra": 1}`, 400, "unknown field"},
		{"two values", "POST", "/v1/fire", `{"what": "stretch"} {}`, 400, "more than one value"},
		{"too large", "POST", "/v1/cramps", `{"note": "` + strings.Repeat("x", 20<<10) + `"}`, 413, "over"},
		{"unknown id ack", "POST", "/v1/reminders/stretch-000000000000/ack", ``, 404, "no such reminder"},
		{"unknown id snooze", "POST", "/v1/reminders/stretch-000000000000/snooze", `{"duration":"10m"}`, 404, "no such reminder"},
		{"bad snooze duration", "POST", "/v1/reminders/x/snooze", `{"duration":"soon"}`, 400, "duration"},
		{"unknown kind", "POST", "/v1/fire", `{"what": "yoga"}`, 400, "neither a kind"},
		{"pause without end", "POST", "/v1/pause", `{}`, 400, "give a duration (2h) or an until time"},
		{"pause bad clock", "POST", "/v1/pause", `{"until": "25:00"}`, 400, "not a time of day"},
		{"bad days", "GET", "/v1/history?days=0", ``, 400, "days"},
		{"bad severity", "POST", "/v1/cramps", `{"severity": 11}`, 400, "severity"},
		{"bad symptom", "POST", "/v1/cramps", `{"symptoms": ["itch"]}`, 400, "symptom"},
		{"unknown endpoint", "GET", "/v1/nope", ``, 404, "no such endpoint"},
		{"wrong method", "GET", "/v1/fire", ``, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := raw(t, sock, tt.method, tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%s)", status, tt.status, body)
			}
			if tt.errContains != "" && (!strings.HasPrefix(body, `{"error":`) || !strings.Contains(body, tt.errContains)) {
				t.Errorf("body %s, want a JSON error containing %q", body, tt.errContains)
			}
		})
	}
}

func TestClientRoundTrips(t *testing.T) {
	_, sock, clock := startDaemon(t)
	c := control.NewClient(sock)
	ctx := context.Background()

	st, err := c.Status(ctx)
	if err != nil || st.Zone != "UTC" || st.Next == nil || st.Next.Title != "Walk" || !st.LastReload.OK {
		t.Fatalf("status %+v, %v", st, err)
	}
	next, err := c.Upcoming(ctx, 3)
	if err != nil || len(next) != 3 {
		t.Fatalf("upcoming %v, %v", next, err)
	}
	fired, err := c.Fire(ctx, "stretch")
	o := fired.Occurrence
	if err != nil || o.Kind != domain.KindStretch || !strings.Contains(o.Body, "toes") || len(fired.Channels) != 1 {
		t.Fatalf("fire %+v, %v", fired, err)
	}
	if _, err := c.Fire(ctx, "Walk"); err != nil {
		t.Fatalf("fire a custom reminder by name: %v", err)
	}
	sn, err := c.Snooze(ctx, o.ID, 10*time.Minute)
	if err != nil || !sn.Until.Equal(clock.Now().Add(10*time.Minute)) {
		t.Fatalf("snooze %+v, %v", sn, err)
	}
	rec, err := c.Ack(ctx, o.ID)
	if err != nil || rec.Status != domain.StatusAcked || rec.Deliveries[domain.StatusCancelled] != 1 {
		t.Fatalf("ack %+v, %v", rec, err)
	}
	seven := profile.NewClock(7, 0)
	p, err := c.Pause(ctx, app.PauseRequest{Until: &seven})
	if err != nil || !p.Until.Equal(time.Date(2027, 6, 2, 7, 0, 0, 0, time.UTC)) {
		t.Fatalf("pause %+v, %v", p, err)
	}
	if st, _ := c.Status(ctx); !st.Paused {
		t.Fatal("status does not show the pause")
	}
	if res, err := c.Resume(ctx); err != nil || !res.WasPaused {
		t.Fatal(res, err)
	}
	if st, _ := c.Status(ctx); st.Paused {
		t.Fatal("still paused after resume")
	}
	hist, err := c.History(ctx, 1)
	if err != nil || len(hist) != 2 {
		t.Fatalf("history %v, %v", hist, err)
	}
	cr, err := c.LogCramp(ctx, domain.Cramp{Leg: "left", Muscle: "calf", Severity: 4, Note: "after the run"})
	if err != nil || cr.Cramp.ID == 0 || cr.Nudge.Sent != nil {
		t.Fatalf("log cramp %+v, %v", cr, err)
	}
	cs, err := c.Cramps(ctx, 7)
	if err != nil || len(cs) != 1 || cs[0].Note != "after the run" {
		t.Fatalf("cramps %v, %v", cs, err)
	}
	s, err := c.Stats(ctx, 7)
	if err != nil || s.Cramps != 1 || len(s.Adherence) == 0 {
		t.Fatalf("stats %+v, %v", s, err)
	}
	if err := c.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

// A request whose connection carries no peer credentials is refused, not
// trusted.
func TestRequestWithoutPeerIsRefused(t *testing.T) {
	d, _, _ := startDaemon(t)
	h := control.NewServer(d.Service(), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want int
	}{
		{"no credentials", context.Background(), http.StatusForbidden},
		{"unknown peer", control.WithPeer(context.Background(), -1), http.StatusForbidden},
		{"another user", control.WithPeer(context.Background(), os.Getuid()+1), http.StatusForbidden},
		{"the daemon's user", control.WithPeer(context.Background(), os.Getuid()), http.StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(tt.ctx, http.MethodGet, "/v1/status", nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestClientReportsNotRunning(t *testing.T) {
	c := control.NewClient(filepath.Join(t.TempDir(), "none.sock"))
	if _, err := c.Status(context.Background()); !errors.Is(err, control.ErrNotRunning) {
		t.Fatalf("err = %v, want ErrNotRunning", err)
	}
}
