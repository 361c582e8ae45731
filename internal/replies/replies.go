// Package replies is the way in for answers from a phone. A reminder sent
// through ntfy carries buttons that publish a signed answer to a reply
// topic on the same server (see package reply); this package keeps a
// subscription to that topic open (ntfy's JSON stream, GET /TOPIC/json),
// checks each answer's MAC, and hands it to the use cases as an
// app.Action. Nothing on the user's machine listens on a port.
//
// Each press has its effect once. The action's nonce is recorded with its
// effect, and so is the subscription's cursor, the id of the last message
// handled: after a reconnect, a restart of the server or of crampd, the
// subscription resumes from there (since=). On its very first start it
// takes the server's time from the stream's first event as its cursor, so
// it never replays what the topic held before.
package replies

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/notify/httpx"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/redact"
)

// Reconnection backoff: the first retry after a second, doubling up to five
// minutes, back to a second once a connection is open.
const (
	MinBackoff = time.Second
	MaxBackoff = 5 * time.Minute
)

// IdleTimeout is how long a subscription may stay silent before it is
// taken for dead and reopened. ntfy sends a keepalive every 45 seconds
// unless configured otherwise, so a connection that a router dropped
// without a word is noticed within minutes.
const IdleTimeout = 3 * time.Minute

// forgedLogEvery bounds how often replies without a valid MAC are logged:
// anyone who can write to the reply topic can send many.
const forgedLogEvery = time.Minute

// maxLine is the longest stream line read; a real message is a few KiB.
const maxLine = 64 << 10

// Service is what a subscription needs from the use cases.
type Service interface {
	Handle(ctx context.Context, a app.Action) (app.ActionResult, error)
	Cursor(ctx context.Context, key string) (string, error)
	MoveCursor(ctx context.Context, c app.Cursor) error
}

// Config configures a Subscriber.
type Config struct {
	Subscription reply.Subscription
	// Key checks the replies' MACs.
	Key     reply.Key
	Service Service
	Clock   clockwork.Clock
	Logger  *slog.Logger
	// Client, when set, supplies the transport; redirects stay off.
	Client *http.Client
}

// Subscriber keeps one subscription to a reply topic. It is a daemon
// component: Start begins it, Stop ends it and waits for its goroutine.
type Subscriber struct {
	sub    reply.Subscription
	key    reply.Key
	svc    Service
	clock  clockwork.Clock
	log    *slog.Logger
	client *http.Client
	// cursor names the subscription's place in the state database: one
	// per channel, since the URL may be a secret that must not be stored.
	cursor string

	mu     sync.Mutex
	status app.ReplyStatus
	cancel context.CancelFunc
	done   chan struct{}

	// forged counts replies refused since the last log line about them.
	forged       int
	forgedLogged time.Time
}

// New returns a Subscriber for cfg.
func New(cfg Config) *Subscriber {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := cfg.Client
	if client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// The stream never ends on its own, so the client has no overall
		// timeout; a server that accepts and never answers is given up
		// on here, and a silent stream by IdleTimeout.
		t.ResponseHeaderTimeout = 30 * time.Second
		client = &http.Client{Transport: t}
	}
	return &Subscriber{
		sub: cfg.Subscription, key: cfg.Key, svc: cfg.Service, clock: cfg.Clock,
		log:    log.With("channel", cfg.Subscription.Channel),
		client: httpx.NewClient(client),
		cursor: app.CursorPrefix + "ntfy-replies/" + cfg.Subscription.Channel,
		status: app.ReplyStatus{Channel: cfg.Subscription.Channel, State: app.ReplyConnecting, Since: cfg.Clock.Now()},
	}
}

// Start opens the subscription on a goroutine of its own.
func (s *Subscriber) Start(context.Context) error {
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.cancel, s.done = cancel, make(chan struct{})
	s.status.State, s.status.Since = app.ReplyConnecting, s.clock.Now()
	s.mu.Unlock()
	go s.run(ctx)
	return nil
}

// Stop closes the subscription and waits for its goroutine until ctx
// ends. A reply being handled finishes first, or rolls back whole.
func (s *Subscriber) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("reply subscription of channel %s: %w", s.sub.Channel, ctx.Err())
	}
}

// Status reports the subscription's state.
func (s *Subscriber) Status() app.ReplyStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status
}

func (s *Subscriber) setStatus(state, errText, fix string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.status.State != state || s.status.Error != errText {
		s.status.State, s.status.Since, s.status.Error, s.status.Fix = state, s.clock.Now(), errText, fix
	}
}

// finished records that the reply stream's message id has been dealt
// with, every effect of it included.
func (s *Subscriber) finished(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status.LastReply, s.status.LastReplyAt = id, s.clock.Now()
}

// run keeps the subscription open until ctx ends, reconnecting with
// backoff.
func (s *Subscriber) run(ctx context.Context) {
	defer close(s.done)
	backoff := MinBackoff
	for {
		opened, err := s.stream(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, errSilent) {
			// A connection that went quiet is most likely dead (a
			// router forgot it, the machine slept): open another at
			// once; the backoff is for a server that fails.
			s.log.Info("reply subscription silent; reopening it", "silent_for", IdleTimeout.String())
			s.setStatus(app.ReplyReconnecting, err.Error(), "")
			backoff = MinBackoff
			continue
		}
		if opened {
			backoff = MinBackoff
		}
		// The wait is armed before the state says so, so that whoever
		// reads "reconnecting" may move a clock past it.
		wait := s.clock.After(backoff)
		s.failed(err, backoff)
		select {
		case <-wait:
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, MaxBackoff)
	}
}

// errSilent ends a stream that stayed silent for IdleTimeout.
var errSilent = fmt.Errorf("the stream was silent for %s", IdleTimeout)

// refusedError is a 401 or 403 from the server.
type refusedError struct {
	status int
}

func (e *refusedError) Error() string {
	return fmt.Sprintf("the server refused the subscription: %d %s", e.status, http.StatusText(e.status))
}

// failed records why the stream ended and logs it.
func (s *Subscriber) failed(err error, retry time.Duration) {
	msg := redact.Scrub(err.Error())
	var refused *refusedError
	if errors.As(err, &refused) {
		var fix string
		switch {
		case refused.status == http.StatusUnauthorized:
			fix = "the server does not know the token in [channel.replies] (secret_file, secret_env or credential): make one for a user who may read the reply topic (ntfy token add USER; ntfy access USER TOPIC ro)"
		case s.sub.Token == "":
			fix = "the reply topic is not open to everyone: set secret_file, secret_env or credential in [channel.replies] to a token that may read it (ntfy token add USER; ntfy access USER TOPIC ro)"
		default:
			fix = "the token in [channel.replies] (secret_file, secret_env or credential) may not read the reply topic: give its user read access (ntfy access USER TOPIC ro)"
		}
		if s.Status().State != app.ReplyRefused {
			s.log.Error("reply subscription refused; buttons on the phone do nothing until it is fixed", "err", msg, "fix", fix)
		}
		s.setStatus(app.ReplyRefused, msg, fix)
		return
	}
	if s.Status().State != app.ReplyReconnecting {
		s.log.Warn("reply subscription lost; reconnecting", "err", msg, "retry_in", retry.String())
	} else {
		s.log.Debug("reply subscription still down", "err", msg, "retry_in", retry.String())
	}
	s.setStatus(app.ReplyReconnecting, msg, "")
}

// event is one line of ntfy's JSON stream.
type event struct {
	ID      string `json:"id"`
	Time    int64  `json:"time"`
	Event   string `json:"event"`
	Message string `json:"message"`
}

// messageIDRE is what ntfy's message ids look like; anything else is not
// used as a cursor.
var messageIDRE = regexp.MustCompile(`^[A-Za-z0-9]{1,64}$`)

// stream opens the topic's JSON stream from the cursor and handles it
// until it ends. It reports whether the server opened the stream.
func (s *Subscriber) stream(ctx context.Context) (opened bool, err error) {
	since, err := s.svc.Cursor(ctx, s.cursor)
	if err != nil {
		return false, fmt.Errorf("read the reply cursor: %w", err)
	}
	u, err := url.Parse(s.sub.URL + "/json")
	if err != nil {
		return false, fmt.Errorf("reply topic URL: %w", err)
	}
	if since != "" {
		u.RawQuery = url.Values{"since": {since}}.Encode()
	}
	// The stream ends with ctx, or when it has been silent too long.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("User-Agent", httpx.UserAgent)
	if s.sub.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.sub.Token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return false, fmt.Errorf("connect: %w", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, &refusedError{status: resp.StatusCode}
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("the server answered %s", resp.Status)
	}

	haveCursor := since != ""
	idle := s.clock.AfterFunc(IdleTimeout, cancel)
	defer idle.Stop()
	r := bufio.NewReaderSize(resp.Body, 4096)
	for {
		line, err := readLine(r)
		if err != nil {
			if ctx.Err() != nil {
				return opened, errSilent
			}
			if errors.Is(err, io.EOF) {
				return opened, errors.New("the server closed the stream")
			}
			return opened, fmt.Errorf("read the stream: %w", err)
		}
		idle.Reset(IdleTimeout)
		if len(line) == 0 {
			continue
		}
		var ev event
		if err := json.Unmarshal(line, &ev); err != nil {
			s.log.Debug("unreadable line in the reply stream", "err", err)
			continue
		}
		switch ev.Event {
		case "open":
			opened = true
			if err := s.opened(ctx, haveCursor, ev); err != nil {
				return opened, err
			}
			haveCursor = true
		case "message":
			if err := s.handle(ctx, ev); err != nil {
				return opened, err
			}
		}
	}
}

// readLine reads one line of at most maxLine bytes, without its newline. A
// longer line is skipped whole and read as empty: it cannot be a reply.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong {
			buf = append(buf, chunk...)
			if len(buf) > maxLine {
				buf, tooLong = nil, true
			}
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err != nil:
			return nil, err
		}
		return bytes.TrimRight(buf, "\r\n"), nil
	}
}

// opened notes the stream as connected and, on the very first start, takes
// the server's time as the cursor, so that the topic's older messages are
// never replayed and none published from now on is lost.
func (s *Subscriber) opened(ctx context.Context, haveCursor bool, ev event) error {
	s.setStatus(app.ReplyConnected, "", "")
	s.log.Info("reply subscription open")
	if haveCursor || ev.Time <= 0 {
		return nil
	}
	return s.svc.MoveCursor(ctx, app.Cursor{Key: s.cursor, Value: strconv.FormatInt(ev.Time, 10)})
}

// handle checks one message and hands it to the use cases with the cursor
// that moves past it. A message that is not a reply crampd signed moves
// the cursor alone, and is logged (at most once a minute).
func (s *Subscriber) handle(ctx context.Context, ev event) error {
	if !messageIDRE.MatchString(ev.ID) {
		s.log.Debug("reply stream message without a usable id; ignored")
		return nil
	}
	cursor := app.Cursor{Key: s.cursor, Value: ev.ID}
	p, err := s.key.Open(ev.Message)
	if err != nil {
		s.refused(err)
		if err := s.svc.MoveCursor(ctx, cursor); err != nil {
			return err
		}
		s.finished(ev.ID)
		return nil
	}
	res, err := s.svc.Handle(ctx, app.Action{
		OccurrenceID: p.OccurrenceID, Verb: app.Verb(p.Action), Source: app.SourceNtfy,
		// The nonce names the notification; with the answer, the button.
		Nonce: p.Nonce + "/" + string(p.Action), Cursor: &cursor,
	})
	if err != nil {
		// Not handled, and the cursor stayed: the reply comes again
		// when the stream reopens.
		return fmt.Errorf("handle a reply: %w", err)
	}
	s.log.Debug("reply handled", "id", p.OccurrenceID, "action", string(p.Action), "no_op", res.NoOp)
	s.finished(ev.ID)
	return nil
}

// refused logs replies without a valid MAC, at most once a minute with a
// count of those since the last line.
func (s *Subscriber) refused(err error) {
	s.forged++
	now := s.clock.Now()
	if !s.forgedLogged.IsZero() && now.Sub(s.forgedLogged) < forgedLogEvery {
		return
	}
	s.log.Warn("reply ignored: crampd did not sign it, so it is no answer to a reminder", "reason", err.Error(), "ignored", s.forged)
	s.forged, s.forgedLogged = 0, now
}
