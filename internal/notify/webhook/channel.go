package webhook

import (
	"errors"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/registry"
)

func init() {
	registry.Register(registry.Type{Name: "webhook", Order: 30, Decode: decode})
}

// config is a webhook channel's configuration: the endpoint (url, or
// url_file/url_env/url_credential) and an optional signing secret
// (secret_file, secret_env or credential).
type config struct {
	endpoint httpx.Endpoint
	secret   registry.Secret
}

func decode(t registry.Table) registry.Config {
	return &config{endpoint: httpx.DecodeEndpoint(t, "webhook"), secret: registry.DecodeSecret(t, registry.SignKeys)}
}

// Load reads the URL and the signing secret and decodes the secret as
// signing will, so that a mistyped whsec_ key fails `crampd check` rather
// than the daemon.
func (c *config) Load(getenv func(string) string) (registry.Loaded, error) {
	u, secretURL, uerr := c.endpoint.Load(getenv)
	var key []byte
	_, serr := c.secret.ReadOptional(getenv, func(b []byte) (err error) {
		key, err = ParseSecret(string(b))
		return err
	})
	if err := errors.Join(uerr, serr); err != nil {
		return nil, err
	}
	return &loaded{cfg: Config{URL: u.String(), SecretURL: secretURL, Secret: key}}, nil
}

type loaded struct{ cfg Config }

func (l *loaded) Build(deps registry.Deps) (notify.Notifier, error) {
	if l.cfg.Secret == nil {
		deps.Logger.Warn("webhook channel has no signing secret; receivers cannot verify its deliveries", "channel", deps.Name)
	}
	cfg := l.cfg
	cfg.Clock = deps.Clock
	return New(cfg)
}
