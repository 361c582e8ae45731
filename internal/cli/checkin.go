package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/rules"
)

func newCheckinCmd(env Env) *cobra.Command {
	var (
		f     clientFlags
		night string
		state string
		path  string
	)
	cmd := &cobra.Command{
		Use:   "checkin none|cramp|severe",
		Short: "Answer the morning check-in: how was your night?",
		Long: `Checkin records how a night went, as the morning check-in's buttons do:
none records a night without cramps (so stats can tell it from a night with
no answer), cramp logs a cramp at the middle of your sleep window, and severe
logs one of severity 8, which may send the "see a doctor" reminder as
` + "`cramp log`" + ` would. The night is last night unless --night names it by the date
of its evening. A later answer for the same night replaces the earlier one;
a cramp already in the journal for that night is not logged twice. Without a
running daemon the answer goes straight into the state database.`,
		Example: `  crampd checkin none
  crampd checkin severe --night 2027-06-01`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{string(domain.AnswerNone), string(domain.AnswerCramp), string(domain.AnswerSevere)},
		RunE: func(cmd *cobra.Command, args []string) error {
			answer, err := domain.ParseAnswer(args[0])
			if err != nil {
				return fail(exitUsage, fmt.Errorf("crampd checkin: %w", err))
			}
			if night != "" {
				if _, err := time.Parse(rules.NightLayout, night); err != nil {
					return fail(exitUsage, fmt.Errorf("crampd checkin: --night %q: want the date the night began, like 2027-06-01", night))
				}
			}
			var (
				r   app.CheckinResult
				loc *time.Location
			)
			err = withService(cmd.Context(), env, f, &local{state: state, profile: path, write: true, needProfile: true, instead: "writing to the state database"},
				func(svc control.Service) (err error) {
					if loc, err = svc.Zone(cmd.Context()); err != nil {
						return err
					}
					r, err = svc.Checkin(cmd.Context(), app.CheckinRequest{Answer: answer, Night: night})
					return err
				})
			if err != nil {
				return err
			}
			if f.json {
				return writeJSON(env.Stdout, r)
			}
			writeCheckin(env.Stdout, r, loc, env.Clock.Now())
			return nil
		},
	}
	f.add(cmd, true)
	cmd.Flags().StringVar(&night, "night", "", "the night, by the date of its evening (default last night)")
	stateFlag(cmd, &state)
	profileFlag(cmd, &path)
	return cmd
}

// writeCheckin says what an answer recorded, and what became of the doctor
// nudge.
func writeCheckin(w io.Writer, r app.CheckinResult, loc *time.Location, now time.Time) {
	n := r.Night
	day := n.Date
	if d, err := time.Parse(rules.NightLayout, n.Date); err == nil {
		day = d.Format("Mon 2006-01-02")
	}
	if r.Unchanged {
		fmt.Fprintf(w, "The night of %s is already recorded as %s; nothing changed.\n", day, describeAnswer(n.Answer))
		return
	}
	line := fmt.Sprintf("Recorded the night of %s: %s", day, describeAnswer(n.Answer))
	if r.Replaced != "" {
		line += fmt.Sprintf(" (it was %s)", describeAnswer(r.Replaced))
	}
	fmt.Fprintln(w, line+".")
	switch c := r.Cramp; {
	case c != nil && r.Existing:
		fmt.Fprintf(w, "Cramp #%d at %s is already in the journal; no other is logged.\n", c.ID, stamp(c.At, loc, now))
	case c != nil:
		sev := ""
		if c.Severity > 0 {
			sev = fmt.Sprintf(", severity %d", c.Severity)
		}
		fmt.Fprintf(w, "Cramp #%d at %s%s, from the check-in.\n", c.ID, stamp(c.At, loc, now), sev)
	}
	if r.Removed != 0 {
		fmt.Fprintf(w, "Cramp #%d, which the earlier answer logged, is removed.\n", r.Removed)
	}
	if d := r.Nudge.Sent; d != nil {
		fmt.Fprintf(w, "%s\n%s\n", d.Title, d.Body)
	}
	if msg := r.Nudge.Message(loc); msg != "" {
		fmt.Fprintln(w, msg)
	}
}

func describeAnswer(a domain.Answer) string {
	switch a {
	case domain.AnswerNone:
		return "no cramps"
	case domain.AnswerCramp:
		return "a cramp"
	case domain.AnswerSevere:
		return "a severe cramp"
	}
	return string(a)
}
