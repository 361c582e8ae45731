package daemon

import (
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/notify/ntfy"
	"github.com/crampd/crampd/internal/notify/stdout"
	"github.com/crampd/crampd/internal/notify/webhook"
	"github.com/crampd/crampd/internal/profile"
)

// defaultChannel is used when a profile names no channel: crampd's users
// are mostly on a desktop.
var defaultChannel = profile.Channel{Type: profile.ChannelDesktop, Name: "desktop"}

// channelDeps is what building channels needs from the outside.
type channelDeps struct {
	clock  clockwork.Clock
	log    *slog.Logger
	stdout io.Writer
	getenv func(string) string
	// onAction receives desktop button presses.
	onAction func(id string, a desktop.Action)
	// previous holds the running notifiers; a reload keeps the desktop one,
	// so that buttons on notifications already shown keep working.
	previous map[string]notify.Notifier
}

// buildChannels builds a notifier per configured channel, reading secrets.
// It fails as a whole, so a reload with a broken channel keeps the old ones.
func buildChannels(p *profile.Profile, deps channelDeps) (map[string]notify.Notifier, []profile.Channel, error) {
	chs := p.Channels
	if len(chs) == 0 {
		chs = []profile.Channel{defaultChannel}
	}
	out := make(map[string]notify.Notifier, len(chs))
	for _, c := range chs {
		n, err := buildChannel(c, deps)
		if err != nil {
			return nil, nil, err
		}
		out[c.Name] = n
	}
	return out, chs, nil
}

func buildChannel(c profile.Channel, deps channelDeps) (notify.Notifier, error) {
	secret, err := c.Secret(deps.getenv)
	if err != nil && !errors.Is(err, profile.ErrNoSecret) {
		return nil, err
	}
	switch c.Type {
	case profile.ChannelStdout:
		return stdout.New(deps.stdout, deps.clock), nil
	case profile.ChannelDesktop:
		if n, ok := deps.previous[c.Name].(*desktop.Notifier); ok {
			return n, nil
		}
		return desktop.NewWithOptions(desktop.Options{
			Logger: deps.log.With("channel", c.Name), OnAction: deps.onAction, Clock: deps.clock,
		}), nil
	case profile.ChannelWebhook:
		var key []byte
		if secret != nil {
			if key, err = webhook.ParseSecret(string(secret)); err != nil {
				return nil, fmt.Errorf("channel %s: %w", c.Name, err)
			}
		} else {
			deps.log.Warn("webhook channel has no signing secret; receivers cannot verify its deliveries", "channel", c.Name)
		}
		n, err := webhook.New(webhook.Config{URL: c.URL, Secret: key, Clock: deps.clock})
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		return n, nil
	case profile.ChannelNtfy:
		n, err := ntfy.New(ntfy.Config{URL: c.URL, Token: string(secret), Clock: deps.clock})
		if err != nil {
			return nil, fmt.Errorf("channel %s: %w", c.Name, err)
		}
		return n, nil
	}
	return nil, fmt.Errorf("channel %s: unknown type %q", c.Name, c.Type)
}

// closeUnused closes the notifiers of old that next does not reuse.
func closeUnused(old, next map[string]notify.Notifier) {
	for name, n := range old {
		if next[name] == n {
			continue
		}
		if c, ok := n.(interface{ Close() error }); ok {
			c.Close()
		}
	}
}
