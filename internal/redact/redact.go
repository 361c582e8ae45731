// Package redact keeps the set of strings crampd knows to be secret (signing
// keys, access tokens, secret URLs and their parts) and removes them from
// text before it is logged or stored. Secrets are added where they are read,
// so the log handler and the code that writes a delivery's error text need
// not know where a secret came from.
package redact

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Mask replaces every secret in scrubbed text.
const Mask = "REDACTED"

// MinLen is the shortest string treated as a secret. Replacing shorter
// strings ("en", "1") everywhere would garble every message, and a value that
// short protects nothing.
const MinLen = 4

// Set is a set of secrets. The zero value is empty and ready to use; a Set is
// safe for concurrent use.
type Set struct {
	mu    sync.Mutex
	known map[string]struct{}
	// stale is set when a secret was added after cur was built; the next
	// Scrub rebuilds it. Building lazily costs one build for a profile's
	// worth of secrets rather than one per secret.
	stale atomic.Bool
	// cur lets Scrub skip the lock when nothing changed.
	cur atomic.Pointer[scrubber]
}

type scrubber struct {
	r *strings.Replacer
	// forms lists every form of every secret, longest first.
	forms []string
}

// Add records secrets, each in the forms it takes when quoted in a URL or in
// JSON. Values shorter than MinLen are ignored.
func (s *Set) Add(secrets ...string) {
	var forms []string
	for _, sec := range secrets {
		forms = append(forms, variants(sec)...)
	}
	s.add(forms)
}

// AddURL records the secret parts of u: its userinfo (and the Basic
// credentials a client derives from it) and every query value, or bare
// query key. When whole is true the URL itself is a secret, as chat
// services' webhook URLs are: then the URL and every segment of its path
// are recorded too.
func (s *Set) AddURL(u *url.URL, whole bool) {
	if u == nil {
		return
	}
	var secrets []string
	if u.User != nil {
		user := u.User.Username()
		secrets = append(secrets, u.User.String(), user)
		pass, ok := u.User.Password()
		if ok {
			secrets = append(secrets, pass)
		}
		// net/http sends userinfo as a Basic Authorization header, which
		// a receiver may echo back.
		secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	if u.RawQuery != "" {
		secrets = append(secrets, u.RawQuery)
		q, _ := url.ParseQuery(u.RawQuery)
		for k, vs := range q {
			empty := true
			for _, v := range vs {
				secrets = append(secrets, v)
				empty = empty && v == ""
			}
			if empty {
				// A bare "?abcdef" key may itself be the token.
				secrets = append(secrets, k)
			}
		}
	}
	if u.Fragment != "" {
		secrets = append(secrets, u.Fragment)
	}
	if whole {
		secrets = append(secrets, u.String(), u.Host+u.EscapedPath(), u.EscapedPath(), u.Path)
		for _, seg := range strings.Split(u.Path, "/") {
			secrets = append(secrets, seg)
		}
		if u.Opaque != "" {
			secrets = append(secrets, u.Opaque)
		}
	}
	s.Add(secrets...)
}

// variants returns the forms in which sec can appear in a message: as is,
// escaped for a URL's query or path, and escaped inside a JSON string (with
// and without '/' escaped, as some encoders do).
func variants(sec string) []string {
	if len(sec) < MinLen {
		return nil
	}
	out := []string{sec, url.QueryEscape(sec), url.PathEscape(sec)}
	if b, err := json.Marshal(sec); err == nil {
		js := string(b[1 : len(b)-1])
		out = append(out, js, strings.ReplaceAll(js, "/", `\/`))
	}
	return out
}

func (s *Set) add(forms []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		s.known = map[string]struct{}{}
	}
	for _, f := range forms {
		if len(f) < MinLen {
			continue
		}
		if _, ok := s.known[f]; !ok {
			s.known[f] = struct{}{}
			s.stale.Store(true)
		}
	}
}

// current returns the scrubber for the secrets added so far, or nil when
// there are none.
func (s *Set) current() *scrubber {
	if !s.stale.Load() {
		return s.cur.Load()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stale.Load() {
		return s.cur.Load()
	}
	all := make([]string, 0, len(s.known))
	for f := range s.known {
		all = append(all, f)
	}
	// strings.Replacer tries its old strings in argument order at each
	// position, so longest first keeps a secret's prefix from masking
	// only part of it.
	slices.SortFunc(all, func(a, b string) int {
		if len(a) != len(b) {
			return len(b) - len(a)
		}
		return strings.Compare(a, b)
	})
	pairs := make([]string, 0, 2*len(all))
	for _, f := range all {
		pairs = append(pairs, f, Mask)
	}
	sc := &scrubber{r: strings.NewReplacer(pairs...), forms: all}
	s.cur.Store(sc)
	s.stale.Store(false)
	return sc
}

// Scrub returns text with every known secret replaced by Mask.
func (s *Set) Scrub(text string) string {
	if text == "" {
		return text
	}
	sc := s.current()
	if sc == nil {
		return text
	}
	return sc.r.Replace(text)
}

// ScrubCut is Scrub for text that was cut off at its end (the first bytes of
// a response body): a secret that the cut broke in two leaves its start at
// the very end, which is masked too.
func (s *Set) ScrubCut(text string) string {
	text = s.Scrub(text)
	sc := s.current()
	if sc == nil {
		return text
	}
	// The longest tail of text that starts some secret: try every start
	// position from the earliest one that could still be a proper prefix.
	cut := len(text)
	for _, f := range sc.forms {
		from := max(0, len(text)-(len(f)-1))
		for i := from; i <= len(text)-MinLen && i < cut; i++ {
			if text[i] == f[0] && strings.HasPrefix(f, text[i:]) {
				cut = i
				break
			}
		}
	}
	if cut == len(text) {
		return text
	}
	return text[:cut] + Mask
}

// Len reports how many secret forms the set holds.
func (s *Set) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.known)
}

// process is the set of every secret this process has read. Secrets belong
// to the process rather than to one logger or one channel: a token read for
// one channel must not appear in any log line or stored error, whichever
// component writes it.
var process Set

// Process returns the process-wide set, to which Add and AddURL write.
func Process() *Set { return &process }

// Add records secrets in the process-wide set.
func Add(secrets ...string) { process.Add(secrets...) }

// AddURL records u's secret parts in the process-wide set (see Set.AddURL).
func AddURL(u *url.URL, whole bool) { process.AddURL(u, whole) }

// Scrub removes every secret in the process-wide set from text.
func Scrub(text string) string { return process.Scrub(text) }
