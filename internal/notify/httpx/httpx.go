// Package httpx holds what crampd's HTTP channels (webhook, ntfy) share: one
// attempt with a bounded time and a bounded read, the decision of whether a
// response is worth another attempt, and the redaction of URLs, which often
// carry an access token, from everything that might be logged.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/redact"
)

// UserAgent identifies crampd to receivers.
const UserAgent = "crampd"

// AttemptTimeout bounds one attempt. A receiver that takes longer is treated
// like one that is down: the outbox tries again later instead of letting one
// slow endpoint hold a delivery worker.
const AttemptTimeout = 15 * time.Second

// MaxResponseBody is how much of a response crampd reads. Only an error
// snippet is ever needed, and a misbehaving receiver must not be able to make
// crampd download an unbounded body.
const MaxResponseBody = 4 << 10

// maxSnippet bounds the part of a response body quoted in an error, so that
// log lines stay readable.
const maxSnippet = 256

// redacted replaces every secret-bearing part of a URL.
const redacted = redact.Mask

// MaxIdlePerHost is how many idle connections a channel keeps to its
// receiver: the outbox's concurrency.
const MaxIdlePerHost = 16

// NewClient returns a client for channel traffic built on base, which may be
// nil. Redirects are never followed: a redirected POST would either be
// replayed to a host the user did not configure or silently turned into a
// GET, so a 3xx is reported to the user instead. base is copied, not changed.
func NewClient(base *http.Client) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	}
	if c.Transport == nil {
		// The outbox sends up to MaxIdlePerHost deliveries to one receiver
		// at once; the default keeps only two idle connections per host,
		// so a burst would dial a new connection for most of them.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = MaxIdlePerHost
		c.Transport = t
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}
	return &c
}

// Send makes one attempt with req and classifies the outcome for the outbox:
// nil on a 2xx, a notify.Permanent error when repeating the request cannot
// help, and a plain (retryable) error otherwise, carrying the receiver's
// Retry-After hint when it gave one. The attempt ends after AttemptTimeout or
// when ctx ends, whichever is first. Errors never contain the URL's query or
// userinfo, the request's credentials or any other secret the process knows,
// even when the receiver echoes them back.
func Send(ctx context.Context, client *http.Client, clock clockwork.Clock, req *http.Request) error {
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()

	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return &redactedError{err: err, msg: scrub(RedactError(err, req.URL).Error(), requestSecrets(req))}
	}
	// A body that breaks off only shortens the error snippet: the status
	// line alone decides whether the receiver accepted the reminder, and
	// retrying an accepted one would deliver it twice.
	body, _ := readCapped(resp.Body)
	return CheckResponse(resp, body, clock.Now())
}

// readCapped reads at most MaxResponseBody+1 bytes and closes body. Reading
// to EOF when the body is small lets the transport reuse the connection; a
// larger body is abandoned, which costs only that connection.
func readCapped(body io.ReadCloser) ([]byte, error) {
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, MaxResponseBody+1))
	return b, err
}

// StatusError reports a response crampd did not count as accepted.
type StatusError struct {
	// StatusCode is the HTTP status the receiver answered with.
	StatusCode int
	// Snippet is the start of the response body, cleaned up for a log line.
	Snippet string
}

// Error names the status and quotes the body snippet, never the URL.
func (e *StatusError) Error() string {
	status := fmt.Sprintf("%d %s", e.StatusCode, http.StatusText(e.StatusCode))
	status = strings.TrimSpace(status)
	var msg string
	if e.StatusCode >= 300 && e.StatusCode < 400 {
		// The Location is deliberately left out: it may carry a token too.
		msg = "receiver answered with redirect " + status + "; redirects are not followed, configure the final URL"
	} else {
		msg = "receiver answered " + status
	}
	if e.Snippet != "" {
		msg += ": " + e.Snippet
	}
	return msg
}

// CheckResponse classifies a response whose body (already capped) is body,
// reading Retry-After dates against now.
//
// 408, 429 and 5xx are retryable because they describe the receiver's state,
// not the request. Any other 4xx, and a 3xx, will get the same answer next
// time, so retrying only delays telling the user.
func CheckResponse(resp *http.Response, body []byte, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := &StatusError{StatusCode: code}
	if code < 300 || code >= 400 {
		// A redirect's body usually repeats its Location, which may carry
		// a token, so it is not quoted.
		err.Snippet = snippet(body, requestSecrets(resp.Request))
	}
	switch {
	case code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable:
		if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return notify.RetryAfter(err, d)
		}
		return err
	case code == http.StatusRequestTimeout || code >= 500:
		return err
	case code >= 300 && code < 500:
		return notify.Permanent(err)
	default:
		// Informational or non-standard codes: nothing says a retry is
		// pointless.
		return err
	}
}

// ParseRetryAfter reads a Retry-After value, either delta-seconds or an
// HTTP-date (RFC 9110 section 10.2.3), relative to now. It reports false when
// v is empty, malformed, or names a moment that has already passed.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		// Reject values that would overflow a Duration rather than wrap
		// them into a negative or tiny delay.
		if secs <= 0 || secs > int64(time.Duration(1<<63-1)/time.Second) {
			return 0, false
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d <= 0 {
		return 0, false
	}
	return d, true
}

// Snippet turns the start of a response body into text fit for one log line:
// every known secret scrubbed, valid UTF-8, no control characters, runs of
// space collapsed, and at most a few hundred characters.
func Snippet(body []byte) string { return snippet(body, &redact.Set{}) }

// snippet is Snippet with the secrets of one request (local) scrubbed too.
// It scrubs before it cuts: a secret cut in two could no longer be
// recognised. A body already cut at MaxResponseBody may end in the first
// part of a secret, which is masked as well.
func snippet(body []byte, local *redact.Set) string {
	s := string(body)
	if len(body) > MaxResponseBody {
		s = redact.Process().ScrubCut(local.ScrubCut(s))
	} else {
		s = scrub(s, local)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	// Collapsing space can join what a receiver split; scrub once more.
	s = scrub(strings.Join(strings.Fields(s), " "), local)
	if utf8.RuneCountInString(s) <= maxSnippet {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxSnippet]) + "…"
}

// Redact returns u as scheme://host/path with any userinfo removed and every
// query value replaced by REDACTED, keeping enough to recognise the endpoint
// in a log line without the token that URLs for ntfy, Slack-style hooks and
// the like carry in their query or userinfo.
func Redact(u *url.URL) string {
	if u == nil {
		return ""
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path, RawPath: u.RawPath}
	if u.Opaque != "" {
		r.Opaque = redacted
	}
	if u.RawQuery != "" {
		q, _ := url.ParseQuery(u.RawQuery)
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, 0, len(keys))
		for _, k := range keys {
			if allEmpty(q[k]) {
				// A bare "?abcdef" key may itself be the token.
				parts = append(parts, redacted)
				continue
			}
			parts = append(parts, url.QueryEscape(k)+"="+redacted)
		}
		r.RawQuery = strings.Join(parts, "&")
	}
	return r.String()
}

func allEmpty(vs []string) bool {
	for _, v := range vs {
		if v != "" {
			return false
		}
	}
	return true
}

// RedactError returns err with every secret-bearing part of u, and every
// secret the process knows, scrubbed from its message. The net/http client
// quotes the request URL in its errors (*url.Error), and those errors end up
// in logs and in the delivery store. The result still unwraps to err, so
// errors.Is and errors.As see through it.
func RedactError(err error, u *url.URL) error {
	if err == nil || u == nil {
		return err
	}
	local := &redact.Set{}
	local.AddURL(u, false)
	msg := err.Error()
	var ue *url.Error
	if errors.As(err, &ue) {
		// Rebuild the url.Error's message from a redacted URL rather than
		// relying only on string replacement of the quoted form.
		msg = fmt.Sprintf("%s %q: %s", ue.Op, Redact(u), ue.Err.Error())
	}
	return &redactedError{err: err, msg: scrub(msg, local)}
}

type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// requestSecrets returns the secrets req carries itself: its URL's userinfo
// and query values, and the credentials in its Authorization header (which
// a receiver may echo back in an error body).
func requestSecrets(req *http.Request) *redact.Set {
	local := &redact.Set{}
	if req == nil {
		return local
	}
	local.AddURL(req.URL, false)
	if auth := req.Header.Get("Authorization"); auth != "" {
		local.Add(auth)
		if _, cred, ok := strings.Cut(auth, " "); ok {
			local.Add(strings.TrimSpace(cred))
		}
	}
	return local
}

// scrub removes from s every secret in local and every secret the process
// has read (package redact).
func scrub(s string, local *redact.Set) string {
	return redact.Scrub(local.Scrub(s))
}

// ParseURL parses and checks a channel's endpoint URL. Its errors never quote
// the URL, since the configuration value may hold a token.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid url: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("invalid url: scheme must be http or https")
	}
	if u.Host == "" {
		return nil, errors.New("invalid url: missing host")
	}
	return u, nil
}
