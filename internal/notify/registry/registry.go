// Package registry is where channel types register themselves. Each type
// owns its configuration: the keys it reads from a profile's [[channel]]
// table, their defaults and validation, the secrets it needs and the kinds
// of reminder it can deliver, and how to build its notifier. The profile
// loader decodes every channel through the registry and the daemon builds
// every notifier with one call, so adding a channel type touches its own
// package and one import in internal/notify/channels.
//
// Channel packages register in init; internal/notify/channels imports them
// all, and every program that reads profiles imports that package.
package registry

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/reply"
)

// Type describes one channel type.
type Type struct {
	// Name is what a profile writes as the channel's type.
	Name string
	// Order places the type in lists shown to people, smallest first.
	Order int
	// Kinds lists the kinds of reminder the type can deliver; nil means
	// every kind.
	Kinds []domain.Kind
	// Default marks the type the daemon uses when a profile names no
	// channel. At most one type is the default.
	Default bool
	// Decode reads the channel's own keys from t, reporting every problem
	// through t, and returns the configuration. It must not read files or
	// the environment: secrets are read by Config.Load, which runs both in
	// `crampd check` and when the daemon builds the channel.
	Decode func(t Table) Config
}

// Config is one channel's configuration, as its type decoded it.
type Config interface {
	// Load reads every secret the configuration names, checks each the
	// way the channel will use it, and returns what Build needs. Check and
	// Build both go through it, so `crampd check` accepts exactly the
	// secrets the daemon accepts. A problem with one key is a *KeyError;
	// several are joined with errors.Join.
	Load(getenv func(string) string) (Loaded, error)
}

// Loaded is a configuration whose secrets have been read and checked.
type Loaded interface {
	// Build returns the channel's notifier.
	Build(deps Deps) (notify.Notifier, error)
}

// Deps is what building a notifier needs from the daemon.
type Deps struct {
	// Name is the channel's name, for logs.
	Name   string
	Clock  clockwork.Clock
	Logger *slog.Logger
	// Stdout is where the stdout channel writes.
	Stdout io.Writer
	// Getenv reads environment variables named by the profile and
	// $CREDENTIALS_DIRECTORY; usually os.Getenv.
	Getenv func(string) string
	// OnAction receives the user's answers to a reminder (the desktop
	// channel's buttons); nil offers none.
	OnAction func(occurrenceID string, a notify.Action)
	// Previous is the notifier the channel of this name had before a
	// reload, nil at start. A type may keep it rather than build a new one
	// (the desktop channel does, so that buttons on notifications already
	// shown keep working).
	Previous notify.Notifier
	// ReplyKey returns the installation's key for signing the replies a
	// channel's buttons send back through the channel itself (ntfy's);
	// nil when the daemon offers none.
	ReplyKey func() (reply.Key, error)
}

// KeyError is a problem with the value of one key of a channel's table. The
// profile places it at that key's line and column.
type KeyError struct {
	// Key is the key's path inside the channel's table ("secret_file",
	// "replies.token_file").
	Key string
	Err error
}

func (e *KeyError) Error() string { return e.Key + ": " + e.Err.Error() }
func (e *KeyError) Unwrap() error { return e.Err }

var (
	mu    sync.RWMutex
	types = map[string]Type{}
)

// Register adds a channel type. It panics on a type without a name or
// decoder, on a name registered twice and on a second default: those are
// programming errors that must fail the first test run.
func Register(t Type) {
	if t.Name == "" || t.Decode == nil {
		panic("registry: a channel type needs a name and a decoder")
	}
	mu.Lock()
	defer mu.Unlock()
	if _, dup := types[t.Name]; dup {
		panic(fmt.Sprintf("registry: channel type %q registered twice", t.Name))
	}
	if t.Default {
		for _, o := range types {
			if o.Default {
				panic(fmt.Sprintf("registry: channel types %q and %q both claim to be the default", o.Name, t.Name))
			}
		}
	}
	types[t.Name] = t
}

// Unregister removes a type. It exists for tests that register a type of
// their own.
func Unregister(name string) {
	mu.Lock()
	defer mu.Unlock()
	delete(types, name)
}

// Lookup returns the type registered under name.
func Lookup(name string) (Type, bool) {
	mu.RLock()
	defer mu.RUnlock()
	t, ok := types[name]
	return t, ok
}

// Types returns every registered type in display order.
func Types() []Type {
	mu.RLock()
	out := make([]Type, 0, len(types))
	for _, t := range types {
		out = append(out, t)
	}
	mu.RUnlock()
	slices.SortFunc(out, func(a, b Type) int { return cmp.Or(cmp.Compare(a.Order, b.Order), cmp.Compare(a.Name, b.Name)) })
	return out
}

// Names returns the registered type names in display order.
func Names() []string {
	ts := Types()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// DefaultType returns the type used when a profile names no channel.
func DefaultType() (Type, bool) {
	for _, t := range Types() {
		if t.Default {
			return t, true
		}
	}
	return Type{}, false
}

// Takes reports whether channels of type t can deliver reminders of kind k.
func (t Type) Takes(k domain.Kind) bool {
	return t.Kinds == nil || slices.Contains(t.Kinds, k)
}

// Check reads and checks cfg's secrets, as Build will, and discards them.
func Check(cfg Config, getenv func(string) string) error {
	_, err := cfg.Load(getenv)
	return err
}

// Build reads cfg's secrets and builds the channel's notifier: the one call
// the daemon makes per channel.
func Build(cfg Config, deps Deps) (notify.Notifier, error) {
	if cfg == nil {
		return nil, fmt.Errorf("channel %s: no configuration", deps.Name)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Getenv == nil {
		deps.Getenv = func(string) string { return "" }
	}
	loaded, err := cfg.Load(deps.Getenv)
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", deps.Name, err)
	}
	n, err := loaded.Build(deps)
	if err != nil {
		return nil, fmt.Errorf("channel %s: %w", deps.Name, err)
	}
	return n, nil
}

// KeyErrors splits err, as Load returns it, into its problems: each
// *KeyError, and everything else as one error with an empty key.
func KeyErrors(err error) []*KeyError {
	if err == nil {
		return nil
	}
	var out []*KeyError
	var walk func(error)
	walk = func(e error) {
		if joined, ok := e.(interface{ Unwrap() []error }); ok {
			for _, inner := range joined.Unwrap() {
				walk(inner)
			}
			return
		}
		var ke *KeyError
		if errors.As(e, &ke) {
			out = append(out, ke)
			return
		}
		out = append(out, &KeyError{Err: e})
	}
	walk(err)
	return out
}
