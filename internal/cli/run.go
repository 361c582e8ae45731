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
			level := slog.LevelInfo
			if debug {
				level = slog.LevelDebug
			}
			log := logging.New(env.Stderr, level, env.Getenv("JOURNAL_STREAM") != "")
			if state == "" {
				state = store.DefaultDir(env.Getenv)
			}
			if socket == "" {
				socket = control.DefaultSocket(env.Getenv)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			d, err := daemon.New(ctx, daemon.Options{
				ProfilePath: profilePath(path, env),
				StateDir:    state,
				Clock:       env.Clock,
				Logger:      log,
				Getenv:      env.Getenv,
				Stdout:      env.Stdout,
				Systemd:     systemd.Notify{},
				Watchdog:    systemd.WatchdogInterval(),
				Socket:      socket,
			})
			if err != nil {
				return fail(exitProblem, err)
			}
			if err := d.Run(ctx, reloadSignals(ctx)); err != nil {
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
