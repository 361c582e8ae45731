// Package reply signs the answers a reminder's buttons send back through a
// channel (an ntfy topic a phone publishes to), and checks them when they
// arrive. Anyone who can write to that topic could otherwise mark a dose as
// taken, so each button carries the occurrence, the action, a nonce and an
// HMAC-SHA256 over them, made with a key that only this installation has:
// a reply without a valid MAC is not an action.
package reply

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/redact"
	"github.com/crampd/crampd/internal/regfile"
)

// Press is one button press as a reply carries it.
type Press struct {
	OccurrenceID string
	Action       notify.Action
	// Nonce names the notification the button was on (its message id):
	// the same button's reply seen twice is one action, and two buttons
	// of one notification are two.
	Nonce string
}

// The errors Open returns for a body that is not a reply crampd made.
var (
	// ErrNotReply means the body is not in the reply format at all.
	ErrNotReply = errors.New("not a crampd reply")
	// ErrForged means the body has the reply format but its MAC does not
	// match: someone other than crampd made it, or changed it.
	ErrForged = errors.New("reply MAC does not match")
)

// prefix starts every reply body and names the format's version.
const prefix = "crampd1"

// maxBody is the longest body Open reads; a real one is under 150 bytes.
const maxBody = 512

// maxField is the longest id, action or nonce a reply carries.
const maxField = 128

// KeySize is the size of a reply key, in bytes.
const KeySize = 32

// KeyFile is the key's file name in the state directory.
const KeyFile = "reply.key"

// Key signs and checks replies. The zero Key signs nothing.
type Key struct{ b []byte }

// NewKey returns a key of KeySize random bytes.
func NewKey() (Key, error) {
	b := make([]byte, KeySize)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("make a reply key: %w", err)
	}
	return Key{b: b}, nil
}

// IsZero reports whether k holds no key.
func (k Key) IsZero() bool { return len(k.b) == 0 }

// mac is the MAC of p's fields. Newlines separate them: no field may hold
// one, so no two presses share an input.
func (k Key) mac(p Press) []byte {
	h := hmac.New(sha256.New, k.b)
	h.Write([]byte(prefix + "\n" + p.OccurrenceID + "\n" + string(p.Action) + "\n" + p.Nonce))
	return h.Sum(nil)
}

// Sign returns the body a button sends for p: the format's version, the
// occurrence, the action, the nonce and the MAC, separated by spaces.
func (k Key) Sign(p Press) (string, error) {
	if k.IsZero() {
		return "", errors.New("sign a reply: no key")
	}
	for _, f := range []string{p.OccurrenceID, string(p.Action), p.Nonce} {
		if !validField(f) {
			return "", fmt.Errorf("sign a reply: %q cannot travel in a reply", f)
		}
	}
	return strings.Join([]string{prefix, p.OccurrenceID, string(p.Action), p.Nonce, base64.RawURLEncoding.EncodeToString(k.mac(p))}, " "), nil
}

// Open reads a reply body and checks its MAC. A body that is not a reply
// gives ErrNotReply, one whose MAC does not match ErrForged; only a Press
// that crampd signed with k comes back without an error.
func (k Key) Open(body string) (Press, error) {
	if len(body) > maxBody {
		return Press{}, fmt.Errorf("%w: %d bytes long", ErrNotReply, len(body))
	}
	f := strings.Split(strings.TrimSpace(body), " ")
	if len(f) != 5 || f[0] != prefix {
		return Press{}, ErrNotReply
	}
	for _, s := range f[1:4] {
		if !validField(s) {
			return Press{}, ErrNotReply
		}
	}
	p := Press{OccurrenceID: f[1], Action: notify.Action(f[2]), Nonce: f[3]}
	sum, err := base64.RawURLEncoding.DecodeString(f[4])
	if err != nil || len(sum) != sha256.Size {
		return Press{}, ErrNotReply
	}
	if k.IsZero() || !hmac.Equal(sum, k.mac(p)) {
		return Press{}, ErrForged
	}
	return p, nil
}

// validField reports whether s can be one field of a reply: printable
// ASCII without spaces, and not too long.
func validField(s string) bool {
	return s != "" && len(s) <= maxField && !strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' })
}

// LoadKey returns the installation's key from the state directory dir,
// making it (KeySize random bytes, in a file of mode 0600) the first time.
// Two processes making it at once end up with the same key: it is written
// to a file of its own and then linked into place, which only one can do.
// The key is added to the process's secrets.
func LoadKey(dir string) (Key, error) {
	path := filepath.Join(dir, KeyFile)
	k, err := readKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Key{}, fmt.Errorf("make the reply key: %w", err)
	}
	k, err = NewKey()
	if err != nil {
		return Key{}, err
	}
	tmp, err := os.CreateTemp(dir, KeyFile+".new-*")
	if err != nil {
		return Key{}, fmt.Errorf("make the reply key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.WriteString(hex.EncodeToString(k.b) + "\n")
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return Key{}, fmt.Errorf("make the reply key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return Key{}, fmt.Errorf("make the reply key: %w", err)
	}
	// Whoever linked first made the key; read what is there.
	return readKey(path)
}

// readKey reads a key file, which must be a regular file readable by its
// owner alone.
func readKey(path string) (Key, error) {
	f, fi, err := regfile.Open(path)
	if err != nil {
		return Key{}, fmt.Errorf("read the reply key: %w", err)
	}
	defer f.Close()
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("the reply key %s is readable by group or others (mode %04o): run chmod 600 %s", path, perm, path)
	}
	b, err := regfile.Read(f, 4*KeySize)
	if err != nil {
		return Key{}, fmt.Errorf("read the reply key %s: %w", path, err)
	}
	text := strings.TrimSpace(string(b))
	key, err := hex.DecodeString(text)
	if err != nil || len(key) != KeySize {
		return Key{}, fmt.Errorf("the reply key %s is damaged (want %d hexadecimal bytes); remove it, and crampd makes a new one (buttons already sent then stop working)", path, KeySize)
	}
	redact.Add(text)
	return Key{b: key}, nil
}

// Subscription is where the replies to a channel's buttons arrive: a
// topic its buttons publish to, which crampd reads.
type Subscription struct {
	// Channel is the channel whose buttons reply there.
	Channel string
	// URL is the reply topic's URL, without credentials.
	URL string
	// SecretURL marks the URL as a secret as a whole (the channel's own
	// URL came from a file or the environment), so no part of it is
	// logged.
	SecretURL bool
	// Token is the access token crampd reads the topic with; empty for
	// none.
	Token string
}

// Source is a notifier whose buttons reply through a Subscription.
type Source interface {
	// Replies returns the subscription, and false when the channel
	// offers no buttons.
	Replies() (Subscription, bool)
}
