package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
)

// Every page answers with a whole HTML document for a signed-in browser.
func TestEveryPageRenders(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	for _, path := range []string{"/", "/today/live", "/cramp", "/journal", "/journal?days=365", "/history", "/history?days=30&kind=hydration&state=fired",
		"/trends", "/trends?weeks=12", "/trends?weeks=52", "/profile", "/report", "/report?weeks=52"} {
		body := p.get(c, path)
		if path != "/today/live" && (!strings.HasPrefix(body, "<!doctype html>") || !strings.Contains(body, "</html>")) {
			t.Errorf("GET %s is not a whole page:\n%s", path, body)
		}
	}
}

// Today lists the day's reminders in time order with their states, and
// the Done button marks one done in the store.
func TestTodayAndDone(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	p.advance(6*time.Minute, true)             // 07:01: the water reminder goes out
	p.advance(2*time.Hour+4*time.Minute, true) // 09:05: and the dose
	body := p.get(c, "/")
	items := regexp.MustCompile(`<li id="r-([^"]+)" class="reminder state-(\w+)"`).FindAllStringSubmatch(body, -1)
	var got []string
	for _, m := range items {
		got = append(got, strings.SplitN(m[1], "-", 2)[0]+" "+m[2])
	}
	want := "hydration sent, medication sent, hydration upcoming, food upcoming, hydration upcoming, hydration upcoming, hydration upcoming, hydration upcoming, stretch upcoming"
	if strings.Join(got, ", ") != want {
		t.Fatalf("today:\n%s\nwant:\n%s", strings.Join(got, ", "), want)
	}
	dose := strings.TrimPrefix(items[1][1], "")
	form := regexp.MustCompile(`action="/reminders/` + regexp.QuoteMeta(dose) + `/done">\s*<input type="hidden" name="nonce" value="([^"]+)"`).FindStringSubmatch(body)
	if form == nil {
		t.Fatalf("no Done form for %s:\n%s", dose, body)
	}
	status, _, h := p.do(c, http.MethodPost, "/reminders/"+dose+"/done", url.Values{"nonce": {form[1]}}, nil)
	if status != http.StatusSeeOther || h.Get("Location") != "/#r-"+dose {
		t.Fatalf("done: %d %v", status, h)
	}
	if st := p.recordStatus(dose); st != domain.StatusAcked {
		t.Fatalf("the store says %s, want acked", st)
	}
	if !strings.Contains(p.get(c, "/"), `id="r-`+dose+`" class="reminder state-done"`) {
		t.Error("Today does not show the dose done")
	}
}

// The cramp form logs a cramp, with every field optional, then tells what
// to do now; a severe one brings the doctor advice, and the form sent
// twice logs one cramp.
func TestCrampForm(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	form := p.get(c, "/cramp")
	n := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(form)
	if n == nil {
		t.Fatalf("no nonce in the form:\n%s", form)
	}
	status, body, _ := p.do(c, http.MethodPost, "/cramp", url.Values{"nonce": {n[1]}}, nil)
	if status != http.StatusOK || !strings.Contains(body, "Cramp logged") || !strings.Contains(body, "straighten your leg and pull your toes toward your body") {
		t.Fatalf("log it now: %d\n%s", status, body)
	}
	if strings.Contains(body, "See a doctor") {
		t.Errorf("a mild cramp brought the doctor advice:\n%s", body)
	}
	// The same form again: the same answer, one cramp.
	p.do(c, http.MethodPost, "/cramp", url.Values{"nonce": {n[1]}}, nil)
	if cs, _ := p.svc.Cramps(context.Background(), 1); len(cs) != 1 {
		t.Fatalf("%d cramps logged from one form sent twice", len(cs))
	}
	severe := url.Values{"nonce": {"another-nonce-0123456789"}, "leg": {"left"}, "muscle": {"calf"}, "severity": {"9"},
		"symptom": {"numbness", "swelling"}, "when": {"06:30"}, "note": {"woke me <up>"}}
	status, body, _ = p.do(c, http.MethodPost, "/cramp", severe, nil)
	if status != http.StatusOK || !strings.Contains(body, "See a doctor if your cramps are severe") || !strings.Contains(body, "A doctor reminder goes out at Tue 2027-06-01 07:00 CEST, after quiet hours") {
		t.Fatalf("severe cramp: %d\n%s", status, body)
	}
	cs, _ := p.svc.Cramps(context.Background(), 1)
	last := cs[0] // oldest first: 06:30 before the first one's 06:55
	if last.Leg != "left" || last.Muscle != "calf" || last.Severity != 9 || len(last.Symptoms) != 2 || last.Note != "woke me <up>" ||
		last.At.Format("15:04") != "06:30" {
		t.Fatalf("logged %+v", last)
	}
	if j := p.get(c, "/journal"); !strings.Contains(j, "woke me &lt;up&gt;") || strings.Contains(j, "woke me <up>") {
		t.Errorf("the journal does not show the note escaped:\n%s", j)
	}
	for _, tt := range []struct {
		name string
		form url.Values
		want string
	}{
		{"a future time", url.Values{"when": {"2030-01-01 10:00"}}, "is in the future"},
		{"an unknown muscle", url.Values{"muscle": {"neck"}}, "muscle &#34;neck&#34;"},
		{"a severity of 11", url.Values{"severity": {"11"}}, "severity 11"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.form.Set("nonce", "nonce-for-"+strings.ReplaceAll(tt.name, " ", "-")+"-0000")
			status, body, _ := p.do(c, http.MethodPost, "/cramp", tt.form, nil)
			if status != http.StatusBadRequest || !strings.Contains(body, tt.want) || !strings.Contains(body, `role="alert"`) {
				t.Fatalf("%d, want 400 saying %q:\n%s", status, tt.want, body)
			}
		})
	}
}

// Pause and resume from the page change what the daemon does.
func TestPauseAndResume(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	if status, body, _ := p.do(c, http.MethodPost, "/pause", url.Values{"for": {"2h"}}, nil); status != http.StatusSeeOther {
		t.Fatalf("pause: %d\n%s", status, body)
	}
	st, _ := p.svc.Status(context.Background())
	if !st.Paused || !st.PausedUntil.Equal(p.clock.Now().Add(2*time.Hour)) {
		t.Fatalf("status after pause: %+v", st)
	}
	if body := p.get(c, "/"); !strings.Contains(body, "Reminders are paused until") {
		t.Errorf("Today does not say it is paused")
	}
	if status, _, _ := p.do(c, http.MethodPost, "/resume", url.Values{}, nil); status != http.StatusSeeOther {
		t.Fatal(status)
	}
	if st, _ := p.svc.Status(context.Background()); st.Paused {
		t.Fatal("still paused after resume")
	}
	if status, _, _ := p.do(c, http.MethodPost, "/pause", url.Values{"until": {"07:30"}}, nil); status != http.StatusSeeOther {
		t.Fatal(status)
	}
	if st, _ := p.svc.Status(context.Background()); !st.Paused || st.PausedUntil.Format("15:04") != "07:30" {
		t.Fatalf("pause until 07:30: %+v", st)
	}
	if status, _, _ := p.do(c, http.MethodPost, "/pause", url.Values{"for": {"forever"}}, nil); status != http.StatusBadRequest {
		t.Fatalf("pause for forever: %d", status)
	}
}

// The live-update stream says so when a reminder fires or is acted on
// anywhere.
func TestEventsStream(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	req, _ := http.NewRequest(http.MethodGet, p.base+"/events", nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := c.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %s %v", resp.Status, resp.Header)
	}
	lines := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		var acc string
		for {
			n, err := resp.Body.Read(buf)
			acc += string(buf[:n])
			for {
				i := strings.Index(acc, "\n\n")
				if i < 0 {
					break
				}
				lines <- acc[:i]
				acc = acc[i+2:]
			}
			if err != nil {
				close(lines)
				return
			}
		}
	}()
	next := func(what string) string {
		t.Helper()
		for {
			select {
			case l := <-lines:
				if strings.HasPrefix(l, ":") {
					continue // a keep-alive
				}
				return l
			case <-time.After(10 * time.Second):
				t.Fatalf("no event for %s", what)
			}
		}
	}
	if l := next("the stream's start"); !strings.HasPrefix(l, "retry:") {
		t.Fatalf("first message %q", l)
	}
	// The stream is subscribed once its first message arrived.
	p.clock.Advance(5*time.Minute + time.Second) // 07:00: the water reminder fires
	if l := next("the 07:00 reminder"); !strings.Contains(l, "event: change") || !strings.Contains(l, `"kind":"fired"`) || !strings.Contains(l, "hydration-") {
		t.Fatalf("fired event %q", l)
	}
	day, _ := p.svc.Today(context.Background())
	if _, err := p.svc.Ack(context.Background(), day.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if l := next("the ack"); !strings.Contains(l, `"kind":"acked"`) {
		t.Fatalf("acked event %q", l)
	}
	if p.svc.Subscribers() != 1 {
		t.Fatalf("%d subscribers", p.svc.Subscribers())
	}
	// Stopping the daemon ends the stream at once: the stop does not wait
	// for the browser to go.
	d := p.d
	p.d = nil
	done := make(chan error, 1)
	go func() { done <- d.Stop() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("stop with a stream open: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stop waits for the stream")
	}
	for range lines {
	}
}

// The report and its CSV hold the fixture's journal.
func TestReportPages(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	ctx := context.Background()
	for _, c := range []domain.Cramp{
		{At: fixtureStart.Add(-3 * 24 * time.Hour), Severity: 5, Muscle: "calf", Note: "=HYPERLINK(\"x\")"},
		{At: fixtureStart.Add(-10 * 24 * time.Hour), Symptoms: []string{"weakness"}},
	} {
		if _, err := p.svc.LogCramp(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	body := p.get(c, "/report?weeks=4")
	for _, want := range []string{"Leg cramps: ", "Hydrochlorothiazide", "potassium", "Some medications can affect electrolyte levels",
		"See a doctor if your cramps are severe", "not medical advice", `id="report-weekly"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if n := strings.Count(sectionOf(body, `id="report-weekly"`, "</svg>"), `<rect class="bar"`); n != 4 {
		t.Errorf("%d bars for 4 weeks", n)
	}
	status, csv, h := p.do(c, http.MethodGet, "/report.csv?weeks=4", nil, nil)
	if status != http.StatusOK || h.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v", status, h)
	}
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if len(lines) != 3 || lines[0] != "id,date,time,zone,leg,muscle,severity,symptoms,note" ||
		!strings.HasSuffix(lines[1], ",,,,weakness,") || !strings.HasSuffix(lines[2], `"'=HYPERLINK(""x"")"`) {
		t.Fatalf("csv:\n%s", csv)
	}
	for _, bad := range []string{"/report?weeks=0", "/report?weeks=105", "/trends?weeks=5", "/journal?days=8", "/history?kind=nope"} {
		if status, _, _ := p.do(c, http.MethodGet, bad, nil, nil); status != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", bad, status)
		}
	}
}

// sectionOf returns the part of s from the first from to the next to.
func sectionOf(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	s = s[i:]
	if j := strings.Index(s, to); j >= 0 {
		return s[:j]
	}
	return s
}

// The profile page shows the problems of a failed reload at their
// file:line:col, while the profile in force stays.
func TestProfilePageShowsAFailedReload(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	path := filepath.Join(p.dir, "profile.toml")
	if err := os.WriteFile(path, []byte(strings.Replace(fixtureProfile, `wake = "07:00"`, `wake = "7am"`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := p.svc.Reload(context.Background()); err == nil {
		t.Fatal("a broken profile reloaded")
	}
	body := p.get(c, "/profile")
	for _, want := range []string{"The last reload failed", path + `:3:8: sleep.wake: &#34;7am&#34; is not a time of day`,
		"<th scope=\"row\">wake</th><td>07:00</td>", "Medication: Hydrochlorothiazide"} {
		if !strings.Contains(body, want) {
			t.Errorf("the profile page lacks %q:\n%s", want, body)
		}
	}
}

// At most 32 live-update streams are open at once; the next is refused
// and one closed makes room.
func TestStreamsAreCapped(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	open := func() *http.Response {
		t.Helper()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.base+"/events", nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var streams []*http.Response
	for range 32 {
		resp := open()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("stream %d: %s", len(streams)+1, resp.Status)
		}
		// The stream counts once its first message came.
		buf := make([]byte, 64)
		resp.Body.Read(buf)
		streams = append(streams, resp)
	}
	extra := open()
	extra.Body.Close()
	if extra.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("stream 33: %s", extra.Status)
	}
	streams[0].Body.Close()
	// Closing is seen by the server when it next writes or reads; wait
	// for the count to drop by polling, not for time.
	for deadline := time.Now().Add(10 * time.Second); ; {
		resp := open()
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream never made room")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, s := range streams[1:] {
		s.Body.Close()
	}
}

// The journal lists the nights answered at the morning check-in beside the
// cramps, so that a night without cramps shows as such.
func TestJournalShowsCheckinNights(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	if j := p.get(c, "/journal"); !strings.Contains(j, "No night answered at the morning check-in") {
		t.Fatalf("an empty journal:\n%s", j)
	}
	res, err := p.svc.Checkin(context.Background(), app.CheckinRequest{Answer: domain.AnswerNone})
	if err != nil {
		t.Fatal(err)
	}
	j := p.get(c, "/journal")
	if !strings.Contains(j, "<td>"+res.Night.Date+"</td><td>No cramps</td>") {
		t.Fatalf("the journal does not show the night of %s without cramps:\n%s", res.Night.Date, j)
	}
}
