package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// Web page sign-in bounds.
const (
	// LoginTTL is how long a sign-in link works: time enough for a
	// browser to open, and a link left in a terminal's scrollback is dead
	// soon after.
	LoginTTL = 2 * time.Minute
	// SessionTTL is how long a browser stays signed in.
	SessionTTL = 14 * 24 * time.Hour
	// maxLogins and maxSessions bound what a flood of `crampd web` runs
	// can make the daemon hold; the oldest give way.
	maxLogins   = 16
	maxSessions = 64
)

// ErrSignIn means a sign-in link or a session is not (or no longer) good.
var ErrSignIn = errors.New("not signed in")

// WebLogin is a one-time link that signs a browser in to the web page.
type WebLogin struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}

// WebSession is a signed-in browser: ID goes in its cookie.
type WebSession struct {
	ID        string
	ExpiresAt time.Time
}

// webAuth holds sign-in links and sessions, in memory only: a restart
// signs every browser out, and nothing that grants access is ever
// written to disk. Both are kept as SHA-256 digests of the random values
// handed out, so that even a dump of the process does not hold a usable
// link.
type webAuth struct {
	mu       sync.Mutex
	logins   map[[32]byte]time.Time
	sessions map[[32]byte]time.Time
}

// secret returns 32 random bytes as URL-safe text, and its digest.
func secret() (string, [32]byte) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand panics instead)
	s := base64.RawURLEncoding.EncodeToString(b)
	return s, sha256.Sum256([]byte(s))
}

// put adds key to m, expiring at exp, after dropping what expired by now
// and, when m is full, the entry closest to expiring.
func put(m map[[32]byte]time.Time, key [32]byte, exp, now time.Time, most int) {
	var (
		oldest    [32]byte
		oldestExp time.Time
	)
	for k, e := range m {
		if !now.Before(e) {
			delete(m, k)
			continue
		}
		if oldestExp.IsZero() || e.Before(oldestExp) {
			oldest, oldestExp = k, e
		}
	}
	if len(m) >= most {
		delete(m, oldest)
	}
	m[key] = exp
}

// WebLogin returns a one-time link that signs a browser in to the web page
// for SessionTTL; the link itself works once, within LoginTTL. Only the
// control socket's user can ask for one.
func (s *Service) WebLogin(ctx context.Context) (WebLogin, error) {
	if err := s.needDaemon(); err != nil {
		return WebLogin{}, err
	}
	if s.webURL == "" {
		return WebLogin{}, fmt.Errorf("%w: crampd serves no web page: add a [web] table to the profile (see `crampd init`) and restart crampd", domain.ErrInvalid)
	}
	now := s.clock.Now()
	token, digest := secret()
	exp := now.Add(LoginTTL)
	s.web.mu.Lock()
	if s.web.logins == nil {
		s.web.logins = map[[32]byte]time.Time{}
	}
	put(s.web.logins, digest, exp, now, maxLogins)
	s.web.mu.Unlock()
	s.log.Info("web sign-in link handed out", "expires", exp.Format(time.RFC3339))
	return WebLogin{URL: s.webURL + "/login?token=" + url.QueryEscape(token), ExpiresAt: exp.In(s.Location())}, nil
}

// WebSignIn exchanges a sign-in link's token for a session. A token works
// once: used, unknown or expired, it gives ErrSignIn.
func (s *Service) WebSignIn(ctx context.Context, token string) (WebSession, error) {
	now := s.clock.Now()
	digest := sha256.Sum256([]byte(token))
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	exp, ok := s.web.logins[digest]
	delete(s.web.logins, digest)
	if !ok || !now.Before(exp) {
		return WebSession{}, fmt.Errorf("%w: the sign-in link was used already, has expired or is not one crampd made", ErrSignIn)
	}
	id, sd := secret()
	if s.web.sessions == nil {
		s.web.sessions = map[[32]byte]time.Time{}
	}
	sexp := now.Add(SessionTTL)
	put(s.web.sessions, sd, sexp, now, maxSessions)
	s.log.Info("web page signed in", "session_expires", sexp.Format(time.RFC3339))
	return WebSession{ID: id, ExpiresAt: sexp}, nil
}

// WebCheck reports whether id is a session that is still good.
func (s *Service) WebCheck(ctx context.Context, id string) error {
	if id == "" {
		return ErrSignIn
	}
	now := s.clock.Now()
	digest := sha256.Sum256([]byte(id))
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	exp, ok := s.web.sessions[digest]
	if !ok || !now.Before(exp) {
		delete(s.web.sessions, digest)
		return ErrSignIn
	}
	return nil
}

// WebSignOut ends the session id.
func (s *Service) WebSignOut(ctx context.Context, id string) {
	digest := sha256.Sum256([]byte(id))
	s.web.mu.Lock()
	defer s.web.mu.Unlock()
	delete(s.web.sessions, digest)
}
