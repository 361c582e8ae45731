package ntfy

import (
	"errors"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/registry"
)

func init() {
	registry.Register(registry.Type{Name: "ntfy", Order: 40, Decode: decode})
}

// config is an ntfy channel's configuration: the topic URL (url, or
// url_file/url_env/url_credential, since on a public server the topic name
// works like a password) and an optional access token (secret_file,
// secret_env or credential).
type config struct {
	endpoint httpx.Endpoint
	token    registry.Secret
}

func decode(t registry.Table) registry.Config {
	return &config{endpoint: httpx.DecodeEndpoint(t, "ntfy"), token: registry.DecodeSecret(t, registry.SignKeys)}
}

// Load reads the topic URL and the token, and checks the token as the
// Authorization header will carry it.
func (c *config) Load(getenv func(string) string) (registry.Loaded, error) {
	u, secretURL, uerr := c.endpoint.Load(getenv)
	tok, terr := c.token.ReadOptional(getenv, func(b []byte) error { return checkToken(string(b)) })
	if err := errors.Join(uerr, terr); err != nil {
		return nil, err
	}
	return &loaded{cfg: Config{URL: u.String(), SecretURL: secretURL, Token: string(tok)}}, nil
}

type loaded struct{ cfg Config }

func (l *loaded) Build(deps registry.Deps) (notify.Notifier, error) {
	cfg := l.cfg
	cfg.Clock = deps.Clock
	return New(cfg)
}
