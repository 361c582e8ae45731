package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
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

// systemUnit is where `crampd install --system` puts the system unit.
const systemUnit = "/etc/systemd/system/crampd.service"

func (f *clientFlags) client(env Env) *control.Client {
	if f.socket != "" {
		return control.NewClient(f.socket)
	}
	path, trust := control.Locate(env.Getenv)
	return control.NewClientWith(path, trust)
}

// notRunning is the one line printed when the daemon does not answer; the
// hint names the unit that runs it.
func notRunning(c *control.Client) string {
	if c.System() {
		return fmt.Sprintf("the system crampd is not running (no daemon on %s); start it with `sudo systemctl start crampd`", c.Socket())
	}
	msg := fmt.Sprintf("crampd is not running (no daemon on %s); start it with `systemctl --user start crampd` or `crampd run`", c.Socket())
	if _, err := os.Stat(systemUnit); err == nil {
		msg += "; for the system service, `sudo systemctl start crampd`"
	}
	return msg
}

// clientError turns an error from the daemon or the use cases into an exit
// status: 3 when the daemon is needed and not running, 1 otherwise.
func clientError(c *control.Client, err error) error {
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.Is(err, control.ErrNotRunning):
		return fail(exitNoDaemon, errors.New(notRunning(c)))
	case errors.Is(err, control.ErrRootOnly):
		return fail(exitProblem, fmt.Errorf("crampd: the system crampd answers on %s, and only root may control it: run `sudo crampd %s`", c.Socket(), commandLine()))
	case errors.Is(err, domain.ErrInvalid), errors.Is(err, domain.ErrNotFound):
		var apiErr *control.APIError
		if errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest {
			return fail(exitProblem, fmt.Errorf("crampd: %s", apiErr.Message))
		}
	}
	return fail(exitProblem, fmt.Errorf("crampd: %w", err))
}

// local says how a command runs without a daemon: on the state database,
// through the same use cases the daemon serves.
type local struct {
	// state is --state; profile is --profile.
	state, profile string
	// write takes the state lock and opens the database for writing;
	// otherwise it is opened read-only, never migrated.
	write bool
	// needProfile makes a profile that cannot be loaded an error; without
	// it the profile only sets the time zone, when it loads.
	needProfile bool
	// instead says, after "crampd is not running", what happens instead.
	instead string
	// weather, when set, makes the plan follow the stored forecast (or
	// not, with --no-weather), and says so on stderr.
	weather *weatherFlags
}

// withService runs fn against the daemon. When no daemon answers and the
// command can work without one, it says so on stderr and runs fn against
// the use cases on the state database instead.
func withService(ctx context.Context, env Env, f clientFlags, l *local, fn func(control.Service) error) error {
	c := f.client(env)
	err := fn(c)
	if err == nil {
		return nil
	}
	if l == nil || !errors.Is(err, control.ErrNotRunning) {
		return clientError(c, err)
	}
	fmt.Fprintln(env.Stderr, notRunning(c)+"; "+l.instead)
	return withLocal(ctx, env, f, l, fn)
}

// withLocal runs fn against the use cases on the state database, without
// asking the daemon.
func withLocal(ctx context.Context, env Env, f clientFlags, l *local, fn func(control.Service) error) error {
	c := f.client(env)
	svc, done, err := l.open(ctx, env, c)
	if err != nil {
		return err
	}
	defer done()
	if err := fn(svc); err != nil {
		return clientError(c, err)
	}
	return nil
}

// open builds the use cases on the state database.
func (l *local) open(ctx context.Context, env Env, c *control.Client) (*app.Service, func(), error) {
	var p *profile.Profile
	if l.needProfile {
		var err error
		if p, err = loadProfile(profilePath(l.profile, env)); err != nil {
			return nil, nil, err
		}
	} else if loaded, err := profile.Load(profilePath(l.profile, env)); err == nil {
		p = loaded
	}
	dir := l.state
	if dir == "" {
		dir = store.DefaultDir(env.Getenv)
	}
	var (
		st   *store.Store
		lock *store.Lock
		err  error
	)
	if l.write {
		if lock, err = store.LockDir(dir); errors.Is(err, store.ErrLocked) {
			return nil, nil, fail(exitProblem, fmt.Errorf("a crampd daemon holds the state directory %s but does not answer on %s: give its --socket", dir, c.Socket()))
		} else if err != nil {
			return nil, nil, fail(exitProblem, err)
		}
		st, err = store.Open(ctx, dir)
	} else {
		st, err = store.OpenReadOnly(ctx, dir)
		if errors.Is(err, store.ErrNoDatabase) {
			fmt.Fprintf(env.Stderr, "crampd has recorded nothing yet (no state database in %s)\n", dir)
			st, err = store.OpenEmpty(ctx)
		}
	}
	if err != nil {
		lock.Close()
		return nil, nil, fail(exitProblem, err)
	}
	cfg := app.Config{Store: st, Clock: env.Clock, Profile: p}
	if l.weather != nil && p != nil && p.Weather != nil && !l.weather.noWeather {
		now := env.Clock.Now()
		var line string
		cfg.Forecast, line = readForecast(ctx, env, st, dir, p, now.Add(-time.Hour), now.AddDate(0, 0, plan.MaxDays))
		note(env.Stderr, line)
	}
	svc := app.New(cfg)
	return svc, func() { st.Close(); lock.Close() }, nil
}

// commandLine is the command as typed, for a hint to run it again.
func commandLine() string { return strings.Join(os.Args[1:], " ") }
