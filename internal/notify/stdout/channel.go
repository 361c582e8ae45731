package stdout

import (
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/registry"
)

func init() {
	registry.Register(registry.Type{Name: "stdout", Order: 10, Decode: decode})
}

// config is a stdout channel's configuration: it has no keys of its own.
type config struct{}

func decode(registry.Table) registry.Config { return config{} }

func (c config) Load(func(string) string) (registry.Loaded, error) { return c, nil }

func (config) Build(deps registry.Deps) (notify.Notifier, error) {
	return New(deps.Stdout, deps.Clock), nil
}
