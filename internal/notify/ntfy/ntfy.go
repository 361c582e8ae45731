// Package ntfy delivers reminders to an ntfy topic (https://ntfy.sh or a
// self-hosted server), which pushes them to the user's phone.
package ntfy

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/redact"
)

// MaxBody is the longest message body, in bytes, that an ntfy server
// delivers as text. A server's message-size-limit is 4,096 bytes unless
// configured otherwise, and a body that reaches it becomes a file
// attachment, or is refused with "attachments not allowed" (a 400, which
// would make the delivery fail for good).
const MaxBody = 4095

// Config configures an ntfy Notifier.
type Config struct {
	// URL is the topic URL, for example https://ntfy.sh/my-cramp-topic. On a
	// public server the topic name works like a password.
	URL string
	// SecretURL marks the whole URL as a secret, as a topic on a public
	// server is: no part of its path is logged.
	SecretURL bool
	// Token is an optional access token, sent as a Bearer credential.
	Token string
	// Clock reads Retry-After dates.
	Clock clockwork.Clock
	// Client, when set, supplies the transport. It is copied; redirects stay
	// disabled whatever it says.
	Client *http.Client
}

// Notifier publishes reminders to one topic. It is safe for concurrent use.
type Notifier struct {
	url    *url.URL
	token  string
	clock  clockwork.Clock
	client *http.Client
}

// New checks cfg and returns a Notifier for it.
func New(cfg Config) (*Notifier, error) {
	u, err := httpx.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("ntfy: %w", err)
	}
	if cfg.Clock == nil {
		return nil, errors.New("ntfy: no clock")
	}
	if err := checkToken(cfg.Token); err != nil {
		return nil, fmt.Errorf("ntfy: %w", err)
	}
	redact.AddURL(u, cfg.SecretURL)
	redact.Add(cfg.Token)
	return &Notifier{
		url:    u,
		token:  cfg.Token,
		clock:  cfg.Clock,
		client: httpx.NewClient(cfg.Client),
	}, nil
}

// checkToken refuses a token the Authorization header cannot carry: net/http
// would refuse the header on every attempt, and its error would turn into
// endless retries. The profile's check and New both use it.
func checkToken(token string) error {
	if strings.ContainsFunc(token, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return errors.New("token must be printable ASCII without spaces or line breaks")
	}
	return nil
}

// Close drops the notifier's idle keep-alive connections, so that a
// notifier a reload replaced holds none open. A closed Notifier still works:
// a later Notify dials again.
func (n *Notifier) Close() error {
	n.client.CloseIdleConnections()
	return nil
}

// style is how a kind looks on the phone.
type style struct {
	// tag is an ntfy emoji short code (https://docs.ntfy.sh/emojis/).
	tag string
	// priority is an ntfy priority name. Missing a dose or an appointment
	// matters more than a missed glass of water, so those break through
	// quiet notification settings on the phone.
	priority string
}

var styles = map[domain.Kind]style{
	domain.KindHydration:        {tag: "droplet", priority: "default"},
	domain.KindStretch:          {tag: "leg", priority: "default"},
	domain.KindFood:             {tag: "banana", priority: "default"},
	domain.KindElectrolytes:     {tag: "salt", priority: "default"},
	domain.KindMedication:       {tag: "pill", priority: "high"},
	domain.KindMedicationReview: {tag: "clipboard", priority: "default"},
	domain.KindCustom:           {tag: "bell", priority: "default"},
	domain.KindDoctor:           {tag: "stethoscope", priority: "high"},
	domain.KindCheckin:          {tag: "crescent_moon", priority: "default"},
}

func styleOf(k domain.Kind) style {
	if s, ok := styles[k]; ok {
		return s
	}
	return style{tag: "bell", priority: "default"}
}

// Notify makes one publish attempt. ntfy has no idempotency key, so a retry
// after a lost response can show the reminder twice; that is preferred to
// losing it.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	o := m.Occurrence
	text := o.Body
	if o.Why != "" {
		text += "\n\n" + o.Why
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url.String(), strings.NewReader(fit(text)))
	if err != nil {
		return notify.Permanent(fmt.Errorf("ntfy: %w", httpx.RedactError(err, n.url)))
	}
	s := styleOf(o.Kind)
	req.Header.Set("Content-Type", "text/plain; charset=utf-8")
	req.Header.Set("User-Agent", httpx.UserAgent)
	// ntfy decodes RFC 2047 encoded words, which keeps non-ASCII titles
	// ("Magnésium") and stray newlines from breaking the header.
	req.Header.Set("Title", mime.BEncoding.Encode("utf-8", o.Title))
	req.Header.Set("Tags", s.tag+","+string(o.Kind))
	req.Header.Set("Priority", s.priority)
	if n.token != "" {
		req.Header.Set("Authorization", "Bearer "+n.token)
	}

	if err := httpx.Send(ctx, n.client, n.clock, req); err != nil {
		return fmt.Errorf("ntfy: %w", err)
	}
	return nil
}

// ellipsis ends a shortened body.
const ellipsis = "…"

// fit shortens text to at most MaxBody bytes, so that the phone shows it as
// a notification rather than a file to download. It cuts at a character
// boundary, since a server also turns a body that is not valid UTF-8 into
// an attachment, and ends with an ellipsis to show that text is missing.
// The title travels in its own header and is never cut.
func fit(text string) string {
	text = strings.ToValidUTF8(text, "\uFFFD")
	if len(text) <= MaxBody {
		return text
	}
	cut := MaxBody - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return strings.TrimRightFunc(text[:cut], unicode.IsSpace) + ellipsis
}
