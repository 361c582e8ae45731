package web_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/crampd/crampd/internal/domain"
)

// Browser tests drive Debian's headless Chromium. Outside CI they skip
// when it, or axe-core, is missing; with CRAMPD_REQUIRE_BROWSER=1 (CI,
// which installs both) they fail instead.
const (
	requireBrowserEnv = "CRAMPD_REQUIRE_BROWSER"
	// axeDirEnv names the directory npm installed axe-core into
	// (node_modules/axe-core/axe.min.js below it).
	axeDirEnv = "CRAMPD_AXE_DIR"
)

var updateDocs = flag.Bool("update-docs", false, "write the README's screenshot of the Today page to docs/web-today.png")

// missing skips the test, or fails it in CI.
func missing(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("%s (%s=1)", msg, requireBrowserEnv)
	}
	t.Skip(msg)
}

// chromium returns the browser's path.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	missing(t, "chromium not found; the browser tests need it: apt-get install -y chromium")
	return ""
}

// axeScript returns axe-core's script.
func axeScript(t *testing.T) string {
	t.Helper()
	dir := os.Getenv(axeDirEnv)
	if dir == "" {
		missing(t, axeDirEnv+" is not set; the accessibility test needs axe-core: npm install --prefix DIR axe-core@4.14.1, then "+axeDirEnv+"=DIR")
	}
	b, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing(t, fmt.Sprintf("axe-core not found under %s=%s: %v", axeDirEnv, dir, err))
	}
	return string(b)
}

// browser starts a headless Chromium of the test's own and returns a tab.
func browser(t *testing.T, width, height int) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)), chromedp.Headless, chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()))
	if os.Geteuid() == 0 {
		// Chromium's sandbox refuses to run as root; CI runs as root.
		opts = append(opts, chromedp.NoSandbox)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		chromedp.Cancel(ctx)
		cancel()
		cancelAlloc()
	})
	// Start the browser with a context that has no deadline: it lives as
	// long as ctx.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs steps with a deadline, failing the test on an error.
func run(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// value runs one step that returns a value.
func value[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// screenshot saves the whole page into the test's output directory.
func screenshot(t *testing.T, ctx context.Context, name string) []byte {
	t.Helper()
	b := value(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(t.ArtifactDir(), name+".png")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return b
}

// colorScheme emulates a light or dark system setting.
func colorScheme(scheme string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
		})
		return chromedp.Void{}, err
	}
}

// printMedia emulates printing (or stops).
func printMedia(on bool) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		media := ""
		if on {
			media = "print"
		}
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: media})
		return chromedp.Void{}, err
	}
}

// seedJournal logs a cramp on a few nights of each of the last four weeks.
func seedJournal(t *testing.T, p *page) {
	t.Helper()
	// Two cramps in the last week, mild and without symptoms, so that the
	// journal calls for no doctor nudge yet.
	for i, back := range []int{2, 5, 9, 12, 16, 24} {
		c := domain.Cramp{At: fixtureStart.Add(-time.Duration(back) * 24 * time.Hour), Muscle: "calf", Leg: "left", Severity: 3 + i%4}
		if back == 9 {
			c.Symptoms, c.Note = []string{"numbness"}, "after a long walk"
		}
		if _, err := p.svc.LogCramp(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
}

// What a person does with the page, in a real browser: sign in with a
// one-time link, see today, press Done, watch a reminder arrive without a
// reload, log a cramp and read what to do, look at the trend and print the
// report.
func TestBrowser(t *testing.T) {
	chromium(t)
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	seedJournal(t, p)
	p.advance(6*time.Minute, true)             // 07:01: the water reminder went out
	p.advance(2*time.Hour+4*time.Minute, true) // 09:05: and the dose
	ctx := browser(t, 1000, 900)

	run(t, ctx, "sign in", chromedp.Navigate(p.login()), chromedp.WaitVisible("#live .reminders"))
	if loc := value(t, ctx, "location", chromedp.Location()); loc != p.base+"/" {
		t.Fatalf("after signing in the browser is at %s, want %s/ (without the token)", loc, p.base)
	}

	// Today lists the fixture day's reminders, in order.
	day, err := p.svc.Today(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	shown := value(t, ctx, "reminders", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#live li.reminder")].map(li => li.dataset.id + " " + li.dataset.state)`))
	var want []string
	for _, it := range day.Items {
		want = append(want, it.ID+" "+string(it.State))
	}
	if strings.Join(shown, "\n") != strings.Join(want, "\n") || len(want) != 9 {
		// Nine: water at 07, 10, 13, 16, 19 and 22, the dose at 09, food
		// at 12:30 and the stretch at 22:30.
		t.Fatalf("Today shows:\n%s\nwant:\n%s", strings.Join(shown, "\n"), strings.Join(want, "\n"))
	}
	today := screenshot(t, ctx, "today")

	// Done on the dose: the store says acked.
	dose := day.Items[1]
	if dose.Kind != domain.KindMedication || dose.State != "sent" {
		t.Fatalf("second item %+v, want the sent dose", dose)
	}
	run(t, ctx, "press Done", chromedp.Click("#r-"+dose.ID+" button.done"), chromedp.WaitVisible("#r-"+dose.ID+".state-done"))
	if st := p.recordStatus(dose.ID); st != domain.StatusAcked {
		t.Fatalf("after Done the store says %s", st)
	}

	// A reminder the schedule fires appears without a reload.
	water := day.Items[2]
	run(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.crampdNotReloaded = true`))
	if water.State != "upcoming" || water.Kind != domain.KindHydration {
		t.Fatalf("third item %+v, want the 10:00 water, upcoming", water)
	}
	p.advance(55*time.Minute+time.Second, true) // 10:00:01
	run(t, ctx, "the fired reminder appears", chromedp.WaitVisible(`#r-`+water.ID+`[data-state="sent"]`))
	if !value(t, ctx, "no reload", chromedp.Evaluate[bool](`window.crampdNotReloaded === true`)) {
		t.Fatal("the page was reloaded to show the fired reminder")
	}
	if note := value(t, ctx, "live note", chromedp.Text("#live-note")); !strings.Contains(note, "updated") {
		t.Errorf("the status note says %q", note)
	}

	// I have a cramp: two taps, then what to do now.
	run(t, ctx, "I have a cramp",
		chromedp.Click(".cramp-cta .cramp-button"), chromedp.WaitVisible("form.cramp-form"),
		chromedp.Click("form.cramp-form button.cramp-button"), chromedp.WaitVisible("#relief-h"))
	relief := value(t, ctx, "relief steps", chromedp.Text(".relief"))
	for _, step := range []string{"straighten your leg and pull your toes toward your body", "Massage", "heat", "cold pack", "loosen the bed covers"} {
		if !strings.Contains(relief, step) {
			t.Errorf("the relief steps lack %q:\n%s", step, relief)
		}
	}
	screenshot(t, ctx, "cramp-logged")
	if cs, _ := p.svc.Cramps(context.Background(), 1); len(cs) != 1 || cs[0].At.Sub(p.clock.Now()).Abs() > time.Second {
		t.Fatalf("cramps of the last day %+v, want one logged now", cs)
	}
	run(t, ctx, "the cramp form", chromedp.Navigate(p.base+"/cramp"), chromedp.WaitVisible("form.cramp-form"))
	screenshot(t, ctx, "cramp")

	// Trends: one bar per week of fixture data.
	for _, weeks := range []int{4, 12} {
		run(t, ctx, "trends", chromedp.Navigate(fmt.Sprintf("%s/trends?weeks=%d", p.base, weeks)), chromedp.WaitVisible("#chart-weekly"))
		bars := value(t, ctx, "bars", chromedp.Evaluate[int](`document.querySelectorAll("#chart-weekly rect.bar").length`))
		rows := value(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelector("#chart-weekly").closest("section").querySelectorAll("tbody tr").length`))
		if bars != weeks || rows != weeks {
			t.Errorf("%d weeks: %d bars and %d table rows", weeks, bars, rows)
		}
		if weeks == 4 {
			heights := value(t, ctx, "heights", chromedp.Evaluate[[]float64](`[...document.querySelectorAll("#chart-weekly rect.bar")].map(r => r.height.baseVal.value)`))
			// Cramps 24, 16, 12 and 9, then 5 and 2 days back: 1, 1, 2
			// and 2 a week, oldest first.
			if len(heights) != 4 || !(heights[0] == heights[1] && heights[1] < heights[2] && heights[2] == heights[3]) {
				t.Errorf("bar heights %v, want 1, 1, 2 and 2 cramps' worth", heights)
			}
			screenshot(t, ctx, "trends")
		}
	}

	// The other pages, for the record.
	for _, pg := range []struct{ path, name, ready string }{
		{"/journal", "journal", "table.list"}, {"/history?days=30", "history", "table.list"}, {"/profile", "profile", ".sections"},
	} {
		run(t, ctx, pg.name, chromedp.Navigate(p.base+pg.path), chromedp.WaitVisible(pg.ready))
		screenshot(t, ctx, pg.name)
	}

	// The report prints to PDF on A4 and on Letter.
	run(t, ctx, "report", chromedp.Navigate(p.base+"/report?weeks=4"), chromedp.WaitVisible("#report-weekly"))
	if hidden := value(t, ctx, "print button", chromedp.Evaluate[bool](`document.getElementById("print").hidden`)); hidden {
		t.Error("the script did not show the Print button")
	}
	screenshot(t, ctx, "report")
	for _, paper := range []struct {
		name string
		size chromedp.PaperSize
	}{{"a4", chromedp.PaperA4}, {"letter", chromedp.PaperLetter}} {
		pdf := value(t, ctx, "print "+paper.name, chromedp.PrintToPDF(chromedp.PDFPaper(paper.size)))
		pages := bytes.Count(pdf, []byte("/Type /Page\n")) + bytes.Count(pdf, []byte("/Type /Page\r")) + bytes.Count(pdf, []byte("/Type /Page/")) + bytes.Count(pdf, []byte("/Type /Page>"))
		if !bytes.HasPrefix(pdf, []byte("%PDF-")) || len(pdf) < 10_000 {
			t.Errorf("%s: %d bytes, not a PDF", paper.name, len(pdf))
		}
		path := filepath.Join(t.ArtifactDir(), "report-"+paper.name+".pdf")
		os.WriteFile(path, pdf, 0o644)
		t.Logf("report on %s: %s (%d bytes, about %d pages)", paper.name, path, len(pdf), pages)
	}

	// How the report looks on paper, for a person reviewing it: A4's
	// width at 96 dpi, less the margins, with the print stylesheet.
	run(t, ctx, "print layout", chromedp.EmulateViewport(700, 1000), printMedia(true))
	screenshot(t, ctx, "report-print")
	run(t, ctx, "screen layout", printMedia(false))

	// On a phone-sized screen nothing runs off the side.
	phone := browser(t, 390, 844)
	run(t, phone, "sign in on a phone", chromedp.Navigate(p.login()), chromedp.WaitVisible("#live .reminders"))
	for _, path := range []string{"/", "/cramp", "/trends", "/report", "/journal", "/history", "/profile"} {
		run(t, phone, "phone "+path, chromedp.Navigate(p.base+path), chromedp.WaitVisible("main"))
		if over := value(t, phone, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`)); over > 0 {
			t.Errorf("%s is %d px wider than a phone's screen", path, over)
		}
	}
	run(t, phone, "phone today", chromedp.Navigate(p.base+"/"), chromedp.WaitVisible("#live .reminders"))
	screenshot(t, phone, "today-phone")
	run(t, phone, "dark", colorScheme("dark"))
	screenshot(t, phone, "today-phone-dark")

	if *updateDocs {
		writeDocsScreenshot(t, today)
	}
}

// writeDocsScreenshot writes the top of the Today page, as the README
// shows it, to docs/web-today.png.
func writeDocsScreenshot(t *testing.T, full []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(full))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	crop := image.Rect(b.Min.X, b.Min.Y, b.Max.X, min(b.Max.Y, b.Min.Y+760))
	sub := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(crop)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, sub); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "docs", "web-today.png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s (%d bytes)", path, buf.Len())
}

// axeViolation is what axe-core reports of one rule.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		HTML string `json:"html"`
	} `json:"nodes"`
}

// axe-core, run in each page, light and dark, finds no serious or
// critical violation.
func TestAccessibility(t *testing.T) {
	chromium(t)
	script := axeScript(t)
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	seedJournal(t, p)
	p.advance(6*time.Minute, true)
	ctx := browser(t, 1000, 900)
	// The sign-in page first, before signing in.
	pages := []struct {
		path, ready string
		// send sends the page's form first.
		send bool
	}{
		{"/", "main h1", false}, // not signed in yet: the sign-in page
		{p.login(), "#live", false}, {"/cramp", "form.cramp-form", false}, {"/cramp", "form.cramp-form", true},
		{"/journal", "main", false}, {"/history", "main", false}, {"/trends", "#chart-weekly", false},
		{"/trends?weeks=52", "#chart-weekly", false}, {"/profile", "main", false}, {"/report", "#report-weekly", false}, {"/nope", "main", false},
	}
	for _, pg := range pages {
		url := pg.path
		if !strings.HasPrefix(url, "http") {
			url = p.base + url
		}
		run(t, ctx, "open "+pg.path, chromedp.Navigate(url), chromedp.WaitVisible(pg.ready))
		if pg.send {
			// The cramp form after it was sent: the relief page.
			run(t, ctx, "log a cramp", chromedp.Click("form.cramp-form button.cramp-button"), chromedp.WaitVisible("#relief-h"))
		}
		for _, scheme := range []string{"light", "dark"} {
			run(t, ctx, "color scheme", colorScheme(scheme))
			run(t, ctx, "load axe", chromedp.Evaluate[chromedp.Void](script))
			vs := value(t, ctx, "axe.run", chromedp.Evaluate[[]axeViolation](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations.map(v => ({
				id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.map(n => ({html: n.html}))})))`, chromedp.EvalAwaitPromise))
			for _, v := range vs {
				if v.Impact == "serious" || v.Impact == "critical" {
					var where []string
					for _, n := range v.Nodes {
						where = append(where, n.HTML)
					}
					t.Errorf("%s (%s): %s %s: %s\n  %s", pg.path, scheme, v.Impact, v.ID, v.Help, strings.Join(where, "\n  "))
				} else {
					t.Logf("%s (%s): %s %s: %s", pg.path, scheme, v.Impact, v.ID, v.Help)
				}
			}
		}
	}
}
