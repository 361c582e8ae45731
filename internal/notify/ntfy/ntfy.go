// Package ntfy delivers reminders to an ntfy topic (https://ntfy.sh or a
// self-hosted server), which pushes them to the user's phone.
package ntfy

import (
	"context"
	"encoding/json"
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
	"github.com/crampd/crampd/internal/notify/reply"
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
	// Click, when set, is the page the phone opens when the notification
	// is tapped.
	Click string
	// Replies, when set, gives each reminder the buttons of its kind
	// (notify.Buttons), which publish signed answers to the reply topic.
	Replies *Replies
	// Key signs the answers; it must be set with Replies.
	Key reply.Key
	// Channel names the channel, for the reply subscription.
	Channel string
}

// Replies is where a channel's buttons send their answers: a topic on the
// same server.
type Replies struct {
	// URL is the reply topic's URL.
	URL string
	// Token is what crampd reads the reply topic with (optional).
	Token string
	// ButtonToken is what the buttons publish with (optional). Everyone
	// who can read the reminder topic sees it, so it must be a write-only
	// token for the reply topic.
	ButtonToken string
}

// Notifier publishes reminders to one topic. It is safe for concurrent use.
type Notifier struct {
	url       *url.URL
	secretURL bool
	token     string
	clock     clockwork.Clock
	client    *http.Client
	click     string
	replies   *Replies
	key       reply.Key
	channel   string
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
	n := &Notifier{
		url:       u,
		secretURL: cfg.SecretURL,
		token:     cfg.Token,
		clock:     cfg.Clock,
		client:    httpx.NewClient(cfg.Client),
		click:     cfg.Click,
		channel:   cfg.Channel,
	}
	if r := cfg.Replies; r != nil {
		if _, err := httpx.ParseURL(r.URL); err != nil {
			return nil, fmt.Errorf("ntfy: reply topic: %w", err)
		}
		if err := errors.Join(checkToken(r.Token), checkToken(r.ButtonToken)); err != nil {
			return nil, fmt.Errorf("ntfy: reply tokens: %w", err)
		}
		if cfg.Key.IsZero() {
			return nil, errors.New("ntfy: the buttons need a reply key")
		}
		redact.Add(r.Token, r.ButtonToken)
		copied := *r
		n.replies, n.key = &copied, cfg.Key
	}
	redact.AddURL(u, cfg.SecretURL)
	redact.Add(cfg.Token)
	return n, nil
}

// Replies returns where the notifier's buttons send their answers, and
// false when it shows none.
func (n *Notifier) Replies() (reply.Subscription, bool) {
	if n.replies == nil {
		return reply.Subscription{}, false
	}
	return reply.Subscription{Channel: n.channel, URL: n.replies.URL, SecretURL: n.secretURL, Token: n.replies.Token}, true
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
	if notify.HasEmphasis(text) {
		req.Header.Set("Markdown", "yes")
	}
	if n.click != "" {
		req.Header.Set("Click", n.click)
	}
	if n.replies != nil {
		actions, err := n.actions(m)
		if err != nil {
			return notify.Permanent(fmt.Errorf("ntfy: %w", err))
		}
		req.Header.Set("Actions", actions)
	}

	if err := httpx.Send(ctx, n.client, n.clock, req); err != nil {
		return fmt.Errorf("ntfy: %w", err)
	}
	return nil
}

// action is one of ntfy's "http" action buttons: what the phone sends,
// exactly, when it is pressed.
type action struct {
	Action  string            `json:"action"`
	Label   string            `json:"label"`
	URL     string            `json:"url"`
	Method  string            `json:"method"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    string            `json:"body"`
	Clear   bool              `json:"clear"`
}

// actions returns the Actions header for m: one http button per answer its
// kind offers, each posting a signed reply to the reply topic. The phone
// only ever talks to the ntfy server.
func (n *Notifier) actions(m notify.Message) (string, error) {
	buttons := notify.Buttons(m.Occurrence.Kind)
	if len(buttons) > notify.MaxButtons {
		buttons = buttons[:notify.MaxButtons]
	}
	var out []action
	for _, b := range buttons {
		body, err := n.key.Sign(reply.Press{OccurrenceID: m.Occurrence.ID, Action: b.Action, Nonce: m.ID})
		if err != nil {
			return "", err
		}
		a := action{Action: "http", Label: b.Label, URL: n.replies.URL, Method: http.MethodPost, Body: body, Clear: b.Clear}
		if n.replies.ButtonToken != "" {
			a.Headers = map[string]string{"Authorization": "Bearer " + n.replies.ButtonToken}
		}
		out = append(out, a)
	}
	// The JSON form, not ntfy's short one, so that no label or body can
	// be misread as another field.
	b, err := json.Marshal(out)
	return string(b), err
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
