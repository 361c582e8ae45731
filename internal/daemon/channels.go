package daemon

import (
	"io"
	"log/slog"
	"slices"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	_ "github.com/crampd/crampd/internal/notify/channels" // every channel type
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/profile"
)

// channelDeps is what building channels needs from the outside.
type channelDeps struct {
	clock  clockwork.Clock
	log    *slog.Logger
	stdout io.Writer
	getenv func(string) string
	// onAction receives desktop button presses.
	onAction func(id string, a desktop.Action)
	// previous holds the running notifiers; a channel type may keep its
	// own (the desktop does, so that buttons on notifications already
	// shown keep working).
	previous map[string]notify.Notifier
	// replyKey signs the replies of ntfy's buttons.
	replyKey func() (reply.Key, error)
}

// buildChannels builds a notifier per channel in use (the default channel
// when the profile names none), reading secrets, through the channel
// registry. It fails as a whole, so a reload with a broken channel keeps the
// old ones.
func buildChannels(p *profile.Profile, deps channelDeps) (map[string]notify.Notifier, []profile.Channel, error) {
	chs := p.ChannelsInUse()
	out := make(map[string]notify.Notifier, len(chs))
	for _, c := range chs {
		n, err := registry.Build(c.Config, registry.Deps{
			Name: c.Name, Clock: deps.clock, Logger: deps.log, Stdout: deps.stdout, Getenv: deps.getenv,
			OnAction: deps.onAction, Previous: deps.previous[c.Name], ReplyKey: deps.replyKey,
		})
		if err != nil {
			closeUnused(out, deps.previous)
			return nil, nil, err
		}
		out[c.Name] = n
	}
	return out, chs, nil
}

// subscriptions lists the reply topics the channels' buttons answer
// through, in a fixed order.
func subscriptions(notifiers map[string]notify.Notifier) []reply.Subscription {
	var out []reply.Subscription
	for _, n := range notifiers {
		if src, ok := n.(reply.Source); ok {
			if sub, ok := src.Replies(); ok {
				out = append(out, sub)
			}
		}
	}
	slices.SortFunc(out, func(a, b reply.Subscription) int { return strings.Compare(a.Channel, b.Channel) })
	return out
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
