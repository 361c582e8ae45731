package cli

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/install"
)

// host is what install and uninstall need beyond Env: the running binary,
// the effective UID and systemctl. NewRoot wires the real machine; tests
// pass fakes to newInstallCmdWith.
type host struct {
	executable func() (string, error)
	euid       func() int
	username   func() string
	runner     install.Runner
	lingerDir  string
}

func realHost() host {
	return host{
		executable: func() (string, error) {
			p, err := os.Executable()
			if err != nil {
				return "", err
			}
			// The unit should survive the binary being replaced through a
			// symlink such as ~/go/bin/crampd, so name the file itself.
			return filepath.EvalSymlinks(p)
		},
		euid: os.Geteuid,
		username: func() string {
			if u, err := user.Current(); err == nil {
				return u.Username
			}
			return ""
		},
		runner:    install.ExecRunner{},
		lingerDir: install.LingerDir,
	}
}

func newInstallCmd(env Env) *cobra.Command   { return newInstallCmdWith(env, realHost()) }
func newUninstallCmd(env Env) *cobra.Command { return newUninstallCmdWith(env, realHost()) }

// scopeFlags adds --user and --system to cmd.
func scopeFlags(cmd *cobra.Command, system *bool) {
	var userScope bool
	cmd.Flags().BoolVar(&userScope, "user", false, "the user's own service manager (default)")
	cmd.Flags().BoolVar(system, "system", false, "the system service manager (needs root)")
	cmd.MarkFlagsMutuallyExclusive("user", "system")
	cmd.Flags().Bool("dry-run", false, "print every file and command instead of changing anything")
}

// installOptions fills install.Options for the chosen scope from env and h.
func installOptions(cmd *cobra.Command, env Env, h host, system bool) (install.Options, error) {
	dry, _ := cmd.Flags().GetBool("dry-run")
	o := install.Options{
		DryRun: dry,
		IsRoot: h.euid() == 0,
		Runner: h.runner,
		Out:    env.Stdout,
	}
	if system {
		o.Scope = install.System
		o.UnitDir = install.SystemUnitDir
		o.ProfilePath = install.SystemProfile
		o.StateDir = install.SystemStateDir
		return o, nil
	}
	o.Scope = install.User
	config, err := xdgDir(env, "XDG_CONFIG_HOME", ".config")
	if err != nil {
		return o, err
	}
	state, err := xdgDir(env, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	if err != nil {
		return o, err
	}
	// Where systemd's user manager looks for units its user wrote.
	o.UnitDir = filepath.Join(config, "systemd", "user")
	// The daemon's default profile, the one `crampd init` and `check` use.
	// xdgDir has already refused a relative $XDG_CONFIG_HOME, which would
	// make that path depend on the working directory.
	o.ProfilePath = profilePath("", env)
	o.StateDir = filepath.Join(state, "crampd")
	o.User = env.Getenv("USER")
	if o.User == "" {
		o.User = h.username()
	}
	o.LingerDir = h.lingerDir
	return o, nil
}

// xdgDir returns an XDG base directory, or its default under $HOME. A
// relative value is refused rather than ignored: the other commands would
// still use it, and the service would read a different profile than the
// one install wrote.
func xdgDir(env Env, name, fallback string) (string, error) {
	if dir := env.Getenv(name); dir != "" {
		if !filepath.IsAbs(dir) {
			return "", fmt.Errorf("$%s is %q, a relative path; set it to an absolute path or unset it", name, dir)
		}
		return dir, nil
	}
	home := env.Getenv("HOME")
	if !filepath.IsAbs(home) {
		return "", fmt.Errorf("neither $%s nor $HOME is an absolute path", name)
	}
	return filepath.Join(home, fallback), nil
}

// installFailure reports a failed install or uninstall as a problem (exit
// 1), not a usage error: the command line was fine, the machine said no.
func installFailure(name string, err error) error {
	return fail(exitProblem, fmt.Errorf("crampd %s: %w", name, err))
}

func newInstallCmdWith(env Env, h host) *cobra.Command {
	var system bool
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Run crampd as a systemd service",
		Long: `Install sets crampd up as a systemd service that starts on its own.

With --user (the default) it writes $XDG_CONFIG_HOME/systemd/user/crampd.service
running this crampd binary, writes a starter profile to the default profile
path if there is none, and runs
  systemctl --user daemon-reload
  systemctl --user enable --now crampd.service
A user service can show desktop notifications. It stops when you log out,
unless lingering is on: loginctl enable-linger $USER

With --system (needs root) it writes /etc/systemd/system/crampd.service, a
sandboxed service with a throwaway user for servers that deliver through
webhooks or ntfy, and /etc/crampd/profile.toml if there is none; its starter
profile sends reminders to the journal. Then it runs systemctl daemon-reload
and systemctl enable --now crampd.service. The binary must live where the
sandbox can see it, such as /usr/local/bin, not under /home or /tmp.

When no service manager is reachable (a container, ssh without a session),
install prints the systemctl commands instead of running them. It never
overwrites a profile; it does replace an older crampd unit, so put local
changes in a drop-in (systemctl [--user] edit crampd).

--dry-run prints every file it would write and every command it would run,
and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := installOptions(cmd, env, h, system)
			if err != nil {
				return installFailure("install", err)
			}
			o.Binary, err = h.executable()
			if err != nil {
				return installFailure("install", fmt.Errorf("find the crampd binary: %w", err))
			}
			if err := install.Install(cmd.Context(), o); err != nil {
				return installFailure("install", err)
			}
			return nil
		},
	}
	scopeFlags(cmd, &system)
	return cmd
}

func newUninstallCmdWith(env Env, h host) *cobra.Command {
	var system bool
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: "Stop the crampd service and remove its unit",
		Long: `Uninstall undoes install: it runs systemctl [--user] disable --now
crampd.service, removes the unit file install wrote, and reloads systemd.
When no service manager is reachable it removes the files and prints the
systemctl commands to run instead.

Your profile and your reminder history are kept; uninstall says where they
are, so you can delete them yourself. It does not touch a unit installed by
the Debian package (/usr/lib/systemd/...): remove the package for that.

--dry-run prints every file it would remove and every command it would run,
and changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o, err := installOptions(cmd, env, h, system)
			if err != nil {
				return installFailure("uninstall", err)
			}
			if err := install.Uninstall(cmd.Context(), o); err != nil {
				return installFailure("uninstall", err)
			}
			return nil
		},
	}
	scopeFlags(cmd, &system)
	return cmd
}
