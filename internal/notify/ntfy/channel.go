package ntfy

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"regexp"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/registry"
)

func init() {
	registry.Register(registry.Type{Name: "ntfy", Order: 40, Decode: decode})
}

// config is an ntfy channel's configuration: the topic URL (url, or
// url_file/url_env/url_credential, since on a public server the topic name
// works like a password), an optional access token (secret_file,
// secret_env or credential), an optional click URL, and an optional
// [channel.replies] table that turns on the buttons.
type config struct {
	endpoint httpx.Endpoint
	token    registry.Secret
	click    string
	replies  *repliesConfig
}

// repliesConfig is a [channel.replies] table: the topic on the same server
// the buttons publish to, the token crampd reads it with, and the token the
// buttons carry.
type repliesConfig struct {
	topic    string
	topicKey string
	read     registry.Secret
	button   registry.Secret
}

// ButtonKeys name the token a channel's buttons carry to publish their
// replies: everyone who can read the reminder topic sees it.
var ButtonKeys = registry.SecretKeys{File: "button_secret_file", Env: "button_secret_env", Credential: "button_credential"}

// topicRE is ntfy's rule for topic names.
var topicRE = regexp.MustCompile(`^[-_A-Za-z0-9]{1,64}$`)

func decode(t registry.Table) registry.Config {
	c := &config{endpoint: httpx.DecodeEndpoint(t, "ntfy"), token: registry.DecodeSecret(t, registry.SignKeys)}
	if v, ok := t.String("click"); ok {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
			t.Errorf("click", "want an http:// or https:// URL without a user name or password")
		} else {
			c.click = v
		}
	}
	if rt, ok := t.Table("replies"); ok {
		r := &repliesConfig{topicKey: rt.Path("topic")}
		if v, ok := rt.Required("topic", "reply topic (topic = \"crampd-replies\")"); ok {
			if !topicRE.MatchString(v) {
				rt.Errorf("topic", "%q is not an ntfy topic name: use 1 to 64 letters, digits, '-' and '_'", v)
			}
			r.topic = v
		}
		r.read = registry.DecodeSecret(rt, registry.SignKeys)
		r.button = registry.DecodeSecret(rt, ButtonKeys)
		c.replies = r
	}
	return c
}

// Load reads the topic URL and the tokens, and checks the tokens as the
// Authorization header will carry them, and the reply topic against the
// reminder topic.
func (c *config) Load(getenv func(string) string) (registry.Loaded, error) {
	u, secretURL, uerr := c.endpoint.Load(getenv)
	tok, terr := c.token.ReadOptional(getenv, checkTokenBytes)
	if err := errors.Join(uerr, terr); err != nil {
		return nil, err
	}
	cfg := Config{URL: u.String(), SecretURL: secretURL, Token: string(tok), Click: c.click}
	if c.replies != nil {
		r, err := c.replies.load(u, string(tok), getenv)
		if err != nil {
			return nil, err
		}
		cfg.Replies = r
	}
	return &loaded{cfg: cfg}, nil
}

func checkTokenBytes(b []byte) error { return checkToken(string(b)) }

// load reads the reply tokens and works out the reply topic's URL: the
// reminder topic's, with the last path segment replaced, and without its
// query or user info, which may hold the publishing token.
func (r *repliesConfig) load(reminders *url.URL, publish string, getenv func(string) string) (*Replies, error) {
	read, rerr := r.read.ReadOptional(getenv, checkTokenBytes)
	button, berr := r.button.ReadOptional(getenv, checkTokenBytes)
	if err := errors.Join(rerr, berr); err != nil {
		return nil, err
	}
	var errs []error
	if path.Base(reminders.Path) == r.topic {
		errs = append(errs, &registry.KeyError{Key: r.topicKey, Err: errors.New("the reply topic must differ from the reminder topic: the buttons would post their answers as reminders")})
	}
	if len(button) > 0 {
		for _, other := range []struct {
			tok  []byte
			what string
		}{{read, "the token crampd reads replies with"}, {[]byte(publish), "the channel's own token"}} {
			if string(button) == string(other.tok) {
				errs = append(errs, &registry.KeyError{Key: r.button.Key, Err: fmt.Errorf(
					"the button token must not be %s: everyone who can read your reminders sees it, so it must be a write-only token for the reply topic", other.what)})
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	u := &url.URL{Scheme: reminders.Scheme, Host: reminders.Host, Path: path.Join(path.Dir(reminders.Path), r.topic)}
	return &Replies{URL: u.String(), Token: string(read), ButtonToken: string(button)}, nil
}

type loaded struct{ cfg Config }

func (l *loaded) Build(deps registry.Deps) (notify.Notifier, error) {
	cfg := l.cfg
	cfg.Clock = deps.Clock
	cfg.Channel = deps.Name
	if cfg.Replies != nil {
		if deps.ReplyKey == nil {
			return nil, errors.New("ntfy: the buttons need a reply key, and there is none here")
		}
		k, err := deps.ReplyKey()
		if err != nil {
			return nil, fmt.Errorf("ntfy: %w", err)
		}
		cfg.Key = k
	}
	return New(cfg)
}
