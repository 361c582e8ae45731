package profile

import (
	"github.com/crampd/crampd/internal/notify/registry"
)

// CheckSecrets reads every channel's secrets and checks each the way its
// channel will use it (a webhook's whsec_ key must decode, an ntfy token
// must fit in a header), through the same function the daemon builds the
// channel with, so `crampd check` and `crampd run` accept exactly the same
// secrets. Problems are placed at the key that names the secret. The
// secrets themselves are discarded.
func (p *Profile) CheckSecrets(getenv func(string) string) error {
	var probs []Problem
	for _, c := range p.Channels {
		if c.Config == nil {
			continue
		}
		for _, ke := range registry.KeyErrors(registry.Check(c.Config, getenv)) {
			prob, ok := c.keys[ke.Key]
			if !ok {
				prob = c.at
			}
			prob.Msg = ke.Err.Error()
			probs = append(probs, prob)
		}
	}
	if len(probs) == 0 {
		return nil
	}
	sortProblems(probs)
	return &Error{Problems: probs}
}
