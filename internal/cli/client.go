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

	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// clientFlags are shared by every command that talks to the daemon.
type clientFlags struct {
	socket string
	json   bool
}

func (f *clientFlags) add(cmd *cobra.Command, withJSON bool) {
	cmd.Flags().StringVar(&f.socket, "socket", "", "control socket (default $XDG_RUNTIME_DIR/crampd/crampd.sock)")
	if withJSON {
		cmd.Flags().BoolVar(&f.json, "json", false, "print JSON")
	}
}

func (f *clientFlags) client(env Env) *control.Client {
	path := f.socket
	if path == "" {
		path = control.DefaultSocket(env.Getenv)
	}
	return control.NewClient(path)
}

// notRunning is the one line printed when the daemon does not answer.
func notRunning(c *control.Client) string {
	return fmt.Sprintf("crampd is not running (no daemon on %s); start it with `systemctl --user start crampd` or `crampd run`", c.Socket())
}

// clientError turns an API error into an exit status: 3 when the daemon is
// not running, 1 otherwise.
func clientError(c *control.Client, err error) error {
	if errors.Is(err, control.ErrNotRunning) {
		return fail(exitNoDaemon, errors.New(notRunning(c)))
	}
	var apiErr *control.APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
		return fail(exitProblem, fmt.Errorf("crampd: %s", apiErr.Message))
	}
	return fail(exitProblem, fmt.Errorf("crampd: %w", err))
}

func newStatusCmd(env Env) *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the running daemon's state",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c := f.client(env)
			st, err := c.Status(cmd.Context())
			if err != nil {
				return clientError(c, err)
			}
			if f.json {
				return writeJSON(env.Stdout, st)
			}
			writeStatus(env.Stdout, st)
			return nil
		},
	}
	f.add(cmd, true)
	return cmd
}

func writeStatus(w io.Writer, st control.Status) {
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
	fmt.Fprintf(w, "  outbox:   %d waiting\n", st.OutboxDepth)
	if st.Next != nil {
		fmt.Fprintf(w, "  next:     %s %s at %s (%s)\n", st.Next.Kind, st.Next.ID, st.Next.At.In(loc).Format("Mon 15:04"), st.Next.Title)
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
			c := f.client(env)
			occs, err := c.Upcoming(cmd.Context(), n)
			var loc *time.Location
			switch {
			case errors.Is(err, control.ErrNotRunning):
				fmt.Fprintln(env.Stderr, notRunning(c)+"; listing from the profile")
				p, perr := loadProfile(profilePath(path, env))
				if perr != nil {
					return perr
				}
				occs, loc = daemon.Upcoming(p, env.Clock.Now(), n), p.Location
			case err != nil:
				return clientError(c, err)
			default:
				loc = time.Local
				if len(occs) > 0 {
					loc = occs[0].At.Location()
				}
			}
			if f.json {
				return writeJSON(env.Stdout, occs)
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
			c := f.client(env)
			rec, err := c.Ack(cmd.Context(), args[0])
			if err != nil {
				return clientError(c, err)
			}
			fmt.Fprintf(env.Stdout, "Done: %s (%s).\n", rec.Title, rec.ID)
			return nil
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
			c := f.client(env)
			r, err := c.Snooze(cmd.Context(), args[0], args[1])
			if err != nil {
				return clientError(c, err)
			}
			fmt.Fprintf(env.Stdout, "Snoozed %s until %s.\n", r.ID, r.Until.Format("15:04"))
			return nil
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
			var req control.PauseRequest
			switch {
			case len(args) == 1 && until == "":
				req.Duration = args[0]
			case len(args) == 0 && until != "":
				req.Until = until
			default:
				return fail(exitUsage, errors.New("crampd pause: give a duration (2h) or --until HH:MM"))
			}
			c := f.client(env)
			r, err := c.Pause(cmd.Context(), req)
			if err != nil {
				return clientError(c, err)
			}
			fmt.Fprintf(env.Stdout, "Paused until %s.\n", r.Until.Format("Mon 15:04 MST"))
			return nil
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
			c := f.client(env)
			if err := c.Resume(cmd.Context()); err != nil {
				return clientError(c, err)
			}
			fmt.Fprintln(env.Stdout, "Resumed.")
			return nil
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
			c := f.client(env)
			o, err := c.Fire(cmd.Context(), args[0])
			if err != nil {
				return clientError(c, err)
			}
			fmt.Fprintf(env.Stdout, "Sent %s reminder %s: %s\n", o.Kind, o.ID, o.Title)
			return nil
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
			c := f.client(env)
			if err := c.Reload(cmd.Context()); err != nil {
				var apiErr *control.APIError
				if errors.As(err, &apiErr) && apiErr.Status == http.StatusUnprocessableEntity {
					return fail(exitProblem, fmt.Errorf("%s\nThe daemon keeps its previous profile.", apiErr.Message))
				}
				return clientError(c, err)
			}
			fmt.Fprintln(env.Stdout, "Profile reloaded.")
			return nil
		},
	}
	f.add(cmd, false)
	return cmd
}

// daemonOrStore runs fromDaemon; when no daemon answers, it says so on
// stderr and runs fromStore on the state database instead, for commands
// that must work without a daemon.
// lastDays reads the last days of history or cramps: from the daemon, or
// from the state database when none is running.
func lastDays[T any](ctx context.Context, env Env, f clientFlags, state string, days int,
	fromDaemon func(*control.Client, context.Context, int) ([]T, error),
	fromStore func(*store.Store, context.Context, time.Time, time.Time) ([]T, error),
) ([]T, error) {
	c := f.client(env)
	var out []T
	err := daemonOrStore(c, env, state, "reading the state database",
		func() (err error) { out, err = fromDaemon(c, ctx, days); return err },
		func(st *store.Store) (err error) {
			now := env.Clock.Now()
			out, err = fromStore(st, ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond))
			return err
		})
	return out, err
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

func daemonOrStore(c *control.Client, env Env, state, instead string, fromDaemon func() error, fromStore func(*store.Store) error) error {
	err := fromDaemon()
	if !errors.Is(err, control.ErrNotRunning) {
		if err != nil {
			return clientError(c, err)
		}
		return nil
	}
	fmt.Fprintln(env.Stderr, notRunning(c)+"; "+instead)
	if state == "" {
		state = store.DefaultDir(env.Getenv)
	}
	st, err := store.Open(context.Background(), state)
	if err != nil {
		return fail(exitProblem, err)
	}
	defer st.Close()
	if err := fromStore(st); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			return err
		}
		return fail(exitProblem, err)
	}
	return nil
}

func newHistoryCmd(env Env) *cobra.Command {
	var (
		f     clientFlags
		days  int
		state string
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
			recs, err := lastDays(cmd.Context(), env, f, state, days, (*control.Client).History, (*store.Store).History)
			if err != nil || f.json {
				return jsonOrErr(env, recs, err)
			}
			writeHistory(env.Stdout, recs)
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 7, "how many days back")
	cmd.Flags().StringVar(&state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
	return cmd
}

func writeHistory(w io.Writer, recs []store.Record) {
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
				if err != nil {
					return fail(exitUsage, fmt.Errorf("crampd cramp log: --at: %w", err))
				}
				req.At = &t
			}
			c := domain.Cramp{Leg: req.Leg, Muscle: req.Muscle, Severity: req.Severity, Symptoms: req.Symptoms, Note: req.Note}
			if err := c.Validate(); err != nil {
				return fail(exitUsage, fmt.Errorf("crampd cramp log: %w", err))
			}
			cl := f.client(env)
			var r control.CrampResponse
			err := daemonOrStore(cl, env, state, "writing to the state database",
				func() (err error) { r, err = cl.LogCramp(cmd.Context(), req); return err },
				func(st *store.Store) (err error) {
					c.At = env.Clock.Now()
					if req.At != nil {
						c.At = *req.At
					}
					r.Cramp, err = st.AddCramp(cmd.Context(), c, env.Clock.Now())
					return err
				})
			if err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "Logged cramp #%d at %s.\n", r.Cramp.ID, r.Cramp.At.In(loc).Format("Mon 15:04"))
			if r.Doctor != nil {
				fmt.Fprintf(env.Stdout, "%s\n%s\n", r.Doctor.Title, r.Doctor.Body)
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
	cmd.Flags().StringVar(&state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
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
		f     clientFlags
		days  int
		state string
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List logged cramps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if days < 1 || days > 3660 {
				return fail(exitUsage, errors.New("crampd cramp list: --days must be between 1 and 3660"))
			}
			cs, err := lastDays(cmd.Context(), env, f, state, days, (*control.Client).Cramps, (*store.Store).Cramps)
			if err != nil || f.json {
				return jsonOrErr(env, cs, err)
			}
			if len(cs) == 0 {
				fmt.Fprintln(env.Stdout, "No cramps logged in this period.")
			}
			for _, c := range cs {
				fmt.Fprintf(env.Stdout, "#%-4d %s  %-5s %-9s severity %-2s %s %s\n", c.ID, c.At.Local().Format("Mon 2006-01-02 15:04"),
					dash(c.Leg), dash(c.Muscle), dash(itoa(c.Severity)), strings.Join(c.Symptoms, ","), c.Note)
			}
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().IntVar(&days, "days", 30, "how many days back")
	cmd.Flags().StringVar(&state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
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
			c := f.client(env)
			var s stats.Stats
			err := daemonOrStore(c, env, state, "reading the state database",
				func() (err error) { s, err = c.Stats(cmd.Context(), days); return err },
				func(st *store.Store) error {
					p, err := loadProfile(profilePath(path, env))
					if err != nil {
						return err
					}
					s, err = stats.Load(cmd.Context(), st, p, env.Clock.Now(), days)
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
	cmd.Flags().StringVar(&state, "state", "", "state directory, when no daemon runs (default $XDG_STATE_HOME/crampd)")
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
