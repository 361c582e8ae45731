package desktop

import (
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/registry"
)

// The desktop is the default channel: most people run crampd in their own
// graphical session.
func init() {
	registry.Register(registry.Type{Name: "desktop", Order: 20, Default: true, Decode: decode})
}

// config is a desktop channel's configuration: it has no keys of its own.
type config struct{}

func decode(registry.Table) registry.Config { return config{} }

func (c config) Load(func(string) string) (registry.Loaded, error) { return c, nil }

// Build keeps the running notifier across a reload, so that the buttons on
// notifications it has already shown keep working.
func (config) Build(deps registry.Deps) (notify.Notifier, error) {
	if n, ok := deps.Previous.(*Notifier); ok {
		return n, nil
	}
	return NewWithOptions(Options{Logger: deps.Logger.With("channel", deps.Name), OnAction: deps.OnAction, Clock: deps.Clock}), nil
}
