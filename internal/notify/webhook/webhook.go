// Package webhook delivers reminders as signed JSON POSTs following the
// Standard Webhooks specification (https://www.standardwebhooks.com), so a
// receiver can verify them with any of that specification's libraries
// instead of code written for crampd.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/payload"
	"github.com/crampd/crampd/internal/redact"
)

// secretPrefix marks a secret in the Standard Webhooks format, whose key is
// the base64 text after it.
const secretPrefix = "whsec_"

// Config configures a webhook Notifier.
type Config struct {
	// URL is the receiver's endpoint. It may carry a token in its query or
	// userinfo; crampd never logs those parts.
	URL string
	// SecretURL marks the whole URL as a secret (a chat service's webhook
	// URL with the token in its path): no part of its path is logged
	// either.
	SecretURL bool
	// Secret is the HMAC key. Nil sends unsigned requests, which only makes
	// sense for a receiver on a trusted network.
	Secret []byte
	// Clock stamps and signs each attempt.
	Clock clockwork.Clock
	// Client, when set, supplies the transport (proxies, TLS settings). It
	// is copied; redirects stay disabled whatever it says.
	Client *http.Client
}

// Notifier POSTs reminders to one endpoint. It is safe for concurrent use.
type Notifier struct {
	url    *url.URL
	secret []byte
	clock  clockwork.Clock
	client *http.Client
}

// New checks cfg and returns a Notifier for it.
func New(cfg Config) (*Notifier, error) {
	u, err := httpx.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	if cfg.Clock == nil {
		return nil, errors.New("webhook: no clock")
	}
	redact.AddURL(u, cfg.SecretURL)
	redact.Add(string(cfg.Secret))
	return &Notifier{
		url:    u,
		secret: bytes.Clone(cfg.Secret),
		clock:  cfg.Clock,
		client: httpx.NewClient(cfg.Client),
	}, nil
}

// Notify makes one delivery attempt. The webhook-id header is m.ID on every
// attempt so the receiver can drop duplicates; the timestamp and signature
// are fresh, because receivers reject old timestamps to stop replays.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	// The id travels in a header; a value net/http refuses would fail the
	// same way on every retry.
	if m.ID == "" || strings.ContainsFunc(m.ID, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return notify.Permanent(errors.New("webhook: message id must be non-empty printable ASCII"))
	}
	now := n.clock.Now()
	body, err := json.Marshal(payload.New(m, now))
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook: encode payload: %w", err))
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url.String(), bytes.NewReader(body))
	if err != nil {
		return notify.Permanent(fmt.Errorf("webhook: %w", httpx.RedactError(err, n.url)))
	}
	ts := now.Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", httpx.UserAgent)
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	if n.secret != nil {
		req.Header.Set("webhook-signature", Sign(n.secret, m.ID, ts, body))
	}

	if err := httpx.Send(ctx, n.client, n.clock, req); err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	return nil
}

// Close drops the notifier's idle keep-alive connections. A reload replaces
// the notifier, and without Close each one left behind would hold its
// connection to the receiver open. A closed Notifier still works: a later
// Notify dials again.
func (n *Notifier) Close() error {
	n.client.CloseIdleConnections()
	return nil
}

// Sign returns the webhook-signature header value for a message: version
// "v1", then the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under
// secret, as the Standard Webhooks specification defines it.
func Sign(secret []byte, id string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(strconv.FormatInt(timestamp, 10)))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// ParseSecret decodes a configured secret. A value starting with "whsec_"
// is a Standard Webhooks secret and must be valid base64 after the prefix;
// any other value is used as raw bytes, for receivers that share a plain
// passphrase, and the empty string means unsigned (nil). Configuration
// loading should call it so that a mistyped whsec_ secret is reported
// instead of silently changing the key.
func ParseSecret(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	enc, ok := strings.CutPrefix(s, secretPrefix)
	if !ok {
		return []byte(s), nil
	}
	// Some dashboards show the key without its "=" padding.
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(enc)
	}
	if err != nil {
		// The decoder's message quotes an offset, never the secret.
		return nil, fmt.Errorf("webhook secret after %q is not valid base64: %w", secretPrefix, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("webhook secret after %q is empty", secretPrefix)
	}
	return key, nil
}

// DecodeSecret is ParseSecret for values already validated. If s is not
// valid after all, it falls back to the raw bytes of s: signatures then fail
// to verify and the receiver rejects the deliveries, which is safer than
// sending them unsigned.
func DecodeSecret(s string) []byte {
	key, err := ParseSecret(s)
	if err != nil {
		return []byte(s)
	}
	return key
}
