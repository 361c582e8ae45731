package daemon_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/syncbuf"
)

// syncBuffer collects what goroutines write while the test reads it.
type syncBuffer = syncbuf.Buffer

// harness runs one daemon on a fake clock with a stdout channel.
type harness struct {
	t       *testing.T
	clock   *clockwork.FakeClock
	dir     string
	path    string
	stdout  *syncBuffer
	logs    *syncBuffer
	d       *daemon.Daemon
	fired   chan []domain.Occurrence
	settled chan domain.Delivery
	// socket, when set before start, serves the control API there;
	// stopGrace, when set, bounds Stop.
	socket    string
	stopGrace time.Duration
	// weatherTimeout, when set before start, bounds forecast fetches.
	weatherTimeout time.Duration
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func newHarness(t *testing.T, profileText string, start time.Time) *harness {
	t.Helper()
	dir := t.TempDir()
	h := &harness{
		t: t, clock: clockwork.NewFakeClockAt(start), dir: dir,
		path: filepath.Join(dir, "profile.toml"), stdout: &syncBuffer{}, logs: &syncBuffer{},
	}
	writeFile(t, h.path, profileText)
	return h
}

// start creates and starts a daemon on the harness's state directory.
func (h *harness) start() {
	h.t.Helper()
	opts := daemon.Options{
		ProfilePath: h.path,
		StateDir:    filepath.Join(h.dir, "state"),
		Clock:       h.clock,
		Logger:      slog.New(slog.NewTextHandler(io.MultiWriter(h.logs), &slog.HandlerOptions{Level: slog.LevelDebug})),
		Getenv:      func(string) string { return "" },
		Stdout:      h.stdout,
		Socket:      h.socket,
		StopGrace:   h.stopGrace,
	}
	opts.WeatherTimeout = h.weatherTimeout
	d, err := daemon.New(context.Background(), opts)
	if err != nil {
		h.t.Fatal(err)
	}
	h.fired = make(chan []domain.Occurrence, 1024)
	h.settled = make(chan domain.Delivery, 1024)
	d.OnFired(func(o []domain.Occurrence) { h.fired <- o })
	d.OnSettled(func(del domain.Delivery) { h.settled <- del })
	if err := d.Start(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.d = d
	h.t.Cleanup(func() { h.stop() })
}

func (h *harness) stop() {
	if h.d != nil {
		if err := h.d.Stop(); err != nil {
			h.t.Error(err)
		}
		h.d = nil
	}
}

// waitFired collects fired occurrences until want of them arrived. It waits
// for goroutines, not for time: the fake clock does not move meanwhile.
func (h *harness) waitFired(want int) []domain.Occurrence {
	h.t.Helper()
	var got []domain.Occurrence
	deadline := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case occs := <-h.fired:
			got = append(got, occs...)
		case <-deadline:
			h.t.Fatalf("waited for %d fired reminders, got %d: %v\nlogs:\n%s", want, len(got), ids(got), h.logs.String())
		}
	}
	return got
}

func (h *harness) waitSettled(want int) []domain.Delivery {
	h.t.Helper()
	var got []domain.Delivery
	deadline := time.After(10 * time.Second)
	for len(got) < want {
		select {
		case d := <-h.settled:
			got = append(got, d)
		case <-deadline:
			h.t.Fatalf("waited for %d settled deliveries, got %d\nlogs:\n%s", want, len(got), h.logs.String())
		}
	}
	return got
}

// advanceTo moves the fake clock to t, then waits until the schedule loop
// and the outbox have handled everything due by t: a check that nothing
// (else) fired can then fail.
func (h *harness) advanceTo(t time.Time) {
	h.t.Helper()
	h.settle()
	h.clock.Advance(t.Sub(h.clock.Now()))
	h.settle()
}

// settle waits until the loop and the outbox have handled everything due by
// the fake clock's time.
func (h *harness) settle() {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := h.clock.Now()
	if err := h.d.Engine().HandledThrough(ctx, now); err != nil {
		h.t.Fatalf("%v\nlogs:\n%s", err, h.logs.String())
	}
	if err := h.d.Outbox().HandledThrough(ctx, now); err != nil {
		h.t.Fatalf("%v\nlogs:\n%s", err, h.logs.String())
	}
}

// eventually polls cond (goroutines, not the fake clock, must make it
// hold) and fails with msg's text if it does not hold within ten seconds.
func eventually(t *testing.T, cond func() bool, msg func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(msg())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noneFired fails the test if anything was recorded as fired since the
// last wait.
func (h *harness) noneFired(what string) {
	h.t.Helper()
	select {
	case extra := <-h.fired:
		h.t.Fatalf("%s: %v", what, ids(extra))
	default:
	}
}

func ids(occs []domain.Occurrence) []string {
	out := make([]string, len(occs))
	for i, o := range occs {
		out[i] = o.ID
	}
	return out
}

// stdoutLines parses the stdout channel's JSON lines.
func (h *harness) stdoutLines() []map[string]any {
	h.t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(h.stdout.String()))
	for sc.Scan() {
		var ev struct {
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			h.t.Fatalf("stdout line %q: %v", sc.Text(), err)
		}
		out = append(out, ev.Data)
	}
	return out
}

const weekProfile = `timezone = "America/New_York"
[sleep]
wake = "06:30"
bed = "00:30"
[climate]
kind = "hot"
[[exercise]]
name = "Swim"
days = ["sun", "wed"]
start = "07:15"
duration = "40m"
intensity = "high"
[[medication]]
name = "Night dose"
times = ["02:30", "21:00"]
lowers = ["magnesium"]
max_repeats = 0
[[custom]]
name = "Repeated hour"
cron = "0,30 1 * * *"
title = "In the repeated hour"
[[custom]]
name = "Seconds"
cron = "15 45 13 * * *"
title = "Six fields"
[[channel]]
type = "stdout"
`

// TestPlanEqualsFired runs a simulated week across New York's
// spring-forward day and checks that what fired is exactly the plan: the
// same ids at the same instants, each once.
func TestPlanEqualsFired(t *testing.T) {
	start := time.Date(2027, 3, 10, 0, 0, 0, 0, mustZone(t, "America/New_York"))
	h := newHarness(t, weekProfile, start)
	h.start()
	p, err := profile.Load(h.path)
	if err != nil {
		t.Fatal(err)
	}
	end := start.AddDate(0, 0, 7)
	want := plan.Build(p, start, end)
	if len(want) < 120 {
		t.Fatalf("the week plan has only %d occurrences", len(want))
	}

	type firing struct {
		id string
		at time.Time
	}
	var fired []firing
	for i := 0; i < len(want); {
		at := want[i].At
		n := 0
		for i+n < len(want) && want[i+n].At.Equal(at) {
			n++
		}
		h.advanceTo(at)
		for _, o := range h.waitFired(n) {
			fired = append(fired, firing{o.ID, o.At})
			if !h.clock.Now().Equal(o.At) {
				t.Errorf("%s fired at %s, due %s", o.ID, h.clock.Now(), o.At)
			}
		}
		// Let the outbox deliver before time moves on.
		for _, d := range h.waitSettled(n) {
			if d.Status != domain.StatusDelivered {
				t.Errorf("%s: delivery %s (%s)", d.Occurrence.ID, d.Status, d.LastError)
			}
		}
		i += n
	}
	// Run to the end of the week: nothing else may fire.
	h.advanceTo(end.Add(-time.Second))
	h.noneFired("fired beyond the plan")

	if len(fired) != len(want) {
		t.Fatalf("fired %d, planned %d", len(fired), len(want))
	}
	sort.Slice(fired, func(i, j int) bool { return fired[i].id < fired[j].id })
	planned := make([]firing, len(want))
	for i, o := range want {
		planned[i] = firing{o.ID, o.At}
	}
	sort.Slice(planned, func(i, j int) bool { return planned[i].id < planned[j].id })
	for i := range planned {
		if fired[i].id != planned[i].id || !fired[i].at.Equal(planned[i].at) {
			t.Fatalf("fired %v, planned %v", fired[i], planned[i])
		}
	}

	lines := h.stdoutLines()
	if len(lines) != len(want) {
		printed := map[string]bool{}
		for _, l := range lines {
			printed[l["id"].(string)] = true
		}
		for _, o := range want {
			if !printed[o.ID] {
				t.Errorf("not printed: %s %s %s", o.ID, o.Kind, o.At)
			}
		}
		t.Fatalf("stdout printed %d reminders, want %d\n%s", len(lines), len(want), h.logs.String())
	}
	seen := map[string]bool{}
	for _, l := range lines {
		id := l["id"].(string)
		if seen[id] {
			t.Fatalf("%s printed twice", id)
		}
		seen[id] = true
	}
	// The dose inside the spring-forward gap fired once at 03:30 EDT.
	gap := time.Date(2027, 3, 14, 3, 30, 0, 0, start.Location())
	if !slices.ContainsFunc(fired, func(f firing) bool { return strings.HasPrefix(f.id, "medication-") && f.at.Equal(gap) }) {
		t.Error("the 02:30 dose on spring-forward day did not fire at 03:30 EDT")
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// jumpProfile has three reminders with different grace windows between
// 10:00 and 10:20 UTC.
// quietHead switches off the built-in kinds that would come due in a test.
const quietHead = `timezone = "UTC"
[hydration]
enabled = false
[stretch]
enabled = false
[food]
enabled = false
`

const jumpProfile = quietHead + `[[medication]]
name = "Pill"
times = ["10:05"]
max_repeats = 0
[[custom]]
name = "Early"
cron = "0 10 * * *"
title = "Early"
[[custom]]
name = "Late"
cron = "20 10 * * *"
title = "Late"
[[channel]]
type = "stdout"
`

// statuses reads the occurrence log.
func statuses(t *testing.T, h *harness) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, o := range h.occurrences() {
		out[o.rule] = o.status
	}
	return out
}

type logged struct{ id, rule, status string }

func (h *harness) occurrences() []logged {
	h.t.Helper()
	db := h.d.Store().DB()
	rows, err := db.Query("SELECT id, rule, status FROM occurrences ORDER BY scheduled_at")
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	var out []logged
	for rows.Next() {
		var l logged
		if err := rows.Scan(&l.id, &l.rule, &l.status); err != nil {
			h.t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// A suspend from 09:59 to 10:30 stalls every timer; on resume the wall
// clock has jumped past three reminders. Those still within their grace
// window (the dose: 2h; "Late": 15m) fire once; "Early" (30 minutes late,
// past its 15m grace) is recorded as missed and never fires.
func TestWallClockJumpCatchesUpWithinGrace(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, start)
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	fired := h.waitFired(2)
	h.waitSettled(2)
	h.settle()
	got := map[string]bool{}
	for _, o := range fired {
		got[o.Rule] = true
	}
	if !got["medication/Pill/10:05"] || !got["custom/Late"] || got["custom/Early"] {
		t.Fatalf("fired %v, want the dose and Late", ids(fired))
	}
	want := map[string]string{"medication/Pill/10:05": "fired", "custom/Late": "fired", "custom/Early": "missed"}
	if s := statuses(t, h); !mapsEqual(s, want) {
		t.Fatalf("occurrence log %v, want %v", s, want)
	}
	// Nothing fires twice however time moves on.
	h.advanceTo(time.Date(2027, 6, 1, 23, 0, 0, 0, time.UTC))
	h.settle()
	h.noneFired("fired again")
	if n := len(h.stdoutLines()); n != 2 {
		t.Fatalf("printed %d reminders, want 2", n)
	}
	if !strings.Contains(h.logs.String(), "reminder missed") {
		t.Error("the missed reminder was not logged")
	}
}

// Downtime behaves like a suspend: stop at 09:59, start again at 10:30 on
// the same state.
func TestDowntimeCatchesUpWithinGrace(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, start)
	h.start()
	h.stop()
	h.clock.Advance(31 * time.Minute)
	h.start()
	fired := h.waitFired(2)
	h.waitSettled(2)
	h.settle()
	if len(fired) != 2 {
		t.Fatalf("fired %v", ids(fired))
	}
	want := map[string]string{"medication/Pill/10:05": "fired", "custom/Late": "fired", "custom/Early": "missed"}
	if s := statuses(t, h); !mapsEqual(s, want) {
		t.Fatalf("occurrence log %v, want %v", s, want)
	}
	// A restart after that changes nothing.
	h.stop()
	h.start()
	h.settle()
	h.noneFired("fired again after a restart")
}

// A backward clock step never makes a reminder fire early or twice.
func TestClockStepBackNeverFiresEarlyOrTwice(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 58, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, start)
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	first := h.waitFired(1)
	h.waitSettled(1)
	if first[0].Rule != "custom/Early" {
		t.Fatalf("fired %v", ids(first))
	}
	// NTP steps the clock back an hour.
	h.settle()
	h.clock.Advance(-time.Hour)
	h.advanceTo(time.Date(2027, 6, 1, 9, 30, 0, 0, time.UTC))
	h.settle()
	select {
	case extra := <-h.fired:
		t.Fatalf("fired while the clock was behind: %v at %s", ids(extra), h.clock.Now())
	default:
	}
	// Back at 10:00 and beyond: the dose and Late fire on time, Early does
	// not fire again.
	h.advanceTo(time.Date(2027, 6, 1, 10, 5, 0, 0, time.UTC))
	dose := h.waitFired(1)
	if dose[0].Rule != "medication/Pill/10:05" || !h.clock.Now().Equal(dose[0].At) {
		t.Fatalf("fired %v at %s", ids(dose), h.clock.Now())
	}
	h.waitSettled(1)
	h.advanceTo(time.Date(2027, 6, 1, 10, 20, 0, 0, time.UTC))
	late := h.waitFired(1)
	if late[0].Rule != "custom/Late" {
		t.Fatalf("fired %v", ids(late))
	}
	h.waitSettled(1)
	h.advanceTo(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	h.settle()
	if n := len(h.stdoutLines()); n != 3 {
		t.Fatalf("printed %d reminders, want 3", n)
	}
}

// A reload with a broken profile keeps the old schedule firing; a good one
// swaps it.
func TestReloadIsAllOrNothing(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, start)
	h.start()
	writeFile(t, h.path, "timezone = \"UTC\"\n[sleep]\nwake = \"7am\"\n")
	err := h.d.Reload(context.Background())
	if err == nil || !strings.Contains(err.Error(), "profile.toml:3:8: sleep.wake:") {
		t.Fatalf("reload error %v, want one naming line and column", err)
	}
	if !strings.Contains(h.logs.String(), "reload failed; the previous profile stays in force") {
		t.Error("the failed reload was not logged")
	}
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	if got := h.waitFired(1); got[0].Rule != "custom/Early" {
		t.Fatalf("after a failed reload fired %v", ids(got))
	}
	h.waitSettled(1)

	writeFile(t, h.path, strings.Replace(jumpProfile, `cron = "20 10 * * *"`, `cron = "40 10 * * *"`, 1))
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.advanceTo(time.Date(2027, 6, 1, 10, 5, 0, 0, time.UTC))
	h.waitFired(1)
	h.waitSettled(1)
	h.advanceTo(time.Date(2027, 6, 1, 10, 20, 0, 0, time.UTC))
	h.settle()
	h.noneFired("the old 10:20 reminder fired after the reload")
	h.advanceTo(time.Date(2027, 6, 1, 10, 40, 0, 0, time.UTC))
	if got := h.waitFired(1); !got[0].At.Equal(time.Date(2027, 6, 1, 10, 40, 0, 0, time.UTC)) {
		t.Fatalf("after reload fired %v at %s", ids(got), got[0].At)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// BenchmarkStart measures New and Start, up to the point where systemd is
// told READY=1, on the example profile (a demo reminder every 10 seconds).
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		dir := b.TempDir()
		d, err := daemon.New(context.Background(), daemon.Options{
			ProfilePath: "../../config/example.toml", StateDir: filepath.Join(dir, "state"),
			Clock: clockwork.NewRealClock(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Getenv: func(string) string { return "" }, Stdout: io.Discard,
		})
		if err != nil {
			b.Fatal(err)
		}
		if err := d.Start(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		d.Stop()
		b.StartTimer()
	}
}

// A reminder every two seconds arms at most 256 jobs at a time, and the
// sentinel keeps topping the window up: over twenty minutes, every one
// fires at its instant, none late.
func TestDenseScheduleStaysArmed(t *testing.T) {
	start := time.Date(2027, 6, 1, 9, 59, 59, 0, time.UTC)
	h := newHarness(t, `timezone = "UTC"
[hydration]
enabled = false
[stretch]
enabled = false
[food]
enabled = false
[[custom]]
name = "Tick"
cron = "*/2 * 10 * * *"
title = "Tick"
[[channel]]
type = "stdout"
`, start)
	h.start()
	if n := h.d.Armed(); n != 256 {
		t.Fatalf("armed %d jobs, want the cap of 256", n)
	}
	for at := start.Add(time.Second); at.Before(start.Add(20 * time.Minute)); at = at.Add(2 * time.Second) {
		h.advanceTo(at)
		got := h.waitFired(1)
		if !got[0].At.Equal(at) || !h.clock.Now().Equal(at) {
			t.Fatalf("fired %s at %s, due %s", got[0].ID, h.clock.Now(), got[0].At)
		}
		h.waitSettled(1)
		n := h.d.Armed()
		if n > 256 || n < 127 {
			t.Fatalf("%d jobs armed", n)
		}
		// A capped window is topped up once it has half drained, not
		// re-planned after every fire.
		if at.Equal(start.Add(time.Second)) && n != 255 {
			t.Fatalf("%d jobs armed after the first fire, want 255", n)
		}
	}
}

// An occurrence is recorded half a second ahead of its instant, so the
// fsync'd commit is off the path to the user; its delivery waits for the
// instant itself, and a stop in between neither loses nor repeats it.
func TestRecordedAheadSentAtInstant(t *testing.T) {
	at := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, at.Add(-time.Minute))
	h.start()
	h.advanceTo(at.Add(-400 * time.Millisecond))
	got := h.waitFired(1)
	if got[0].Rule != "custom/Early" {
		t.Fatalf("recorded %v", ids(got))
	}
	h.settle()
	if s := statuses(t, h); s["custom/Early"] != "fired" {
		t.Fatalf("occurrence log %v: Early is not recorded ahead of its instant", s)
	}
	var next int64
	if err := h.d.Store().DB().QueryRow("SELECT next_attempt_at FROM deliveries").Scan(&next); err != nil {
		t.Fatal(err)
	}
	if next != at.UnixMilli() {
		t.Fatalf("delivery held until %s, want the instant %s", time.UnixMilli(next).UTC(), at)
	}
	if n := len(h.stdoutLines()); n != 0 {
		t.Fatalf("printed %d reminders before the instant", n)
	}
	h.advanceTo(at)
	d := h.waitSettled(1)
	if d[0].Status != domain.StatusDelivered || len(h.stdoutLines()) != 1 {
		t.Fatalf("at the instant: %+v, %d printed", d[0], len(h.stdoutLines()))
	}

	// Recorded ahead, then stopped before the instant: the next start
	// sends it once, without recording it again.
	h.advanceTo(time.Date(2027, 6, 1, 10, 5, 0, 0, time.UTC))
	h.waitFired(1)
	h.waitSettled(1)
	h.advanceTo(time.Date(2027, 6, 1, 10, 20, 0, 0, time.UTC).Add(-300 * time.Millisecond))
	late := h.waitFired(1)
	if late[0].Rule != "custom/Late" {
		t.Fatalf("recorded %v", ids(late))
	}
	h.settle()
	h.stop()
	if n := len(h.stdoutLines()); n != 2 {
		t.Fatalf("printed %d reminders, want Early and the dose before the stop", n)
	}
	h.clock.Advance(2 * time.Second)
	h.start()
	h.waitSettled(1)
	h.settle()
	lines := h.stdoutLines()
	if len(lines) != 3 || lines[2]["id"] != late[0].ID {
		t.Fatalf("after the restart printed %v, want Late once", lines)
	}
	h.noneFired("recorded again after the restart")
}

// An idle daemon does not write its high-water mark on every wake: only
// after lastSeenIdle with nothing recorded, and at once on a reload.
func TestIdleWakesDoNotWrite(t *testing.T) {
	start := time.Date(2027, 6, 1, 11, 0, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, start)
	h.start()
	mark := func() time.Time {
		t.Helper()
		h.settle()
		h.settle()
		at, err := h.d.Store().LastSeen(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	if m := mark(); !m.Equal(start) {
		t.Fatalf("mark after start %s, want %s", m, start)
	}
	for hour := 12; hour <= 16; hour++ {
		h.advanceTo(time.Date(2027, 6, 1, hour, 0, 0, 0, time.UTC))
		if m := mark(); !m.Equal(start) {
			t.Fatalf("an idle wake at %d:00 wrote the mark (%s)", hour, m)
		}
	}
	sixHours := start.Add(6 * time.Hour)
	h.advanceTo(sixHours)
	var m time.Time
	eventually(t, func() bool { m = mark(); return !m.Before(sixHours) },
		func() string { return fmt.Sprintf("after six idle hours the mark is still %s", m) })
	h.advanceTo(sixHours.Add(30 * time.Minute))
	if err := h.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := mark(); !m.Equal(h.clock.Now()) {
		t.Fatalf("mark after a reload %s, want %s", m, h.clock.Now())
	}
}

// A start within the lead of an instant cannot arm a job for it in time:
// the loop records it at once, and it is still sent at its instant.
func TestStartWithinLeadRecordsAtOnce(t *testing.T) {
	at := time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC)
	h := newHarness(t, jumpProfile, at.Add(-300*time.Millisecond))
	h.start()
	if got := h.waitFired(1); got[0].Rule != "custom/Early" {
		t.Fatalf("recorded %v", ids(got))
	}
	h.settle()
	if n := len(h.stdoutLines()); n != 0 {
		t.Fatalf("printed %d reminders before the instant", n)
	}
	h.advanceTo(at)
	if d := h.waitSettled(1)[0]; d.Status != domain.StatusDelivered || len(h.stdoutLines()) != 1 {
		t.Fatalf("at the instant: %+v, %d printed", d, len(h.stdoutLines()))
	}
}
