package cli

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/daemon"
	"github.com/crampd/crampd/internal/logging"
	"github.com/crampd/crampd/internal/notify/stdout"
	"github.com/crampd/crampd/internal/store"
	"github.com/crampd/crampd/internal/systemd"
)

func newRunCmd(env Env) *cobra.Command {
	var (
		path, state, socket string
		debug               bool
	)
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the reminder daemon in the foreground",
		Long: `Run loads the profile (failing fast with the same messages as check),
catches up on reminders that came due while crampd was not running, and
fires each reminder on time, once, through the profile's channels.

SIGHUP reloads the profile; a broken profile is reported and the running
schedule is kept. SIGTERM or SIGINT stops crampd, giving deliveries in
flight up to five seconds; the rest wait in the outbox for the next start.
Under systemd (Type=notify) crampd reports READY, RELOADING, STOPPING and
feeds the watchdog.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// Signals are caught before anything slow: until then a SIGHUP
			// or SIGTERM would kill crampd outright. A SIGHUP that comes
			// while crampd starts is a reload once it runs.
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			hup := reloadSignals(ctx)
			defer survivePipes()()

			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			log := logging.New(logging.Guard(env.Stderr), level, env.Getenv("JOURNAL_STREAM") != "")
			if state == "" {
				state = store.DefaultDir(env.Getenv)
			}
			if socket == "" {
				socket = control.DefaultSocket(env.Getenv)
			}
			d, err := daemon.New(ctx, daemon.Options{
				ProfilePath: profilePath(path, env),
				StateDir:    state,
				Clock:       env.Clock,
				Logger:      log,
				Getenv:      env.Getenv,
				// One Writer for the process's stdout, shared by the
				// stdout channels of every reload.
				Stdout:   stdout.NewWriter(env.Stdout),
				Systemd:  systemd.Notify{},
				Watchdog: systemd.WatchdogInterval(),
				Socket:   socket,
			})
			if err != nil {
				return fail(exitProblem, err)
			}
			if err := d.Run(ctx, hup); err != nil {
				return fail(exitProblem, err)
			}
			return nil
		},
	}
	profileFlag(cmd, &path)
	cmd.Flags().StringVar(&state, "state", "", "directory for the state database (default $XDG_STATE_HOME/crampd)")
	cmd.Flags().StringVar(&socket, "socket", "", "control socket (default $XDG_RUNTIME_DIR/crampd/crampd.sock)")
	cmd.Flags().BoolVar(&debug, "debug", false, "log at debug level")
	return cmd
}

// reloadSignals turns SIGHUP into reload requests. The channel holds one
// pending request; a SIGHUP that arrives while one is pending is dropped,
// since that reload will read the newest profile anyway.
func reloadSignals(ctx interface{ Done() <-chan struct{} }) <-chan struct{} {
	hup := make(chan struct{}, 1)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP)
	go func() {
		defer signal.Stop(sigs)
		for {
			select {
			case <-ctx.Done():
				return
			case <-sigs:
				select {
				case hup <- struct{}{}:
				default:
				}
			}
		}
	}()
	return hup
}

// survivePipes keeps a reader of stdout or stderr that goes away from
// taking the daemon with it. Go kills a program whose write to fd 1 or 2
// fails with EPIPE, even one started with SIGPIPE ignored (as systemd
// starts services), unless it asks for SIGPIPE with signal.Notify; the
// write then fails with EPIPE, which the stdout channel and the log
// handle. Notify rather than Ignore, so that any child crampd runs starts
// with the default again. It returns the function that undoes it.
func survivePipes() func() {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGPIPE)
	return func() { signal.Stop(sigs) }
}
