package daemon

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
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

// routes maps each kind to the channels that take it.
func routes(chs []profile.Channel) map[domain.Kind][]string {
	out := map[domain.Kind][]string{}
	for _, k := range domain.Kinds() {
		for _, c := range chs {
			if c.Takes(k) {
				out[k] = append(out[k], c.Name)
			}
		}
	}
	return out
}

// expiry is how long after its instant a reminder is still worth
// delivering; retries stop there.
var expiry = map[domain.Kind]time.Duration{
	domain.KindHydration:        2 * time.Hour,
	domain.KindStretch:          3 * time.Hour,
	domain.KindFood:             2 * time.Hour,
	domain.KindElectrolytes:     2 * time.Hour,
	domain.KindMedication:       12 * time.Hour,
	domain.KindMedicationReview: 7 * 24 * time.Hour,
	domain.KindCustom:           6 * time.Hour,
	domain.KindDoctor:           7 * 24 * time.Hour,
}

// expiresAt returns when retrying a delivery of o stops: never before its
// grace window ends.
func expiresAt(o domain.Occurrence, grace time.Duration, now time.Time) time.Time {
	e := o.At.Add(max(expiry[o.Kind], grace))
	if floor := now.Add(time.Minute); e.Before(floor) {
		// Fired at the edge of its window: still give it a minute.
		e = floor
	}
	return e
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
