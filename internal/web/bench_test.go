package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/history"
)

// exampleWithoutDemo returns config/example.toml without its every-ten-
// seconds demonstration reminder, plus a [web] table.
func exampleWithoutDemo(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "config", "example.toml"))
	if err != nil {
		tb.Fatal(err)
	}
	text := string(b)
	i, j := strings.Index(text, "# A demonstration reminder"), strings.Index(text, "[[channel]]")
	if i < 0 || j < i {
		tb.Fatal("config/example.toml: cannot find its demonstration reminder")
	}
	return text[:i] + text[j:] + "\n[web]\nlisten = \"127.0.0.1:0\"\n"
}

// BenchmarkPages serves Today, a year of trends and a year's report from
// a year of the example profile's reminders and cramps.
func BenchmarkPages(b *testing.B) {
	dir := b.TempDir()
	text := exampleWithoutDemo(b)
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		b.Fatal(err)
	}
	p, err := profile.Load(path)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
	sum, err := history.Seed(context.Background(), filepath.Join(dir, "state"), p, now, 365, 1)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %+v", sum)
	d, err := daemon.New(context.Background(), daemon.Options{
		ProfilePath: path, StateDir: filepath.Join(dir, "state"), Clock: clockwork.NewFakeClockAt(now),
		Logger: slog.New(slog.DiscardHandler), Getenv: func(string) string { return "" }, Stdout: io.Discard,
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer d.Stop()
	l, err := d.Service().WebLogin(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(l.URL)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	base := strings.TrimSuffix(resp.Request.URL.String(), "/")
	for _, pg := range []struct{ name, path string }{{"today", "/"}, {"trends-52", "/trends?weeks=52"}, {"report-52", "/report?weeks=52"}} {
		b.Run(pg.name, func(b *testing.B) {
			for b.Loop() {
				resp, err := c.Get(base + pg.path)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", pg.path, resp.Status)
				}
				b.SetBytes(n)
			}
		})
	}
}
