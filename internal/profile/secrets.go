package profile

import (
	"errors"

	"github.com/crampd/crampd/internal/notify/registry"
)

// CheckSecrets reads every channel's secrets and checks each the way its
// channel will use it (a webhook's whsec_ key must decode, an ntfy token
// must fit in a header), through the same function the daemon builds the
// channel with, and the web page's certificate and key the way the daemon
// loads them, so `crampd check` and `crampd run` accept exactly the same
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
	if p.Web != nil && p.Web.TLS() {
		if _, err := p.Web.Certificate(getenv); err != nil {
			var perr *Error
			if errors.As(err, &perr) {
				probs = append(probs, perr.Problems...)
			}
		}
	}
	if len(probs) == 0 {
		return nil
	}
	sortProblems(probs)
	return &Error{Problems: probs}
}
