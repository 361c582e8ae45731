package daemon

import (
	"io"
	"log/slog"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	_ "github.com/crampd/crampd/internal/notify/channels" // every channel type
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/notify/registry"
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
			OnAction: deps.onAction, Previous: deps.previous[c.Name],
		})
		if err != nil {
			closeUnused(out, deps.previous)
			return nil, nil, err
		}
		out[c.Name] = n
	}
	return out, chs, nil
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
