package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/rules"
	"github.com/crampd/crampd/internal/stats"
)

func newStatusCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's state",
		Long: `Status shows how long the daemon has run, the profile it loaded (and whether
the last reload failed), any pause, what waits in the outbox, the repeats and
snoozes still to come, the next reminder, with [weather] this hour's heat
index and when its forecast was fetched, and each subscription to a phone's
replies: connected, reconnecting (since when, and why), or refused by the
server (and what to fix). Without a daemon it exits 3; with --json it then
prints {"error": "..."} as well.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				st, err := svc.Status(cmd.Context())
				if err != nil {
					return err
				}
				if f.json {
					return writeJSON(env.Stdout, st)
				}
				which := "your daemon"
				if c, ok := svc.(*control.Client); ok && c.System() {
					which = "system service crampd.service"
				}
				writeStatus(env.Stdout, st, which, zoneOf(st.Zone), env.Clock.Now())
				return nil
			})
			var ee *exitError
			if f.json && errors.As(err, &ee) && ee.code == exitNoDaemon {
				writeJSON(env.Stdout, control.Error{Error: ee.err.Error()})
			}
			return err
		},
	}
	f.add(cmd, true)
	return cmd
}

func writeStatus(w io.Writer, st app.Status, which string, loc *time.Location, now time.Time) {
	fmt.Fprintf(w, "crampd is running (%s, up %s)\n", which, st.Uptime)
	reload := "ok"
	if !st.LastReload.OK {
		reload = "FAILED, previous profile in force: " + firstLine(st.LastReload.Error)
	}
	fmt.Fprintf(w, "  profile:  %s (loaded %s, %s)\n", st.Profile, stamp(st.LastReload.At, loc, now), reload)
	fmt.Fprintf(w, "  state:    %s\n", st.State)
	fmt.Fprintf(w, "  zone:     %s\n", loc)
	if st.Paused && st.PausedUntil != nil {
		fmt.Fprintf(w, "  paused:   until %s\n", stamp(*st.PausedUntil, loc, now))
	} else {
		fmt.Fprintf(w, "  paused:   no\n")
	}
	fmt.Fprintf(w, "  outbox:   %d waiting to go out, %d repeats and snoozes scheduled\n", st.OutboxDepth, st.Scheduled)
	if st.Next != nil {
		fmt.Fprintf(w, "  next:     %s %s at %s (%s)\n", st.Next.Kind, st.Next.ID, stamp(st.Next.At, loc, now), st.Next.Title)
	}
	if r := st.NextRepeat; r != nil {
		fmt.Fprintf(w, "  repeat:   %s %s at %s (%s)\n", r.Occurrence.Kind, r.Occurrence.ID, stamp(r.At, loc, now), r.Occurrence.Title)
	}
	if ws := st.Weather; ws != nil {
		fmt.Fprintf(w, "  weather:  %s\n", weatherStatus(ws, loc, now))
	}
	for _, r := range st.Replies {
		line := fmt.Sprintf("  replies:  channel %s %s since %s", r.Channel, r.State, stamp(r.Since, loc, now))
		if r.Error != "" {
			line += ": " + firstLine(r.Error)
		}
		if !r.LastReplyAt.IsZero() {
			line += "; last answer read at " + stamp(r.LastReplyAt, loc, now)
		}
		fmt.Fprintln(w, line)
		if r.Fix != "" {
			fmt.Fprintf(w, "            to fix: %s\n", r.Fix)
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

func zoneOf(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.UTC
}

// stamp shows t in the profile's zone, with the zone's abbreviation, as
// briefly as it can be read without doubt: the time alone today, "tomorrow"
// or "yesterday" next to it, the date otherwise.
func stamp(t time.Time, loc *time.Location, now time.Time) string {
	t, now = t.In(loc), now.In(loc)
	day := func(x time.Time) time.Time { return time.Date(x.Year(), x.Month(), x.Day(), 0, 0, 0, 0, time.UTC) }
	switch day(t).Sub(day(now)) {
	case 0:
		return t.Format("15:04 MST")
	case 24 * time.Hour:
		return t.Format("tomorrow 15:04 MST")
	case -24 * time.Hour:
		return t.Format("yesterday 15:04 MST")
	}
	return t.Format("Mon 2006-01-02 15:04 MST")
}

func newNextCmd(env Env) *cobra.Command {
	var (
		f    clientFlags
		n    int
		path string
		wf   weatherFlags
	)
	cmd := &cobra.Command{
		Use:   "next",
		Short: "List the next reminders",
		Long: `Next lists the next reminders from the running daemon, with their ids (for
ack and snooze). When no daemon runs, it says so on stderr and lists them
from the profile instead, following the weather forecast the daemon stored
in the state directory (--state, read-only) when the profile has a [weather]
section, and says so on stderr. --no-weather lists them from the profile and
the climate alone, daemon or not.`,
		Example: `  crampd next            # the next ten
  crampd next -n 3 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 1000 {
				return fail(exitUsage, errors.New("crampd next: -n must be between 1 and 1000"))
			}
			var (
				occs []domain.Occurrence
				loc  *time.Location
			)
			l := &local{state: wf.state, profile: path, needProfile: true, instead: "listing from the profile", weather: &wf}
			list := func(svc control.Service) (err error) {
				if loc, err = svc.Zone(cmd.Context()); err != nil {
					return err
				}
				occs, err = svc.Upcoming(cmd.Context(), n)
				return err
			}
			var err error
			if wf.noWeather {
				// The daemon's plan follows the forecast; only a plan
				// made here can leave it out.
				fmt.Fprintln(env.Stderr, "Listing from the profile and the climate alone (--no-weather).")
				err = withLocal(cmd.Context(), env, f, l, list)
			} else {
				err = withService(cmd.Context(), env, f, l, list)
			}
			if err != nil {
				return err
			}
			if f.json {
				return jsonOrErr(env, occs, nil)
			}
			writePlanTable(env.Stdout, loc, occs)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVarP(&n, "number", "n", 10, "how many reminders")
	profileFlag(cmd, &path)
	wf.add(cmd)
	return cmd
}

func newAckCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "ack ID",
		Short: "Mark a reminder as done (stops its repeats)",
		Long: `Ack marks a reminder done: its repeats and snoozes stop. ID is a reminder's
id as the notification, ` + "`crampd history`" + ` or ` + "`crampd next`" + ` shows it (kind-12 hex
digits). A reminder that has not come due yet (up to 48 hours ahead, as
` + "`crampd next`" + ` lists them) is marked done ahead, a dose taken early, and then
does not fire.`,
		Example: `  crampd ack medication-8869b3a05b4d`,
		Args:    cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return recentIDs(cmd.Context(), env, f), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				rec, err := svc.Ack(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if rec.Reason == "acknowledged ahead" {
					loc, err := svc.Zone(cmd.Context())
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stdout, "Done ahead: %s (%s, due %s); it will not fire.\n", rec.Title, rec.ID, stamp(rec.At, loc, env.Clock.Now()))
					return nil
				}
				fmt.Fprintf(env.Stdout, "Done: %s (%s).\n", rec.Title, rec.ID)
				return nil
			})
		},
	}
	f.add(cmd, false)
	return cmd
}

func newSnoozeCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "snooze ID DURATION",
		Short: "Send a reminder again after a while (1m to 24h)",
		Long: `Snooze sends a reminder again once, after DURATION (between ` + rules.Short(rules.MinSnooze) + ` and ` + rules.Short(rules.MaxSnooze) + `,
written like 10m, 1h or 1h30m). A snoozed medication keeps repeating after
it until acknowledged. ID comes from the notification, ` + "`crampd history`" + ` or
` + "`crampd next`" + `.`,
		Example: `  crampd snooze stretch-16393fb2e1dc 15m`,
		Args:    cobra.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return recentIDs(cmd.Context(), env, f), cobra.ShellCompDirectiveNoFileComp
			case 1:
				return []string{"10m", "15m", "30m", "1h", "2h"}, cobra.ShellCompDirectiveNoFileComp
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := profile.ParseDuration(args[1])
			if err != nil {
				return fail(exitUsage, fmt.Errorf("crampd snooze: %q is not a duration like 10m or 1h", args[1]))
			}
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				r, err := svc.Snooze(cmd.Context(), args[0], d)
				if err != nil {
					return err
				}
				loc, err := svc.Zone(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Snoozed %s until %s.\n", r.Record.ID, stamp(r.Until, loc, env.Clock.Now()))
				return nil
			})
		},
	}
	f.add(cmd, false)
	return cmd
}

func newPauseCmd(env Env) *cobra.Command {
	var (
		f     clientFlags
		until string
	)
	cmd := &cobra.Command{
		Use:   "pause DURATION | --until HH:MM",
		Short: "Hold all reminders for a while (up to 30 days)",
		Long: `Pause holds every delivery until the pause ends, at most ` + fmt.Sprint(int(rules.MaxPause/(24*time.Hour))) + ` days ahead.
Reminders that come due during it are recorded as skipped; ` + "`crampd resume`" + ` ends
it early. --until HH:MM is read in the profile's time zone, and means
tomorrow when that time has passed today. The pause survives a restart and
ends on its own. ` + "`crampd fire`" + ` is not held: it tests the channels.`,
		Example: `  crampd pause 2h
  crampd pause 3d          # a long weekend away
  crampd pause --until 07:00`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req app.PauseRequest
			switch {
			case len(args) == 1 && until == "":
				d, err := profile.ParseDuration(args[0])
				if err != nil || d <= 0 {
					return fail(exitUsage, fmt.Errorf("crampd pause: %q is not a duration like 2h or 3d", args[0]))
				}
				req.For = d
			case len(args) == 0 && until != "":
				c, err := profile.ParseClockString(until)
				if err != nil {
					return fail(exitUsage, fmt.Errorf("crampd pause: --until: %w", err))
				}
				req.Until = &c
			default:
				return fail(exitUsage, errors.New("crampd pause: give a duration (2h) or --until HH:MM"))
			}
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				r, err := svc.Pause(cmd.Context(), req)
				if err != nil {
					return err
				}
				loc, err := svc.Zone(cmd.Context())
				if err != nil {
					return err
				}
				fmt.Fprintf(env.Stdout, "Paused until %s.\n", stamp(r.Until, loc, env.Clock.Now()))
				return nil
			})
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&until, "until", "", "pause until this time of day (HH:MM, in the profile's zone)")
	return cmd
}

func newResumeCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "End a pause",
		Long:  `Resume ends a pause. What the pause held goes out at once.`,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				r, err := svc.Resume(cmd.Context())
				switch {
				case err != nil:
					return err
				case !r.WasPaused:
					fmt.Fprintln(env.Stdout, "crampd was not paused.")
				case r.Released > 0:
					fmt.Fprintf(env.Stdout, "Resumed; %s held by the pause %s out now.\n", count(r.Released, "delivery"), goes(r.Released))
				default:
					fmt.Fprintln(env.Stdout, "Resumed.")
				}
				return nil
			})
		},
	}
	f.add(cmd, false)
	return cmd
}

func goes(n int) string {
	if n == 1 {
		return "goes"
	}
	return "go"
}

func newFireCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "fire KIND|NAME",
		Short: "Send a reminder of a kind, or a custom reminder, now (to test channels)",
		Long: `Fire sends one reminder now, to try the channels: one of a kind (` + domain.KindList() + `),
worded like the kind's next planned reminder, or the custom reminder with
that name ([[custom]] name in the profile). It is a test: quiet hours and a
pause do not hold it, and it does not count toward any cooldown (a test of
the doctor kind does not keep the real doctor reminder from going out).`,
		Example: `  crampd fire stretch
  crampd fire "Evening walk"`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return fireTargets(env), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				r, err := svc.Fire(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				o := r.Occurrence
				fmt.Fprintf(env.Stdout, "Sending %s reminder %s now to %s: %s\n", o.Kind, o.ID, strings.Join(r.Channels, ", "), o.Title)
				if r.PausedUntil != nil {
					loc, err := svc.Zone(cmd.Context())
					if err != nil {
						return err
					}
					fmt.Fprintf(env.Stdout, "crampd is paused until %s; a test fire goes out all the same.\n", stamp(*r.PausedUntil, loc, env.Clock.Now()))
				}
				return nil
			})
		},
	}
	f.add(cmd, false)
	defaultHelp := cmd.HelpFunc()
	cmd.SetHelpFunc(func(c *cobra.Command, args []string) {
		defaultHelp(c, args)
		if names := customNames(env); len(names) > 0 {
			fmt.Fprintf(c.OutOrStdout(), "\nCustom reminders in %s:\n  %s\n", profilePath("", env), strings.Join(names, "\n  "))
		}
	})
	return cmd
}

// customNames lists the custom reminders of the default profile, when it
// loads.
func customNames(env Env) []string {
	p, err := profile.Load(profilePath("", env))
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range p.Customs {
		out = append(out, c.Name)
	}
	return out
}

// fireTargets completes fire's argument: the kinds and the custom names.
func fireTargets(env Env) []string {
	var out []string
	for _, k := range domain.Kinds() {
		out = append(out, string(k))
	}
	for _, n := range customNames(env) {
		out = append(out, n+"\tcustom reminder")
	}
	return out
}

// recentIDs completes a reminder id: those of the last two days and the
// next ones, with their titles.
func recentIDs(ctx context.Context, env Env, f clientFlags) []string {
	var out []string
	add := func(o domain.Occurrence) { out = append(out, o.ID+"\t"+string(o.Kind)+": "+o.Title) }
	_ = withService(ctx, Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: env.Getenv, Clock: env.Clock}, f,
		&local{instead: "completing from the state database"},
		func(svc control.Service) error {
			recs, err := svc.History(ctx, 2)
			if err != nil {
				return err
			}
			for _, r := range recs {
				add(r.Occurrence)
			}
			next, _ := svc.Upcoming(ctx, 20)
			for _, o := range next {
				add(o)
			}
			return nil
		})
	return out
}

func newReloadCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Make the daemon re-read its profile",
		Long: `Reload makes the daemon re-read its profile. If the profile has problems
they are printed, and the daemon keeps the schedule it had.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				if err := svc.Reload(cmd.Context()); err != nil {
					var apiErr *control.APIError
					if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity {
						return fail(exitProblem, fmt.Errorf("%s\nThe daemon keeps its previous profile.", apiErr.Message))
					}
					return err
				}
				fmt.Fprintln(env.Stdout, "Profile reloaded.")
				return nil
			})
		},
	}
	f.add(cmd, false)
	return cmd
}

// jsonOrErr returns err, or else writes list as JSON (an empty list as []).
func jsonOrErr[T any](env Env, list []T, err error) error {
	if err != nil {
		return err
	}
	if list == nil {
		list = []T{}
	}
	return writeJSON(env.Stdout, list)
}

// stateFlag adds --state to cmd.
func stateFlag(cmd *cobra.Command, state *string) {
	cmd.Flags().StringVar(state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
}

func newHistoryCmd(env Env) *cobra.Command {
	var (
		f           clientFlags
		days        int
		state, path string
	)
	cmd := &cobra.Command{
		Use:   "history",
		Short: "List past reminders and what became of them",
		Long: `History lists the reminders of the last days, newest first, with their
status (fired, acked, missed, skipped) and id. Without a running daemon it
reads the state database directly.`,
		Example: `  crampd history --days 2`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 366 {
				return fail(exitUsage, errors.New("crampd history: --days must be between 1 and 366"))
			}
			var (
				recs []domain.Record
				loc  *time.Location
			)
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					if loc, err = svc.Zone(cmd.Context()); err != nil {
						return err
					}
					recs, err = svc.History(cmd.Context(), days)
					return err
				})
			if err != nil || f.json {
				return jsonOrErr(env, recs, err)
			}
			writeHistory(env.Stdout, recs, loc)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 7, "how many days back (1 to 366)")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

func writeHistory(w io.Writer, recs []domain.Record, loc *time.Location) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "No reminders in this period.")
		return
	}
	for _, r := range recs {
		status := string(r.Status)
		if r.Reason != "" && r.Status != domain.StatusFired {
			status += " (" + r.Reason + ")"
		}
		fmt.Fprintf(w, "%s  %-17s  %-22s  %s  %s\n", r.At.In(loc).Format("Mon 01-02 15:04 MST"), r.Kind, status, domain.StripControl(r.Title), r.ID)
	}
}

func newCrampCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cramp",
		Short: "Keep a journal of your cramps",
	}
	cmd.AddCommand(newCrampLogCmd(env), newCrampListCmd(env))
	return cmd
}

func newCrampLogCmd(env Env) *cobra.Command {
	var (
		f     clientFlags
		at    string
		c     domain.Cramp
		state string
		path  string
	)
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Log a cramp",
		Long: `Log adds a cramp to the journal. If it is severe, comes with swelling,
numbness or weakness, or cramps are frequent, crampd sends one "see a doctor"
reminder, and says so (or why it held one back). --at is read in the
profile's time zone: HH:MM is the latest such time that has passed, or give
"YYYY-MM-DD HH:MM" or RFC 3339; it cannot be in the future. Without a running
daemon the entry goes straight into the state database, and the daemon
checks it when it next starts.`,
		Example: `  crampd cramp log --leg left --muscle calf --severity 6
  crampd cramp log --at 03:10 --symptom numbness --note "woke me up"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := c.Validate(); err != nil {
				return fail(exitUsage, fmt.Errorf("crampd cramp log: %w", err))
			}
			var r app.CrampResult
			var loc *time.Location
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, write: true, instead: "writing to the state database"},
				func(svc control.Service) (err error) {
					if loc, err = svc.Zone(cmd.Context()); err != nil {
						return err
					}
					entry := c
					if at != "" {
						if entry.At, err = app.ParseWhen(at, env.Clock.Now(), loc); err != nil {
							return fail(exitUsage, fmt.Errorf("crampd cramp log: --at %w", err))
						}
					}
					r, err = svc.LogCramp(cmd.Context(), entry)
					return err
				})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Logged cramp #%d at %s.\n", r.Cramp.ID, stamp(r.Cramp.At, loc, env.Clock.Now()))
			if w := crampWeather(r.Cramp.Weather); w != "" {
				fmt.Fprintf(env.Stdout, "Weather beside it, from the stored forecast: %s (forecast by Open-Meteo.com).\n", w)
			}
			if d := r.Nudge.Sent; d != nil {
				fmt.Fprintf(env.Stdout, "%s\n%s\n", d.Title, d.Body)
			}
			if msg := r.Nudge.Message(loc); msg != "" {
				fmt.Fprintln(env.Stdout, msg)
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&at, "at", "", `when it happened: HH:MM, "YYYY-MM-DD HH:MM" or RFC 3339 (default now)`)
	cmd.Flags().StringVar(&c.Leg, "leg", "", strings.Join(domain.Legs, ", "))
	cmd.Flags().StringVar(&c.Muscle, "muscle", "", strings.Join(domain.Muscles, ", "))
	cmd.Flags().IntVar(&c.Severity, "severity", 0, "how bad, 1-10")
	cmd.Flags().StringArrayVar(&c.Symptoms, "symptom", nil, strings.Join(domain.Symptoms, ", ")+" (repeatable)")
	cmd.Flags().StringVar(&c.Note, "note", "", fmt.Sprintf("a note (at most %d characters)", domain.MaxNote))
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	for flag, values := range map[string][]string{"leg": domain.Legs, "muscle": domain.Muscles, "symptom": domain.Symptoms} {
		cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
	}
	cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions([]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newCrampListCmd(env Env) *cobra.Command {
	var (
		f           clientFlags
		days        int
		state, path string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List logged cramps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 3660 {
				return fail(exitUsage, errors.New("crampd cramp list: --days must be between 1 and 3660"))
			}
			var (
				cs  []domain.Cramp
				loc *time.Location
			)
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					if loc, err = svc.Zone(cmd.Context()); err != nil {
						return err
					}
					cs, err = svc.Cramps(cmd.Context(), days)
					return err
				})
			if err != nil || f.json {
				return jsonOrErr(env, cs, err)
			}
			if len(cs) == 0 {
				fmt.Fprintln(env.Stdout, "No cramps logged in this period.")
			}
			weather := false
			for _, c := range cs {
				note := domain.StripControl(c.Note)
				if c.Source == domain.SourceCheckin {
					note = "(from the check-in)"
				}
				fmt.Fprintf(env.Stdout, "#%-4d %s  %-5s %-9s severity %-2s %s %s%s\n", c.ID, c.At.In(loc).Format("Mon 2006-01-02 15:04 MST"),
					dash(c.Leg), dash(c.Muscle), dash(itoa(c.Severity)), strings.Join(c.Symptoms, ","), note, bracket(crampWeather(c.Weather)))
				weather = weather || c.Weather != nil
			}
			if weather {
				fmt.Fprintln(env.Stdout, openMeteoCredit)
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 30, "how many days back (1 to 3660)")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func itoa(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprint(n)
}

func newStatsCmd(env Env) *cobra.Command {
	var (
		f     clientFlags
		days  int
		state string
		path  string
	)
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarise cramps and reminder adherence",
		Long: `Stats shows cramps per week, cramp nights, how many reminders of each kind
were acknowledged, and cramp nights after an acknowledged stretch beside the
other nights; when the daemon has stored weather forecasts, also cramp
nights after hot days (a heat index of 80 °F or more) beside the others.
These are plain counts: they do not show what causes what.`,
		Example: `  crampd stats --days 84`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 3660 {
				return fail(exitUsage, errors.New("crampd stats: --days must be between 1 and 3660"))
			}
			var (
				s   stats.Stats
				loc *time.Location
			)
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, needProfile: true, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					if loc, err = svc.Zone(cmd.Context()); err != nil {
						return err
					}
					s, err = svc.Stats(cmd.Context(), days)
					return err
				})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(env.Stdout, s)
			}
			writeStats(env.Stdout, s, loc)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 28, "how many days back (1 to 3660)")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

func writeStats(w io.Writer, s stats.Stats, loc *time.Location) {
	fmt.Fprintf(w, "Last %d days: %d cramps on %d of %d nights.\n", s.Days, s.Cramps, s.CrampNights, s.Nights)
	fmt.Fprintln(w, "\nCramps per week (newest first):")
	for _, wk := range s.Weeks {
		fmt.Fprintf(w, "  from %s  %d\n", wk.Start.In(loc).Format("2006-01-02"), wk.Cramps)
	}
	fmt.Fprintln(w, "\nReminders acknowledged / sent:")
	if len(s.Adherence) == 0 {
		fmt.Fprintln(w, "  none sent yet")
	}
	for _, a := range s.Adherence {
		fmt.Fprintf(w, "  %-17s %d / %d\n", a.Kind, a.Acked, a.Fired)
	}
	a := s.Answers
	fmt.Fprintf(w, "\nMorning check-in: %d of %d nights answered, %d without a cramp and %d with one; %d without an answer.\n",
		a.Answered, s.Nights, a.CrampFree, a.CrampNights, a.Unanswered)
	fmt.Fprintln(w, "\nNights and cramp nights, side by side (counts, not causes):")
	fmt.Fprintf(w, "  stretch acknowledged:      %d cramp nights of %d\n", s.Stretch.AckedCrampNights, s.Stretch.AckedNights)
	fmt.Fprintf(w, "  stretch not acknowledged:  %d cramp nights of %d\n", s.Stretch.OtherCrampNights, s.Stretch.OtherNights)
	writeHeatNights(w, s.Heat)
}
