package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strings"
	"text/tabwriter"
)

type meta struct {
	Date       string  `json:"date"`
	Mode       string  `json:"mode"`
	Command    string  `json:"command"`
	Crampd     string  `json:"crampd"`
	Remind     string  `json:"remind"`
	Go         string  `json:"go"`
	Cores      int     `json:"cores"`
	CPU        string  `json:"cpu"`
	Kernel     string  `json:"kernel"`
	IdleS      float64 `json:"idle_window_s"`
	FireRuns   int     `json:"fire_runs"`
	FirePerRun int     `json:"fire_reminders_per_run"`
	ElapsedS   float64 `json:"elapsed_s"`
}

type results struct {
	Meta  meta
	Fire  fireResult
	Burst burstResult
	Idle  idleResult
	Ready readyResult
	Scale scaleResult
	Drain drainResult
	Disk  diskResult
	Web   webResult
	Reply replyResult
}

// newResults returns results whose every figure is NaN until measured, so
// that a figure left out with --only shows as missing rather than zero.
func newResults(m meta) *results {
	nan := math.NaN()
	lat := latency{nan, nan, nan}
	idle := idleUse{CPUMsPerHour: nan, TickCPUMsPerHour: nan, WakeupsPerHour: nan, RSSMiB: nan}
	return &results{
		Meta:  m,
		Fire:  fireResult{Crampd: lat, Remind: lat},
		Burst: burstResult{AllMs: nan, FirstMs: nan, RemindAllMs: nan, RemindFirstMs: nan, RecordedMs: nan, CPUMs: nan},
		Idle:  idleResult{Crampd: idle, Remind: idle},
		Ready: readyResult{nan, nan},
		Scale: scaleResult{CheckMs: nan, PlanMs: nan, ReadyMs: nan, RSSMiB: nan, IdleCPUMsPerHour: nan},
		Drain: drainResult{PerS: nan, ReadyMs: nan, CPUUsPerDelivery: nan, Cores: nan, Conns: nan},
		Disk:  diskResult{nan, nan},
		Web: webResult{TodayP50Ms: nan, TodayP95Ms: nan, TrendsP50Ms: nan, TrendsP95Ms: nan, ReportP50Ms: nan, ReportP95Ms: nan,
			TodayKB: nan, IdleRSSMiB: nan, LoadedRSSMiB: nan},
		Reply: replyResult{Effect: lat, WakesWith: nan, WakesWithout: nan, KeepaliveS: nan, ExtraPerKeepalive: nan},
	}
}

// ratio is a/b, or NaN when either is missing.
func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return math.NaN()
	}
	return a / b
}

// flat is the --json object: metadata and numeric figures side by side.
func (r *results) flat() map[string]any {
	num := func(x float64) any {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return math.Round(x*1000) / 1000
	}
	m := map[string]any{
		"date": r.Meta.Date, "mode": r.Meta.Mode, "command": r.Meta.Command, "crampd": r.Meta.Crampd,
		"remind": r.Meta.Remind, "go": r.Meta.Go, "cores": r.Meta.Cores, "cpu": r.Meta.CPU, "kernel": r.Meta.Kernel,
		"idle_window_s": r.Meta.IdleS, "fire_runs": r.Meta.FireRuns, "fire_reminders_per_run": r.Meta.FirePerRun,
		"elapsed_s": num(r.Meta.ElapsedS),
	}
	for k, v := range r.figures() {
		m[k] = num(v)
	}
	return m
}

// figures lists every numeric figure by its JSON key.
func (r *results) figures() map[string]float64 {
	f, b, i, s := r.Fire, r.Burst, r.Idle, r.Scale
	return map[string]float64{
		"fire_p50_ms":                       f.Crampd.P50,
		"fire_p99_ms":                       f.Crampd.P99,
		"fire_max_ms":                       f.Crampd.Max,
		"remind_fire_p50_ms":                f.Remind.P50,
		"remind_fire_p99_ms":                f.Remind.P99,
		"remind_fire_max_ms":                f.Remind.Max,
		"fire_p50_ratio_remind_over_crampd": ratio(f.Remind.P50, f.Crampd.P50),
		"burst_first_received_ms":           b.FirstMs,
		"burst_all_received_ms":             b.AllMs,
		"remind_burst_all_received_ms":      b.RemindAllMs,
		"burst_ratio_remind_over_crampd":    ratio(b.RemindAllMs, b.AllMs),
		"idle_cpu_ms_per_hour":              i.Crampd.CPUMsPerHour,
		"idle_cpu_ticks_ms_per_hour":        i.Crampd.TickCPUMsPerHour,
		"idle_wakeups_per_hour":             i.Crampd.WakeupsPerHour,
		"rss_mib":                           i.Crampd.RSSMiB,
		"remind_idle_cpu_ms_per_hour":       i.Remind.CPUMsPerHour,
		"remind_idle_wakeups_per_hour":      i.Remind.WakeupsPerHour,
		"remind_rss_mib":                    i.Remind.RSSMiB,
		"idle_cpu_ratio_crampd_over_remind": ratio(i.Crampd.CPUMsPerHour, i.Remind.CPUMsPerHour),
		"idle_due_in_window":                float64(i.Crampd.DueInWindow),
		"ready_ms":                          r.Ready.FirstMs,
		"ready_restart_ms":                  r.Ready.RestartMs,
		"scale_check_ms":                    s.CheckMs,
		"scale_plan_ms":                     s.PlanMs,
		"scale_check_plan_ms":               s.CheckMs + s.PlanMs,
		"scale_ready_ms":                    s.ReadyMs,
		"scale_rss_mib":                     s.RSSMiB,
		"scale_idle_cpu_ms_per_hour":        s.IdleCPUMsPerHour,
		"outbox_drain_per_s":                r.Drain.PerS,
		"outbox_ready_with_10k_pending_ms":  r.Drain.ReadyMs,
		"web_today_p95_ms":                  r.Web.TodayP95Ms,
		"web_trends_52w_p95_ms":             r.Web.TrendsP95Ms,
		"web_report_52w_p95_ms":             r.Web.ReportP95Ms,
		"web_today_kb":                      r.Web.TodayKB,
		"web_idle_rss_mib":                  r.Web.IdleRSSMiB,
		"web_rss_after_a_year_mib":          r.Web.LoadedRSSMiB,
		"reply_press_effect_p50_ms":         r.Reply.Effect.P50,
		"reply_press_effect_p99_ms":         r.Reply.Effect.P99,
		"reply_press_effect_max_ms":         r.Reply.Effect.Max,
		"reply_idle_wakeups_per_hour":       r.Reply.WakesWith,
		"reply_idle_wakeups_per_hour_none":  r.Reply.WakesWithout,
		"reply_extra_wakeups_per_keepalive": r.Reply.ExtraPerKeepalive,
		"reply_keepalive_s":                 r.Reply.KeepaliveS,
	}
}

// row is one line of the table.
type row struct {
	name   string
	crampd float64
	remind float64 // NaN: no peer figure
	unit   string
	// target: the figure must be at most (or, with atLeast, at least) it;
	// NaN means the figure has no target.
	target  float64
	atLeast bool
	// idle marks the idle rows, whose quick-mode window is too short to
	// judge a daemon that may sleep longer than it.
	idle bool
}

func (r *results) rows() []row {
	nan := math.NaN()
	f, b, i, s := r.Fire, r.Burst, r.Idle, r.Scale
	return []row{
		{"fire latency p50 (1 reminder)", f.Crampd.P50, f.Remind.P50, "ms", nan, false, false},
		{"fire latency p99 (1 reminder)", f.Crampd.P99, f.Remind.P99, "ms", 3, false, false},
		{"fire latency max", f.Crampd.Max, f.Remind.Max, "ms", nan, false, false},
		{"burst of 1,000: first received", b.FirstMs, b.RemindFirstMs, "ms", nan, false, false},
		{"burst of 1,000: all recorded (crampd's log)", b.RecordedMs, nan, "ms", nan, false, false},
		{"burst of 1,000: all received", b.AllMs, b.RemindAllMs, "ms", 500, false, false},
		{"burst of 1,000: crampd CPU time", b.CPUMs, nan, "ms", nan, false, false},
		{"idle CPU (extrapolated)", i.Crampd.CPUMsPerHour, i.Remind.CPUMsPerHour, "ms/h", 5, false, true},
		{"idle CPU from /proc stat ticks", i.Crampd.TickCPUMsPerHour, i.Remind.TickCPUMsPerHour, "ms/h", nan, false, false},
		{"idle wakeups (context switches)", i.Crampd.WakeupsPerHour, i.Remind.WakeupsPerHour, "/h", nan, false, false},
		{"idle RSS", i.Crampd.RSSMiB, i.Remind.RSSMiB, "MiB", 20, false, false},
		{"start → READY (new state)", r.Ready.FirstMs, nan, "ms", 100, false, false},
		{"start → READY (restart)", r.Ready.RestartMs, nan, "ms", 100, false, false},
		{"scale 10k: check + plan", s.CheckMs + s.PlanMs, nan, "ms", 1000, false, false},
		{"scale 10k: check", s.CheckMs, nan, "ms", nan, false, false},
		{"scale 10k: plan (1 day)", s.PlanMs, nan, "ms", nan, false, false},
		{"scale 10k: start → READY", s.ReadyMs, nan, "ms", 1000, false, false},
		{"scale 10k: peak RSS", s.RSSMiB, nan, "MiB", 100, false, false},
		{"scale 10k: CPU while running", s.IdleCPUMsPerHour, nan, "ms/h", nan, false, false},
		{"outbox drain (10,000 queued)", r.Drain.PerS, nan, "/s", 2000, true, false},
		{"outbox drain: CPU per delivery", r.Drain.CPUUsPerDelivery, nan, "µs", nan, false, false},
		{"outbox drain: cores busy", r.Drain.Cores, nan, "", nan, false, false},
		{"outbox drain: TCP connections opened", r.Drain.Conns, nan, "", nan, false, false},
		{"disk: 4 KiB write + fsync p50", r.Disk.P50Ms, nan, "ms", nan, false, false},
		{"disk: 4 KiB write + fsync p99", r.Disk.P99Ms, nan, "ms", nan, false, false},
		{"web: Today p50 (a year of history)", r.Web.TodayP50Ms, nan, "ms", nan, false, false},
		{"web: Today p95 (a year of history)", r.Web.TodayP95Ms, nan, "ms", 20, false, false},
		{"web: Trends, 52 weeks, p50", r.Web.TrendsP50Ms, nan, "ms", nan, false, false},
		{"web: Trends, 52 weeks, p95", r.Web.TrendsP95Ms, nan, "ms", 20, false, false},
		{"web: report, 52 weeks, p50", r.Web.ReportP50Ms, nan, "ms", nan, false, false},
		{"web: report, 52 weeks, p95", r.Web.ReportP95Ms, nan, "ms", 20, false, false},
		{"web: Today's page weight (page, CSS, script)", r.Web.TodayKB, nan, "kB", 100, false, false},
		{"web: idle RSS with the web page on", r.Web.IdleRSSMiB, nan, "MiB", 25, false, false},
		{"web: RSS after serving a year's pages", r.Web.LoadedRSSMiB, nan, "MiB", nan, false, false},
		{"phone press → ack committed p50", r.Reply.Effect.P50, nan, "ms", nan, false, false},
		{"phone press → ack committed p99", r.Reply.Effect.P99, nan, "ms", 100, false, false},
		{"phone press → ack committed max", r.Reply.Effect.Max, nan, "ms", nan, false, false},
		{"idle wakeups, reply subscription open", r.Reply.WakesWith, nan, "/h", nan, false, false},
		{"idle wakeups, no reply subscription", r.Reply.WakesWithout, nan, "/h", nan, false, false},
		{"extra wakeups per ntfy keepalive", r.Reply.ExtraPerKeepalive, nan, "", nan, false, false},
	}
}

// verdict says whether x meets the row's target, and by how much it misses.
// A quick run's idle window may hold no wakeup at all, so it does not judge
// idle CPU.
func (w row) verdict(quick bool) string {
	if math.IsNaN(w.target) {
		return ""
	}
	if quick && w.idle {
		return "not judged: 48 s window, see a full run"
	}
	if math.IsNaN(w.crampd) {
		return "not measured"
	}
	if (w.atLeast && w.crampd >= w.target) || (!w.atLeast && w.crampd <= w.target) {
		return "ok"
	}
	if w.atLeast {
		return fmt.Sprintf("MISSED: %s short (%.0f%% of target)", fmtNum(w.target-w.crampd), 100*w.crampd/w.target)
	}
	return fmt.Sprintf("MISSED by %s (%.1f× the target)", fmtNum(w.crampd-w.target), w.crampd/w.target)
}

func (w row) targetText() string {
	if math.IsNaN(w.target) {
		return ""
	}
	op := "≤"
	if w.atLeast {
		op = "≥"
	}
	return op + " " + fmtNum(w.target) + " " + w.unit
}

func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x):
		return "–"
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

// table prints the figures for a terminal, as a Markdown table so that it
// can go into bench/RESULTS.md as it is.
func (r *results) table(w io.Writer) {
	m := r.Meta
	fmt.Fprintf(w, "crampd %s, %s run, %s\n", m.Crampd, m.Mode, m.Date)
	fmt.Fprintf(w, "%d cores (%s), %s, Linux %s, peer %s\n", m.Cores, m.CPU, m.Go, m.Kernel, m.Remind)
	fmt.Fprintf(w, "command: %s (%.0f s)\n\n", m.Command, m.ElapsedS)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "| figure\t| crampd\t| remind -z\t| remind/crampd\t| target\t| verdict\t|")
	fmt.Fprintln(tw, "|---\t|---:\t|---:\t|---:\t|---\t|---\t|")
	for _, x := range r.rows() {
		rt := ""
		if !math.IsNaN(x.remind) {
			rt = fmtNum(ratio(x.remind, x.crampd)) + "×"
		}
		fmt.Fprintf(tw, "| %s\t| %s %s\t| %s\t| %s\t| %s\t| %s\t|\n", x.name, fmtNum(x.crampd), x.unit,
			map[bool]string{true: "", false: fmtNum(x.remind) + " " + x.unit}[math.IsNaN(x.remind)], rt, x.targetText(), x.verdict(m.Mode == "quick"))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nMedians over runs: fire %d runs × %d reminders, idle %d daemons of each for %.0f s (%d reminders due inside), drain runs: %d.\n",
		m.FireRuns, m.FirePerRun, quickOr(m.Mode, quick.idleProcs, full.idleProcs), m.IdleS, r.Idle.Crampd.DueInWindow, quickOr(m.Mode, quick.drainRuns, full.drainRuns))
	if r.Web.Requests > 0 {
		fmt.Fprintf(w, "Web: %d requests per page over loopback, on %d reminders and %d cramps of 365 nights.\n", r.Web.Requests, r.Web.Reminders, r.Web.Cramps)
	}
}

func quickOr(mode string, q, f int) int {
	if mode == "quick" {
		return q
	}
	return f
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func goVersion(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func remindVersion() string {
	out, err := exec.Command("dpkg-query", "-W", "-f", "${Version}", "remind").Output()
	if err != nil || len(out) == 0 {
		return "remind"
	}
	return "remind " + strings.TrimSpace(string(out))
}
