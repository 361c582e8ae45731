package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/ics"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// profileFlag adds --profile to cmd.
func profileFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "profile", "", "profile to read (default $XDG_CONFIG_HOME/crampd/profile.toml)")
}

// profilePath returns the --profile value or the default path.
func profilePath(flag string, env Env) string {
	if flag != "" {
		return flag
	}
	if dir := env.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "crampd", "profile.toml")
	}
	if home := env.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".config", "crampd", "profile.toml")
	}
	return profile.DefaultPath()
}

// loadProfile loads a profile and turns problems into exit status 1, with
// every problem on stderr.
func loadProfile(path string) (*profile.Profile, error) {
	p, err := profile.Load(path)
	if err != nil {
		return nil, fail(exitProblem, err)
	}
	return p, nil
}

func newCheckCmd(env Env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Validate a profile and report every problem in it",
		Long: `Check reads the profile exactly as the daemon does. On success it prints a
one-line summary and exits 0. Otherwise it prints every problem, one per
line, as PATH:LINE:COL: key.path: message, and exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := profilePath(path, env)
			p, err := profile.LoadWith(path, env.Getenv)
			if err != nil {
				return fail(exitProblem, err)
			}
			for _, w := range p.Warnings {
				fmt.Fprintln(env.Stderr, w)
			}
			fmt.Fprintln(env.Stdout, summary(p, env.Clock.Now()))
			return nil
		},
	}
	profileFlag(cmd, &path)
	return cmd
}

// summary describes a valid profile in one line.
func summary(p *profile.Profile, now time.Time) string {
	n := len(plan.Days(p, now, 1))
	return fmt.Sprintf("%s: ok: zone %s, %s, %s, %s, %s%s; %s in the next 24 hours%s",
		p.Path, p.Location, count(len(p.Exercises), "exercise session"), count(len(p.Medications), "medication"),
		count(len(p.Customs), "custom reminder"), channels(p), webPage(p), count(n, "reminder"), weatherSummary(p))
}

// channels names the channels reminders will go to.
func channels(p *profile.Profile) string {
	chs := p.ChannelsInUse()
	if len(p.Channels) == 0 && len(chs) == 1 {
		return fmt.Sprintf("channel %s (the default, as none is set)", chs[0].Name)
	}
	names := make([]string, len(chs))
	for i, c := range chs {
		names[i] = c.Name
	}
	noun := "channel "
	if len(chs) > 1 {
		noun = "channels "
	}
	return noun + strings.Join(names, ", ")
}

func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func newPlanCmd(env Env) *cobra.Command {
	var (
		path     string
		from     string
		days     int
		asJSON   bool
		asICS    bool
		noAlarms bool
		wf       weatherFlags
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "List the reminders a profile yields",
		Long: `Plan lists the reminders the profile yields in [from, from + days), in time
order: a table grouped by day, or with --json one JSON array of objects with
id, kind, rule, at (RFC 3339), title, body and why ([] when there are none).
The daemon fires exactly these occurrences. --from takes an RFC 3339 time or
a date (2027-03-14, midnight in the profile's zone); it defaults to now.

With --ics it prints an iCalendar (RFC 5545) file instead, to import into a
phone or desktop calendar: one event per reminder, at its wall time in the
profile's zone, with the occurrence id as the event UID so that importing a
later plan updates events rather than duplicating them. Each event has an
alarm at its start, so the calendar alerts too; --no-alarms leaves them out.

With a [weather] section, the plan follows the forecast the daemon stored
in the state directory (--state; read-only, and usable while the daemon
runs): hot hours get denser water reminders. Its first line says which
forecast it follows (on stderr with --json and --ics); --no-weather plans
from the climate alone.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if asJSON && asICS {
				return fail(exitUsage, errors.New("crampd plan: --json and --ics cannot be used together; choose one output"))
			}
			if noAlarms && !asICS {
				return fail(exitUsage, errors.New("crampd plan: --no-alarms only applies to --ics"))
			}
			start, isDate, err := parseFrom(from, env.Clock.Now())
			if err != nil {
				return fail(exitUsage, fmt.Errorf("crampd plan: %w", err))
			}
			if days < 1 || days > plan.MaxDays {
				return fail(exitUsage, fmt.Errorf("crampd plan: --days must be between 1 and %d", plan.MaxDays))
			}
			p, err := loadProfile(profilePath(path, env))
			if err != nil {
				return err
			}
			if isDate {
				// Midnight in the profile's zone, which is known only now.
				start = plan.Resolve(p.Location, start.Year(), start.Month(), start.Day(), 0, 0, 0)
			}
			fc, line := wf.forecastFor(cmd.Context(), env, p, start, start.In(p.Location).AddDate(0, 0, days))
			occs, err := plan.Inputs{Profile: p, Forecast: fc}.Limited(start, days, plan.MaxOccurrences)
			if err != nil {
				return fail(exitUsage, fmt.Errorf("crampd plan: %w", err))
			}
			if asJSON {
				note(env.Stderr, line)
				return writeJSON(env.Stdout, occs)
			}
			if asICS {
				note(env.Stderr, line)
				if err := ics.Write(env.Stdout, p.Location, occs, env.Clock.Now(), ics.Options{NoAlarms: noAlarms}); err != nil {
					return fail(exitProblem, fmt.Errorf("crampd plan: %w", err))
				}
				return nil
			}
			note(env.Stdout, line)
			writePlanTable(env.Stdout, p.Location, occs)
			return nil
		},
	}
	profileFlag(cmd, &path)
	wf.add(cmd)
	cmd.Flags().StringVar(&from, "from", "", "start of the window: an RFC 3339 time, or a date for midnight in the profile's zone (default now)")
	cmd.Flags().IntVar(&days, "days", 1, "length of the window in days")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&asICS, "ics", false, "print an iCalendar (.ics) file")
	cmd.Flags().BoolVar(&noAlarms, "no-alarms", false, "with --ics, leave out the alarm on each event")
	return cmd
}

// parseFrom reads plan's --from: empty means now, and an RFC 3339 time is
// that instant. A date (YYYY-MM-DD) is returned as its midnight in UTC with
// isDate set, for the caller to move into the profile's zone.
func parseFrom(from string, now time.Time) (start time.Time, isDate bool, err error) {
	if from == "" {
		return now, false, nil
	}
	if t, err := time.Parse(time.RFC3339, from); err == nil {
		return t, false, nil
	}
	if t, err := time.Parse(time.DateOnly, from); err == nil {
		return t, true, nil
	}
	return time.Time{}, false, fmt.Errorf("--from %q is neither an RFC 3339 time like 2027-03-14T00:00:00-05:00 nor a date like 2027-03-14", from)
}

// writeJSON prints v as indented JSON. A nil slice prints [], not null: the
// commands' help promises an array, and an empty list is still one.
func writeJSON(w io.Writer, v any) error {
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Slice && rv.IsNil() {
		v = reflect.MakeSlice(rv.Type(), 0, 0).Interface()
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// collapseAt is how many occurrences of one rule a day may have before the
// table shows them as one row; a per-second custom reminder would otherwise
// bury everything else. It is one every 15 minutes around the clock, so
// that water reminders are each listed (with the heat index in their
// titles on a hot day) even at the densest cadence a profile allows.
const collapseAt = 96

// writePlanTable prints occurrences grouped by day.
func writePlanTable(w io.Writer, loc *time.Location, occs []domain.Occurrence) {
	if len(occs) == 0 {
		fmt.Fprintln(w, "No reminders in this window.")
		return
	}
	// One width for every day, so columns line up down the whole listing.
	kw, tw := 0, 0
	for _, o := range occs {
		kw, tw = max(kw, len(o.Kind)), max(tw, len([]rune(o.Title)))
	}
	row := fmt.Sprintf("  %%s %%-5s  %%-%ds  %%-%ds  %%s\n", kw, tw)
	for i, day := range groupByDay(loc, occs) {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "%s (%s)\n", day[0].At.In(loc).Format("Mon 2006-01-02"), loc)
		perRule := map[string][]domain.Occurrence{}
		for _, o := range day {
			perRule[o.Rule] = append(perRule[o.Rule], o)
		}
		for _, o := range day {
			same := perRule[o.Rule]
			at := o.At.In(loc)
			if len(same) <= collapseAt {
				fmt.Fprintf(w, row, at.Format("15:04"), at.Format("MST"), o.Kind, o.Title, o.ID)
				continue
			}
			if same[0].ID != o.ID {
				continue
			}
			last := same[len(same)-1].At.In(loc)
			fmt.Fprintf(w, row, at.Format("15:04"), at.Format("MST"), o.Kind, o.Title,
				fmt.Sprintf("%d times until %s (--json lists each)", len(same), last.Format("15:04:05")))
		}
	}
}

// groupByDay splits time-ordered occurrences by calendar day in loc.
func groupByDay(loc *time.Location, occs []domain.Occurrence) [][]domain.Occurrence {
	var out [][]domain.Occurrence
	day := ""
	for _, o := range occs {
		if d := o.At.In(loc).Format("2006-01-02"); d != day {
			day = d
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], o)
	}
	return out
}

func newInitCmd(env Env) *cobra.Command {
	var path string
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a commented starter profile",
		Long: `Init writes a commented starter profile to the profile path. It never
overwrites an existing file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := profilePath(path, env)
			if err := writeStarter(path); err != nil {
				return fail(exitProblem, err)
			}
			fmt.Fprintf(env.Stdout, "Wrote %s. Edit it, then run: crampd check --profile %s\n", path, path)
			return nil
		},
	}
	profileFlag(cmd, &path)
	return cmd
}

// writeStarter creates path with the starter profile, refusing to replace
// anything that is there.
func writeStarter(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create profile directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; crampd init never overwrites a profile", path)
	}
	if err != nil {
		return fmt.Errorf("create profile: %w", err)
	}
	_, werr := io.Copy(f, strings.NewReader(profile.Starter))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		os.Remove(path)
		return fmt.Errorf("write profile: %w", werr)
	}
	return nil
}
