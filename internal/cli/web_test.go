package cli_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/cli"
	"github.com/crampd/crampd/internal/daemon"
)

const webProfile = `timezone = "Europe/Berlin"
[[medication]]
name   = "Hydrochlorothiazide"
times  = ["09:00"]
lowers = ["potassium"]
[[channel]]
type = "stdout"
[web]
listen = "127.0.0.1:0"
`

// webDaemon runs a daemon with a control socket on a fake clock and
// returns its socket, profile and state directory.
func webDaemon(t *testing.T, profileText string) (sock, profilePath, state string, clock *clockwork.FakeClock) {
	t.Helper()
	dir, err := os.MkdirTemp("", "crampd-cli") // a socket path must be short
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	profilePath, state, sock = filepath.Join(dir, "profile.toml"), filepath.Join(dir, "state"), filepath.Join(dir, "run", "crampd.sock")
	if err := os.WriteFile(profilePath, []byte(profileText), 0o600); err != nil {
		t.Fatal(err)
	}
	clock = clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 8, 0, 0, 0, time.UTC))
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: profilePath, StateDir: state, Clock: clock, Socket: sock,
		Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }, Stdout: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	return sock, profilePath, state, clock
}

// runWith runs the command line with the given clock and environment.
func runWith(t *testing.T, clock clockwork.Clock, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Run(context.Background(), args, cli.Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] },
		Clock:  clock,
	})
	return code, out.String(), errb.String()
}

func TestWebCommand(t *testing.T) {
	sock, _, _, clock := webDaemon(t, webProfile)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	t.Run("print", func(t *testing.T) {
		code, out, errs := runWith(t, clock, nil, "web", "--print", "--socket", sock)
		link := strings.TrimSpace(out)
		if code != 0 || !strings.HasPrefix(link, "http://127.0.0.1:") || !strings.Contains(link, "/login?token=") {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
		resp, err := noRedirect.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || len(resp.Cookies()) != 1 {
			t.Fatalf("the printed link: %s %v", resp.Status, resp.Header)
		}
	})
	t.Run("xdg-open", func(t *testing.T) {
		bin := t.TempDir()
		got := filepath.Join(bin, "opened")
		script := "#!/bin/sh\nprintf '%s' \"$1\" > " + got + "\n"
		if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		code, out, errs := runWith(t, clock, map[string]string{"PATH": bin}, "web", "--socket", sock)
		if code != 0 || !strings.Contains(out, "Opened crampd's web page") || strings.Contains(out, "token=") {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
		link, err := os.ReadFile(got)
		if err != nil || !strings.Contains(string(link), "/login?token=") {
			t.Fatalf("xdg-open was given %q (%v)", link, err)
		}
	})
	t.Run("no xdg-open prints the link", func(t *testing.T) {
		code, out, errs := runWith(t, clock, map[string]string{"PATH": t.TempDir()}, "web", "--socket", sock)
		if code != 0 || !strings.Contains(out, "/login?token=") || !strings.Contains(errs, "xdg-open is not on PATH") {
			t.Fatalf("exit %d, out %q, err %q", code, out, errs)
		}
	})
	t.Run("no daemon", func(t *testing.T) {
		code, _, errs := runWith(t, clock, nil, "web", "--socket", filepath.Join(t.TempDir(), "none.sock"))
		if code != 3 || !strings.Contains(errs, "crampd is not running") {
			t.Fatalf("exit %d, err %q", code, errs)
		}
	})
	t.Run("no [web] table", func(t *testing.T) {
		sock, _, _, clock := webDaemon(t, strings.Replace(webProfile, "[web]\nlisten = \"127.0.0.1:0\"\n", "", 1))
		code, _, errs := runWith(t, clock, nil, "web", "--socket", sock)
		if code != 1 || !strings.Contains(errs, "add a [web] table to the profile") {
			t.Fatalf("exit %d, err %q", code, errs)
		}
	})
}

// The report reads the same through the daemon and straight from the state
// database.
func TestReportCommand(t *testing.T) {
	sock, profilePath, state, clock := webDaemon(t, webProfile)
	for _, at := range []string{"2027-05-20 03:10", "2027-05-28 02:00"} {
		if code, out, errs := runWith(t, clock, nil, "cramp", "log", "--socket", sock, "--at", at, "--severity", "6", "--muscle", "calf", "--note", "=1+1"); code != 0 {
			t.Fatalf("cramp log: %d %s %s", code, out, errs)
		}
	}
	dir := t.TempDir()
	online := filepath.Join(dir, "online.html")
	code, _, errs := runWith(t, clock, nil, "report", "--weeks", "4", "--socket", sock, "-o", online)
	if code != 0 || !strings.Contains(errs, "Wrote the report of the last 4 weeks (2 cramps) to "+online) {
		t.Fatalf("report: %d %q", code, errs)
	}
	html, err := os.ReadFile(online)
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(online); fi.Mode().Perm() != 0o600 {
		t.Errorf("the report file has mode %v, want 0600", fi.Mode().Perm())
	}
	for _, want := range []string{"<!doctype html>", "<style>", "Leg cramps: Tue 4 May 2027 to Tue 1 Jun 2027", "Hydrochlorothiazide",
		"potassium", "Thu 20 May 2027, 03:10 CEST", "not medical advice", `id="report-weekly"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(string(html), "<script") || strings.Contains(string(html), "/static/") {
		t.Error("the report file needs the server: it links a script or a static file")
	}

	// Without a daemon (a socket nobody listens on), from the state.
	offline := []string{"--socket", filepath.Join(dir, "none.sock"), "--state", state, "--profile", profilePath}
	code, htmlOff, errs := runWith(t, clock, nil, append([]string{"report", "--weeks", "4"}, offline...)...)
	if code != 0 || !strings.Contains(errs, "reading the state database") {
		t.Fatalf("offline report: %d %q", code, errs)
	}
	if htmlOff != string(html) {
		t.Errorf("the report differs without the daemon")
	}
	_, csvOn, _ := runWith(t, clock, nil, "report", "--weeks", "4", "--format", "csv", "--socket", sock)
	_, csvOff, _ := runWith(t, clock, nil, append([]string{"report", "--weeks", "4", "--format", "csv"}, offline...)...)
	want := "id,date,time,zone,leg,muscle,severity,symptoms,note\n1,2027-05-20,03:10,CEST,,calf,6,,'=1+1\n2,2027-05-28,02:00,CEST,,calf,6,,'=1+1\n"
	if csvOn != want || csvOff != want {
		t.Errorf("csv through the daemon:\n%s\nfrom the state:\n%s\nwant:\n%s", csvOn, csvOff, want)
	}
	for _, bad := range [][]string{{"report", "--weeks", "0"}, {"report", "--weeks", "105"}, {"report", "--format", "pdf"}} {
		if code, _, _ := runWith(t, clock, nil, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// check names the web page, and refuses one other machines could reach
// over plain HTTP, at its file:line:col.
func TestCheckWebTable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.toml")
	os.WriteFile(path, []byte(strings.Replace(webProfile, "127.0.0.1:0", "127.0.0.1:8737", 1)), 0o600)
	code, out, errs := run(t, "check", "--profile", path)
	if code != 0 || !strings.Contains(out, "channel stdout, web page on http://127.0.0.1:8737; ") {
		t.Fatalf("check: %d %q %q", code, out, errs)
	}
	os.WriteFile(path, []byte(strings.Replace(webProfile, "127.0.0.1:0", "0.0.0.0:8737", 1)), 0o600)
	code, _, errs = run(t, "check", "--profile", path)
	if code != 1 || !strings.HasPrefix(errs, path+":9:10: web.listen: \"0.0.0.0:8737\" is reachable from other machines") {
		t.Fatalf("check of a LAN page without TLS: %d %q", code, errs)
	}
}
