package cli

import (
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
	"github.com/crampd/crampd/internal/stats"
)

func newStatusCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				st, err := svc.Status(cmd.Context())
				if err != nil {
					return err
				}
				if f.json {
					return writeJSON(env.Stdout, st)
				}
				writeStatus(env.Stdout, st)
				return nil
			})
		},
	}
	f.add(cmd, true)
	return cmd
}

func writeStatus(w io.Writer, st app.Status) {
	loc := zoneOf(st.Zone)
	fmt.Fprintf(w, "crampd is running (up %s)\n", st.Uptime)
	reload := "ok"
	if !st.LastReload.OK {
		reload = "FAILED, previous profile in force: " + firstLine(st.LastReload.Error)
	}
	fmt.Fprintf(w, "  profile:  %s (loaded %s, %s)\n", st.Profile, st.LastReload.At.In(loc).Format("2006-01-02 15:04"), reload)
	fmt.Fprintf(w, "  state:    %s\n", st.State)
	if st.Paused && st.PausedUntil != nil {
		fmt.Fprintf(w, "  paused:   until %s\n", st.PausedUntil.In(loc).Format("Mon 15:04"))
	} else {
		fmt.Fprintf(w, "  paused:   no\n")
	}
	fmt.Fprintf(w, "  outbox:   %d waiting to go out, %d repeats and snoozes scheduled\n", st.OutboxDepth, st.Scheduled)
	if st.Next != nil {
		fmt.Fprintf(w, "  next:     %s %s at %s (%s)\n", st.Next.Kind, st.Next.ID, st.Next.At.In(loc).Format("Mon 15:04"), st.Next.Title)
	}
	if r := st.NextRepeat; r != nil {
		fmt.Fprintf(w, "  repeat:   %s %s at %s (%s)\n", r.Occurrence.Kind, r.Occurrence.ID, r.At.In(loc).Format("Mon 15:04"), r.Occurrence.Title)
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
	return time.Local
}

func newNextCmd(env Env) *cobra.Command {
	var (
		f    clientFlags
		n    int
		path string
	)
	cmd := &cobra.Command{
		Use:   "next",
		Short: "List the next reminders",
		Long: `Next lists the next reminders from the running daemon. When no daemon
runs, it says so on stderr and lists them from the profile instead.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n < 1 || n > 1000 {
				return fail(exitUsage, errors.New("crampd next: -n must be between 1 and 1000"))
			}
			var occs []domain.Occurrence
			err := withService(cmd.Context(), env, f, &local{profile: path, needProfile: true, instead: "listing from the profile"},
				func(svc control.Service) (err error) {
					occs, err = svc.Upcoming(cmd.Context(), n)
					return err
				})
			if err != nil {
				return err
			}
			loc := time.Local
			if len(occs) > 0 {
				loc = occs[0].At.Location()
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
	return cmd
}

func newAckCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "ack ID",
		Short: "Mark a reminder as done (stops its repeats)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				rec, err := svc.Ack(cmd.Context(), args[0])
				if err != nil {
					return err
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
		Short: "Send a reminder again after a while (e.g. 10m)",
		Args:  cobra.ExactArgs(2),
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
				fmt.Fprintf(env.Stdout, "Snoozed %s until %s.\n", r.Record.ID, r.Until.Format("15:04"))
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
		Short: "Hold all reminders for a while",
		Long: `Pause holds every delivery until the pause ends. Reminders that come due
during it are recorded as skipped. The pause survives a restart and ends on
its own.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req app.PauseRequest
			switch {
			case len(args) == 1 && until == "":
				d, err := profile.ParseDuration(args[0])
				if err != nil || d <= 0 {
					return fail(exitUsage, fmt.Errorf("crampd pause: %q is not a duration like 2h", args[0]))
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
				fmt.Fprintf(env.Stdout, "Paused until %s.\n", r.Until.Format("Mon 15:04 MST"))
				return nil
			})
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&until, "until", "", "pause until this time of day (HH:MM)")
	return cmd
}

func newResumeCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "resume",
		Short: "End a pause",
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

func newFireCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "fire KIND|NAME",
		Short: "Send a reminder of a kind, or a custom reminder, now (to test channels)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				r, err := svc.Fire(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				o := r.Occurrence
				fmt.Fprintf(env.Stdout, "Sending %s reminder %s now to %s: %s\n", o.Kind, o.ID, strings.Join(r.Channels, ", "), o.Title)
				if r.PausedUntil != nil {
					fmt.Fprintf(env.Stdout, "crampd is paused until %s; a test fire goes out all the same.\n", r.PausedUntil.Format("Mon 15:04 MST"))
				}
				return nil
			})
		},
	}
	f.add(cmd, false)
	return cmd
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
status (fired, acked, missed, skipped). Without a running daemon it reads the
state database directly.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 366 {
				return fail(exitUsage, errors.New("crampd history: --days must be between 1 and 366"))
			}
			var recs []domain.Record
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					recs, err = svc.History(cmd.Context(), days)
					return err
				})
			if err != nil || f.json {
				return jsonOrErr(env, recs, err)
			}
			writeHistory(env.Stdout, recs)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 7, "how many days back")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

// stateFlag adds --state to cmd.
func stateFlag(cmd *cobra.Command, state *string) {
	cmd.Flags().StringVar(state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
}

func writeHistory(w io.Writer, recs []domain.Record) {
	if len(recs) == 0 {
		fmt.Fprintln(w, "No reminders in this period.")
		return
	}
	for _, r := range recs {
		status := string(r.Status)
		if r.Reason != "" && r.Status != domain.StatusFired {
			status += " (" + r.Reason + ")"
		}
		fmt.Fprintf(w, "%s  %-17s  %-22s  %s  %s\n", r.At.Format("Mon 01-02 15:04"), r.Kind, status, r.Title, r.ID)
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
		req   control.CrampRequest
		state string
		path  string
	)
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Log a cramp",
		Long: `Log adds a cramp to the journal. If it is severe, comes with swelling,
numbness or weakness, or cramps are frequent, crampd sends one "see a doctor"
reminder. Without a running daemon the entry goes straight into the state
database, and the daemon checks it when it next starts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc := time.Local
			if p, err := profile.Load(profilePath(path, env)); err == nil {
				loc = p.Location
			}
			if at != "" {
				t, err := parseWhen(at, env.Clock.Now().In(loc))
				if err == nil && t.IsZero() {
					err = fmt.Errorf("%q is too far back", at)
				}
				if err != nil {
					return fail(exitUsage, fmt.Errorf("crampd cramp log: --at: %w", err))
				}
				req.At = &t
			}
			c := domain.Cramp{Leg: req.Leg, Muscle: req.Muscle, Severity: req.Severity, Symptoms: req.Symptoms, Note: req.Note}
			if req.At != nil {
				c.At = *req.At
			}
			if err := c.Validate(); err != nil {
				return fail(exitUsage, fmt.Errorf("crampd cramp log: %w", err))
			}
			var r app.CrampResult
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, write: true, instead: "writing to the state database"},
				func(svc control.Service) (err error) {
					r, err = svc.LogCramp(cmd.Context(), c)
					return err
				})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Logged cramp #%d at %s.\n", r.Cramp.ID, r.Cramp.At.In(loc).Format("Mon 15:04"))
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
	cmd.Flags().StringVar(&at, "at", "", "when it happened: HH:MM (the latest such time) or RFC 3339 (default now)")
	cmd.Flags().StringVar(&req.Leg, "leg", "", "left, right or both")
	cmd.Flags().StringVar(&req.Muscle, "muscle", "", "calf, foot, thigh or hamstring")
	cmd.Flags().IntVar(&req.Severity, "severity", 0, "how bad, 1-10")
	cmd.Flags().StringArrayVar(&req.Symptoms, "symptom", nil, "swelling, numbness or weakness (repeatable)")
	cmd.Flags().StringVar(&req.Note, "note", "", "a note")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

// parseWhen reads RFC 3339, or HH:MM as the latest such time not after now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	c, err := profile.ParseClockString(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither HH:MM nor an RFC 3339 time", s)
	}
	t := time.Date(now.Year(), now.Month(), now.Day(), c.Hour(), c.Minute(), 0, 0, now.Location())
	if t.After(now) {
		t = t.AddDate(0, 0, -1)
	}
	return t, nil
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
			var cs []domain.Cramp
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					cs, err = svc.Cramps(cmd.Context(), days)
					return err
				})
			if err != nil || f.json {
				return jsonOrErr(env, cs, err)
			}
			if len(cs) == 0 {
				fmt.Fprintln(env.Stdout, "No cramps logged in this period.")
			}
			for _, c := range cs {
				fmt.Fprintf(env.Stdout, "#%-4d %s  %-5s %-9s severity %-2s %s %s\n", c.ID, c.At.Format("Mon 2006-01-02 15:04"),
					dash(c.Leg), dash(c.Muscle), dash(itoa(c.Severity)), strings.Join(c.Symptoms, ","), domain.StripControl(c.Note))
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 30, "how many days back")
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
other nights. These are plain counts: they do not show what causes what.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 3660 {
				return fail(exitUsage, errors.New("crampd stats: --days must be between 1 and 3660"))
			}
			var s stats.Stats
			err := withService(cmd.Context(), env, f, &local{state: state, profile: path, needProfile: true, instead: "reading the state database"},
				func(svc control.Service) (err error) {
					s, err = svc.Stats(cmd.Context(), days)
					return err
				})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(env.Stdout, s)
			}
			writeStats(env.Stdout, s)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 28, "how many days back")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

func writeStats(w io.Writer, s stats.Stats) {
	fmt.Fprintf(w, "Last %d days: %d cramps on %d of %d nights.\n", s.Days, s.Cramps, s.CrampNights, s.Nights)
	fmt.Fprintln(w, "\nCramps per week (newest first):")
	for _, wk := range s.Weeks {
		fmt.Fprintf(w, "  from %s  %d\n", wk.Start.Local().Format("2006-01-02"), wk.Cramps)
	}
	fmt.Fprintln(w, "\nReminders acknowledged / sent:")
	if len(s.Adherence) == 0 {
		fmt.Fprintln(w, "  none sent yet")
	}
	for _, a := range s.Adherence {
		fmt.Fprintf(w, "  %-17s %d / %d\n", a.Kind, a.Acked, a.Fired)
	}
	fmt.Fprintln(w, "\nNights and cramp nights, side by side (counts, not causes):")
	fmt.Fprintf(w, "  stretch acknowledged:      %d cramp nights of %d\n", s.Stretch.AckedCrampNights, s.Stretch.AckedNights)
	fmt.Fprintf(w, "  stretch not acknowledged:  %d cramp nights of %d\n", s.Stretch.OtherCrampNights, s.Stretch.OtherNights)
}

func goes(n int) string {
	if n == 1 {
		return "goes"
	}
	return "go"
}
