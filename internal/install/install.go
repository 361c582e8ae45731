// Package install puts crampd under systemd: it writes the unit file and a
// starter profile, then enables the service through systemctl, or prints the
// commands when no service manager is reachable. Everything it touches on
// the machine comes in through Options, so tests run it against a temporary
// directory and a recording Runner.
package install

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crampd/crampd/internal/profile"
)

// Scope says which systemd manager runs crampd.
type Scope string

// The two scopes. User is the default because desktop notifications need
// the user's session bus; System suits servers that only use webhooks and
// ntfy.
const (
	User   Scope = "user"
	System Scope = "system"
)

// Where the system scope puts things. The unit's ExecStart names the same
// profile, state and socket paths.
const (
	SystemUnitDir  = "/etc/systemd/system"
	SystemProfile  = "/etc/crampd/profile.toml"
	SystemStateDir = "/var/lib/crampd"
	// LingerDir holds one file per user that logind keeps a manager
	// running for after logout (`loginctl enable-linger`).
	LingerDir = "/var/lib/systemd/linger"
)

// Runner runs an external command and returns its combined output. It is
// the boundary to systemctl.
type Runner interface {
	Run(ctx context.Context, argv ...string) (output string, err error)
}

// Options is everything Install and Uninstall need from the machine.
type Options struct {
	Scope Scope
	// DryRun prints every file and command instead of writing or running
	// it. Read-only queries (is a file there, is systemd reachable) still
	// happen, so the preview matches what a real run would do.
	DryRun bool
	// Binary is the absolute path of the crampd the unit will run.
	Binary string
	// UnitDir is the directory the unit file goes in.
	UnitDir string
	// ProfilePath is where the daemon reads its profile; a starter profile
	// is written there if nothing is.
	ProfilePath string
	// StateDir is the daemon's history; it is only named in messages, never
	// touched.
	StateDir string
	// IsRoot says whether the process may write the system scope's paths.
	IsRoot bool
	// User and LingerDir let the user scope say whether reminders survive
	// logout. Either may be empty when unknown.
	User, LingerDir string
	Runner          Runner
	Out             io.Writer
}

// ErrNeedRoot means a system-scope change was asked for without root.
var ErrNeedRoot = errors.New("needs root")

// run carries one Install or Uninstall. Every change to the machine goes
// through writeUnit, createProfile, remove or systemctl, which are the only
// places that look at DryRun.
type run struct {
	Options
	w io.Writer
}

func newRun(o Options) (*run, error) {
	if o.Scope != User && o.Scope != System {
		return nil, fmt.Errorf("unknown scope %q", o.Scope)
	}
	if o.Scope == System && !o.IsRoot && !o.DryRun {
		return nil, fmt.Errorf("changing %s %w: run it with sudo, or add --dry-run to see what it would do",
			filepath.Join(o.UnitDir, UnitName), ErrNeedRoot)
	}
	if o.Runner == nil {
		return nil, errors.New("no command runner")
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	r := &run{Options: o, w: o.Out}
	if o.DryRun {
		r.say("Dry run: nothing is written, started or removed.")
	}
	return r, nil
}

func (r *run) say(format string, args ...any) { fmt.Fprintf(r.w, format+"\n", args...) }

func (r *run) unitPath() string { return filepath.Join(r.UnitDir, UnitName) }

// systemctlArgs prefixes args with systemctl and the scope's flag.
func (r *run) systemctlArgs(args ...string) []string {
	argv := []string{"systemctl"}
	if r.Scope == User {
		argv = append(argv, "--user")
	}
	return append(argv, args...)
}

// usableStates are the is-system-running answers from a manager that can
// take orders; "offline" and errors mean there is none to talk to.
var usableStates = map[string]bool{
	"initializing": true, "starting": true, "running": true,
	"degraded": true, "maintenance": true,
}

// reachable asks the scope's manager whether it runs. is-system-running
// exits non-zero for "degraded", so its answer matters, not its status;
// without a manager (no session bus, a container, a chroot) it prints
// "offline" or only an error.
func (r *run) reachable(ctx context.Context) (bool, string) {
	argv := r.systemctlArgs("is-system-running")
	out, err := r.Runner.Run(ctx, argv...)
	state := strings.TrimSpace(out)
	// Combined output may carry a warning line before the state.
	for _, line := range strings.Split(state, "\n") {
		if line = strings.TrimSpace(line); usableStates[line] {
			return true, line
		}
	}
	if state == "" && err != nil {
		state = err.Error()
	}
	return false, fmt.Sprintf("`%s` said %q", strings.Join(argv, " "), state)
}

// systemctl runs one systemctl command, or shows it on a dry run.
func (r *run) systemctl(ctx context.Context, args ...string) error {
	argv := r.systemctlArgs(args...)
	cmd := strings.Join(argv, " ")
	if r.DryRun {
		r.say("Would run: %s", cmd)
		return nil
	}
	r.say("$ %s", cmd)
	out, err := r.Runner.Run(ctx, argv...)
	if out = strings.TrimSpace(out); out != "" {
		r.say("  %s", strings.ReplaceAll(out, "\n", "\n  "))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	return nil
}

// handOff runs the commands when the manager is reachable and otherwise
// prints them for the user, so a missing systemd is never an error.
func (r *run) handOff(ctx context.Context, usable bool, why string, cmds ...[]string) error {
	if usable {
		for _, c := range cmds {
			if err := r.systemctl(ctx, c...); err != nil {
				return err
			}
		}
		return nil
	}
	r.say("No service manager to talk to (%s). Run these yourself where there is one:", why)
	for _, c := range cmds {
		r.say("  %s", strings.Join(r.systemctlArgs(c...), " "))
	}
	return nil
}

// Install writes the unit and, if there is none yet, a starter profile, then
// enables and starts the service.
func Install(ctx context.Context, o Options) error {
	r, err := newRun(o)
	if err != nil {
		return err
	}
	if err := checkBinary(r.Scope, r.Binary); err != nil {
		return err
	}
	unit, err := Unit(r.Scope, r.Binary)
	if err != nil {
		return err
	}
	if r.Scope == User && r.IsRoot {
		r.say("Note: this installs a user service for root. On a server, `crampd install --system` runs crampd without root.")
	}
	if err := r.writeUnit(unit); err != nil {
		return err
	}
	created, err := r.createProfile()
	if err != nil {
		return err
	}
	usable, why := r.reachable(ctx)
	err = r.handOff(ctx, usable, why, []string{"daemon-reload"}, []string{"enable", "--now", UnitName})
	if err != nil {
		return fmt.Errorf("%w\nSee why with: %s", err, r.journalctl())
	}
	r.afterInstall(created)
	return nil
}

func (r *run) journalctl() string {
	if r.Scope == User {
		return "journalctl --user -u crampd"
	}
	return "journalctl -u crampd"
}

// afterInstall tells the user what to do next.
func (r *run) afterInstall(createdProfile bool) {
	ctl := strings.Join(r.systemctlArgs(), " ")
	if createdProfile {
		r.say("Edit %s, check it with `crampd check --profile %s`, then apply it with `%s reload crampd`.",
			r.ProfilePath, r.ProfilePath, ctl)
	}
	r.say("Status: `%s status crampd`; logs: `%s`.", ctl, r.journalctl())
	if r.Scope != User {
		return
	}
	lingering := false
	if r.User != "" && r.LingerDir != "" {
		_, err := os.Stat(filepath.Join(r.LingerDir, r.User))
		lingering = err == nil
	}
	switch {
	case lingering:
		r.say("Lingering is on for %s, so reminders keep firing while you are logged out.", r.User)
	case r.User != "":
		r.say("Reminders stop while you are logged out. To keep them (webhook, ntfy, night-time medications), run: loginctl enable-linger %s", r.User)
	default:
		r.say("Reminders stop while you are logged out. To keep them (webhook, ntfy, night-time medications), run: loginctl enable-linger $USER")
	}
}

// hiddenFromSystemUnit are trees the system unit cannot see: ProtectHome=
// hides the first three and PrivateTmp= replaces the last two, so a binary
// there fails every start with status 203/EXEC.
var hiddenFromSystemUnit = []string{"/home", "/root", "/run/user", "/tmp", "/var/tmp"}

// checkBinary refuses binaries the unit could not run later.
func checkBinary(scope Scope, path string) error {
	if !filepath.IsAbs(path) {
		return fmt.Errorf("binary path %q is not absolute", path)
	}
	// `go run` builds into a temporary go-build directory that is deleted
	// when it exits, which would leave the unit pointing at nothing.
	if strings.Contains(path, string(filepath.Separator)+"go-build") {
		return fmt.Errorf("%s is a temporary `go run` build; build crampd first (go build -o ~/.local/bin/crampd ./cmd/crampd) and run install from that binary", path)
	}
	if scope != System {
		return nil
	}
	for _, dir := range hiddenFromSystemUnit {
		if path == dir || strings.HasPrefix(path, dir+"/") {
			return fmt.Errorf("the system unit cannot run %s: its sandbox hides %s; copy crampd out first (sudo install -m 0755 %s /usr/local/bin/crampd) and run /usr/local/bin/crampd install --system",
				path, dir, path)
		}
	}
	return nil
}

// writeUnit writes the unit, replacing an older one: the unit belongs to
// crampd, and a reinstall must point it at the current binary. Local changes
// belong in drop-ins (`systemctl edit crampd`), which this leaves alone.
func (r *run) writeUnit(unit string) error {
	path := r.unitPath()
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read existing unit: %w", err)
	}
	if exists && bytes.Equal(old, []byte(unit)) {
		r.say("Unchanged: %s (runs %s).", path, r.Binary)
		return nil
	}
	verb := "Wrote"
	if exists {
		verb = "Replaced"
	}
	if r.DryRun {
		r.say("Would write %s (mode 0644, runs %s):", path, r.Binary)
		r.say("    %s", strings.ReplaceAll(strings.TrimSuffix(unit, "\n"), "\n", "\n    "))
		return nil
	}
	if err := writeAtomic(path, []byte(unit), 0o644, 0o755); err != nil {
		return fmt.Errorf("write unit: %w", err)
	}
	r.say("%s %s (runs %s).", verb, path, r.Binary)
	return nil
}

// writeAtomic replaces path in one rename, so systemd never loads half a
// unit.
func writeAtomic(path string, data []byte, mode, dirMode fs.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// starterFor adapts the starter profile to the scope. A system service has
// no desktop session, so its starter sends reminders to the journal until
// the admin adds a webhook or ntfy channel.
func starterFor(scope Scope) (string, error) {
	if scope == User {
		return profile.Starter, nil
	}
	const desktop = "[[channel]]\ntype = \"desktop\"\n"
	if !strings.Contains(profile.Starter, desktop) {
		return "", errors.New("the starter profile no longer has the desktop channel the system scope replaces")
	}
	return strings.Replace(profile.Starter, desktop,
		"[[channel]]\ntype = \"stdout\"          # the journal (journalctl -u crampd): a system service has no desktop\n", 1), nil
}

// starterOrigin says how the scope's starter profile relates to the one
// `crampd init` writes, as starterFor makes it.
func starterOrigin(scope Scope) string {
	if scope == User {
		return "`crampd init` writes the same"
	}
	return "what `crampd init` writes, but sending reminders to the journal (type = \"stdout\") instead of the desktop"
}

// createProfile writes the starter profile unless a profile exists; it
// never overwrites one. It reports whether it wrote one.
func (r *run) createProfile() (bool, error) {
	text, err := starterFor(r.Scope)
	if err != nil {
		return false, err
	}
	path := r.ProfilePath
	// The user's profile may name secret files next to it, so its
	// directory is private. The system unit's DynamicUser has no fixed UID,
	// so its profile must be world-readable; it holds no secrets because
	// crampd refuses inline ones.
	mode, dirMode := fs.FileMode(0o600), fs.FileMode(0o700)
	if r.Scope == System {
		mode, dirMode = 0o644, 0o755
	}
	if _, err := os.Lstat(path); err == nil {
		r.say("Kept your profile %s.", path)
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("look for a profile: %w", err)
	}
	if r.DryRun {
		r.say("Would write the starter profile %s (mode %04o, %d lines; %s).",
			path, mode, strings.Count(text, "\n"), starterOrigin(r.Scope))
		return true, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return false, fmt.Errorf("create profile directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if errors.Is(err, fs.ErrExist) {
		r.say("Kept your profile %s.", path)
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create profile: %w", err)
	}
	_, err = io.WriteString(f, text)
	if err == nil {
		// The umask may have narrowed the mode; the system profile must
		// stay readable by the dynamic user.
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return false, fmt.Errorf("write profile: %w", err)
	}
	r.say("Wrote the starter profile %s.", path)
	return true, nil
}

// wantsLink is where `systemctl enable` links the unit, from its
// WantedBy=.
func (r *run) wantsLink() string {
	target := "default.target"
	if r.Scope == System {
		target = "multi-user.target"
	}
	return filepath.Join(r.UnitDir, target+".wants", UnitName)
}

// Uninstall stops and disables the service and removes the unit file. The
// profile and the reminder history stay: they are the user's data, and a
// reinstall picks them up again.
func Uninstall(ctx context.Context, o Options) error {
	r, err := newRun(o)
	if err != nil {
		return err
	}
	defer r.say("Kept your profile %s and your reminder history in %s; delete them yourself if you no longer want them.",
		r.ProfilePath, r.StateDir)
	path := r.unitPath()
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		r.say("No crampd unit at %s: nothing to uninstall.", path)
		return nil
	} else if err != nil {
		return fmt.Errorf("look for the unit: %w", err)
	}
	usable, why := r.reachable(ctx)
	if usable {
		if err := r.systemctl(ctx, "disable", "--now", UnitName); err != nil {
			return err
		}
	} else {
		// Without a manager nobody runs `disable`, so drop the link it
		// would have removed; a dangling one makes systemd log an error
		// at every start.
		if err := r.remove(r.wantsLink(), true); err != nil {
			return err
		}
	}
	if err := r.remove(path, false); err != nil {
		return err
	}
	// A manager that is not reachable now may still run crampd (say,
	// install ran inside a session, uninstall over ssh), so hand over the
	// stop along with the reload.
	if usable {
		return r.handOff(ctx, true, "", []string{"daemon-reload"})
	}
	return r.handOff(ctx, false, why, []string{"stop", UnitName}, []string{"daemon-reload"})
}

// remove deletes path. With onlyLink it removes path only when it is a
// symlink to a crampd unit, so a file someone else put there survives.
func (r *run) remove(path string, onlyLink bool) error {
	if onlyLink {
		target, err := os.Readlink(path)
		if err != nil || filepath.Base(target) != UnitName {
			return nil
		}
	}
	if r.DryRun {
		r.say("Would remove %s.", path)
		return nil
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	r.say("Removed %s.", path)
	return nil
}
