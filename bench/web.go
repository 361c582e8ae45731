package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/history"
)

// webResult is the web page's figures.
type webResult struct {
	// Server time, from sending a request to the last byte of the answer
	// over loopback, with a year of history: Today, Trends over 52 weeks
	// and the report over 52 weeks.
	TodayP50Ms, TodayP95Ms   float64
	TrendsP50Ms, TrendsP95Ms float64
	ReportP50Ms, ReportP95Ms float64
	// TodayKB is what a browser loads for Today: the page, its stylesheet
	// and its script, in kB of 1,000 bytes.
	TodayKB float64
	// IdleRSSMiB is a daemon on the idle profile with the web page on, a
	// page served, then left alone; LoadedRSSMiB the year's daemon after
	// every request.
	IdleRSSMiB, LoadedRSSMiB float64
	Requests                 int
	Reminders, Cramps        int
}

// webPages are what the figure times.
var webPages = []struct{ name, path string }{
	{"today", "/"}, {"trends", "/trends?weeks=52"}, {"report", "/report?weeks=52"},
}

// web seeds a year of the idle profile's reminders (365 nights, most
// reminders done, cramps on some nights), serves the page from a daemon
// on it, and times Today, Trends and the report; then it measures what
// Today weighs and the idle RSS of a daemon with the page on.
func (b *bench) web(ctx context.Context, root string, out *webResult) error {
	text, err := idleProfile(root)
	if err != nil {
		return err
	}
	text += "\n[web]\nlisten = \"127.0.0.1:0\"\n"
	dir, err := b.runDir("web")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(path, text); err != nil {
		return err
	}
	p, err := profile.Load(path)
	if err != nil {
		return err
	}
	seeded := time.Now()
	sum, err := history.Seed(ctx, filepath.Join(dir, "state"), p, seeded, 365, 1)
	if err != nil {
		return fmt.Errorf("seed a year: %w", err)
	}
	out.Reminders, out.Cramps = sum.Reminders, sum.Cramps
	b.logf("web: seeded %d reminders (%d done, %d missed) and %d cramps over 365 nights in %s",
		sum.Reminders, sum.Acked, sum.Missed, sum.Cramps, time.Since(seeded).Round(time.Millisecond))

	d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: path, State: filepath.Join(dir, "state"), Dir: dir, Tag: "web"})
	if err != nil {
		return err
	}
	defer d.Stop(10 * time.Second)
	if _, err := d.WaitReady(ctx); err != nil {
		return err
	}
	c, base, err := b.signIn(ctx, d, dir)
	if err != nil {
		return err
	}
	n := b.cfg.webRequests
	out.Requests = n
	times := map[string][]float64{}
	for i := -3; i < n; i++ { // three rounds to warm up
		for _, pg := range webPages {
			t0 := time.Now()
			if _, err := get(ctx, c, base+pg.path); err != nil {
				return err
			}
			if i >= 0 {
				times[pg.name] = append(times[pg.name], rig.Ms(time.Since(t0)))
			}
		}
	}
	p50, p95 := func(k string) float64 { return rig.Median(times[k]) }, func(k string) float64 { return rig.Percentile(times[k], 95) }
	out.TodayP50Ms, out.TodayP95Ms = p50("today"), p95("today")
	out.TrendsP50Ms, out.TrendsP95Ms = p50("trends"), p95("trends")
	out.ReportP50Ms, out.ReportP95Ms = p50("report"), p95("report")
	if out.TodayKB, err = pageWeight(ctx, c, base); err != nil {
		return err
	}
	u, err := rig.ReadUsage(d.PID())
	if err != nil {
		return err
	}
	out.LoadedRSSMiB = rig.MiB(u.RSS)
	b.logf("web: %d requests each: today p50 %.2f p95 %.2f ms, trends %.2f / %.2f ms, report %.2f / %.2f ms; today weighs %.1f kB; RSS %.1f MiB",
		n, out.TodayP50Ms, out.TodayP95Ms, out.TrendsP50Ms, out.TrendsP95Ms, out.ReportP50Ms, out.ReportP95Ms, out.TodayKB, out.LoadedRSSMiB)

	out.IdleRSSMiB, err = b.webIdle(ctx, text)
	return err
}

// webIdle runs a daemon on the idle profile with the web page on and a
// fresh state, serves Today once, lets it idle and reads its RSS.
func (b *bench) webIdle(ctx context.Context, text string) (float64, error) {
	dir, err := b.runDir("web-idle")
	if err != nil {
		return 0, err
	}
	path := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(path, text); err != nil {
		return 0, err
	}
	d, err := rig.Start(rig.Spec{Bin: b.bin, Profile: path, State: filepath.Join(dir, "state"), Dir: dir, Tag: "web-idle"})
	if err != nil {
		return 0, err
	}
	defer d.Stop(10 * time.Second)
	if _, err := d.WaitReady(ctx); err != nil {
		return 0, err
	}
	c, base, err := b.signIn(ctx, d, dir)
	if err != nil {
		return 0, err
	}
	if _, err := get(ctx, c, base+"/"); err != nil {
		return 0, err
	}
	c.CloseIdleConnections()
	select {
	case <-time.After(b.cfg.webIdle):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	u, err := rig.ReadUsage(d.PID())
	if err != nil {
		return 0, err
	}
	b.logf("web: idle RSS with the page on %.1f MiB after %s", rig.MiB(u.RSS), b.cfg.webIdle)
	return rig.MiB(u.RSS), nil
}

// signIn asks the daemon for a one-time link, as `crampd web --print`
// does, and signs a client in with it.
func (b *bench) signIn(ctx context.Context, d *rig.Crampd, dir string) (*http.Client, string, error) {
	cmd := exec.CommandContext(ctx, b.bin, "web", "--print", "--socket", d.Socket)
	cmd.Env = rig.Env(filepath.Join(dir, "home"))
	link, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("crampd web --print: %w", err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(strings.TrimSpace(string(link)))
	if err != nil {
		return nil, "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/" {
		return nil, "", fmt.Errorf("sign in: %s at %s", resp.Status, resp.Request.URL)
	}
	u := *resp.Request.URL
	u.Path = ""
	return c, u.String(), nil
}

// get fetches url and returns how many bytes it had.
func get(ctx context.Context, c *http.Client, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return int(n), err
}

var assetRE = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// pageWeight is what a browser downloads for Today: the page and the
// stylesheet and script it names, in kB.
func pageWeight(ctx context.Context, c *http.Client, base string) (float64, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	page, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	total := len(page)
	for _, m := range assetRE.FindAllStringSubmatch(string(page), -1) {
		n, err := get(ctx, c, base+strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			return 0, err
		}
		total += n
	}
	return float64(total) / 1000, nil
}
