// Package cli implements crampd's command line: one binary whose
// subcommands check and plan a profile, run the daemon and talk to it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"
)

// Disclaimer is shown in the root help and the README.
const Disclaimer = `crampd gives general, informational reminders drawn from a published
article on leg cramps. It is not medical advice and does not replace a
doctor: see one if your cramps are severe, frequent, or come with swelling,
numbness or weakness.`

// Exit statuses.
const (
	exitOK = 0
	// exitProblem: bad input, an invalid profile, a failed command.
	exitProblem = 1
	// exitUsage: the command line itself is wrong.
	exitUsage = 2
	// exitNoDaemon: a command needed the daemon and it is not running.
	exitNoDaemon = 3
)

// Env is what the commands need from the outside world, so tests can run
// them in-process with their own streams, environment and clock.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Clock          clockwork.Clock
}

// exitError carries an exit status through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func fail(code int, err error) error { return &exitError{code: code, err: err} }

// Main runs the command line with the process's environment and returns the
// exit status.
func Main(ctx context.Context, args []string) int {
	return Run(ctx, args, Env{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Clock:  clockwork.NewRealClock(),
	})
}

// Run runs the command line in env and returns the exit status.
func Run(ctx context.Context, args []string, env Env) int {
	root := NewRoot(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(env.Stderr, ee.err)
		}
		return ee.code
	}
	// Anything else comes from cobra's own parsing: a usage error.
	fmt.Fprintf(env.Stderr, "crampd: %v\nRun 'crampd --help' for usage.\n", err)
	return exitUsage
}

// NewRoot builds the command tree. The completion and man page generators
// read the same tree, so they never drift from the commands.
func NewRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "crampd",
		Short: "Reminders that help prevent leg cramps",
		Long: `crampd turns a profile of your sleep, exercise, climate, medications and
diet into reminders: water through the day, a calf and hamstring stretch
before bed, mineral-rich food, electrolytes after workouts, and your
medications. It delivers them to your desktop, a webhook or ntfy.

` + Disclaimer,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what `crampd version` prints, through cobra's
		// default template: "crampd version " and this. A template of
		// our own would bring in text/template, whose reflection keeps
		// the linker from dropping unused methods (3 MB of binary).
		Version: strings.TrimSuffix(strings.TrimPrefix(versionText(), versionPrefix), "\n"),
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	root.AddCommand(
		newCheckCmd(env),
		newPlanCmd(env),
		newInitCmd(env),
		newInstallCmd(env), newUninstallCmd(env),
		newRunCmd(env),
		newStatusCmd(env), newNextCmd(env), newAckCmd(env), newSnoozeCmd(env),
		newPauseCmd(env), newResumeCmd(env), newFireCmd(env), newReloadCmd(env),
		newHistoryCmd(env), newCrampCmd(env), newCheckinCmd(env), newStatsCmd(env),
		newWebCmd(env), newReportCmd(env),
		newVersionCmd(env),
	)
	return root
}
