package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"

	"github.com/crampd/crampd/internal/redact"
	"github.com/crampd/crampd/internal/regfile"
)

// MaxSecretSize is the largest secret file crampd reads. A key, a token or a
// webhook URL is a few hundred bytes at most; the cap keeps a profile that
// names a huge file from making crampd read all of it.
const MaxSecretSize = 64 << 10

// ErrNoSecret means a Secret names no source.
var ErrNoSecret = errors.New("no secret configured")

// SecretKeys are the keys that can say where one secret comes from.
type SecretKeys struct {
	File, Env, Credential string
}

var (
	// SignKeys name a channel's own secret: a signing key or an access
	// token.
	SignKeys = SecretKeys{File: "secret_file", Env: "secret_env", Credential: "credential"}
	// URLKeys name a URL that is itself a secret, as chat services' webhook
	// URLs are.
	URLKeys = SecretKeys{File: "url_file", Env: "url_env", Credential: "url_credential"}
)

// Secret says where one secret comes from: a file of the user's, an
// environment variable or a systemd credential. At most one is set.
type Secret struct {
	// File is an absolute path.
	File string
	Env  string
	// Credential is a name in $CREDENTIALS_DIRECTORY.
	Credential string
	// Key is the key that named the source, for problems found when the
	// secret is read.
	Key string
}

var (
	envRE        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	credentialRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)
)

// DecodeSecret reads a secret's source from t under keys, reporting a
// malformed name and more than one source. A relative file name is read
// from the profile's directory.
func DecodeSecret(t Table, keys SecretKeys) Secret {
	var s Secret
	var set []string
	if v, ok := t.String(keys.File); ok {
		set = append(set, keys.File)
		if v == "" {
			t.Errorf(keys.File, "%s must not be empty", keys.File)
		} else {
			if !filepath.IsAbs(v) {
				v = filepath.Join(t.Dir(), v)
			}
			s.File = v
		}
	}
	if v, ok := t.String(keys.Env); ok {
		set = append(set, keys.Env)
		if !envRE.MatchString(v) {
			t.Errorf(keys.Env, "%q is not an environment variable name", v)
		}
		s.Env = v
	}
	if v, ok := t.String(keys.Credential); ok {
		set = append(set, keys.Credential)
		if !credentialRE.MatchString(v) {
			t.Errorf(keys.Credential, "%q is not a systemd credential name", v)
		}
		s.Credential = v
	}
	if len(set) > 0 {
		s.Key = t.Path(set[0])
	}
	if len(set) > 1 {
		t.Errorf(set[1], "set only one of %s, %s and %s", keys.File, keys.Env, keys.Credential)
	}
	return s
}

// IsSet reports whether s names a source.
func (s Secret) IsSet() bool { return s.File != "" || s.Env != "" || s.Credential != "" }

// Read reads the secret, with surrounding whitespace trimmed, and adds it to
// the process's set of secrets so that no log line or stored error can show
// it. It returns ErrNoSecret when s names no source. Errors are *KeyError
// for s.Key and name where the secret was looked for, never its value.
func (s Secret) Read(getenv func(string) string) ([]byte, error) {
	var (
		b     []byte
		err   error
		where string
	)
	switch {
	case s.File != "":
		where = "secret file " + s.File
		b, err = readSecretFile(s.File, true)
	case s.Env != "":
		where = "environment variable " + s.Env
		b = []byte(getenv(s.Env))
	case s.Credential != "":
		where = "credential " + s.Credential
		dir := getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			err = fmt.Errorf("credential %q needs $CREDENTIALS_DIRECTORY, which systemd sets for units with LoadCredential=", s.Credential)
			break
		}
		b, err = readSecretFile(filepath.Join(dir, s.Credential), false)
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("credential %q is not in $CREDENTIALS_DIRECTORY; add LoadCredential=%s:PATH to the unit", s.Credential, s.Credential)
		}
	default:
		return nil, ErrNoSecret
	}
	if err != nil {
		return nil, &KeyError{Key: s.Key, Err: err}
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, &KeyError{Key: s.Key, Err: fmt.Errorf("%s is empty or unset", where)}
	}
	redact.Add(string(b))
	return b, nil
}

// ReadOptional reads a secret that a channel may go without, and checks it
// with check the way the channel will use it: no source gives nil and no
// error, and a value check refuses gives a *KeyError for s.Key.
func (s Secret) ReadOptional(getenv func(string) string, check func([]byte) error) ([]byte, error) {
	b, err := s.Read(getenv)
	switch {
	case errors.Is(err, ErrNoSecret):
		return nil, nil
	case err != nil:
		return nil, err
	}
	if err := check(b); err != nil {
		return nil, &KeyError{Key: s.Key, Err: err}
	}
	return b, nil
}

// fileError is a problem with a secret file, naming the file the profile
// gave and, when that is a symbolic link, the file it leads to.
func fileError(name, format string, args ...any) error {
	what := "secret file " + name
	if real, err := filepath.EvalSymlinks(name); err == nil && real != name {
		what += " (a link to " + real + ")"
	}
	return fmt.Errorf("%s "+format, append([]any{what}, args...)...)
}

// readSecretFile reads a secret file under the rules every secret file
// follows: a regular file on a real file system (not /proc, not a pipe
// or a device: it is opened without blocking, so a FIFO cannot hang a
// reload), and no larger than MaxSecretSize, read with that limit.
// Symbolic links are followed and the checks apply to the file they lead
// to. When own is true the file must also belong to the user crampd runs
// as and be unreadable by group and others; systemd credentials are
// exempt, since systemd owns them and grants access itself.
func readSecretFile(name string, own bool) ([]byte, error) {
	f, fi, err := regfile.Open(name)
	var nr *regfile.NotRegularError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, missingError{fmt.Sprintf("secret file %s does not exist", name)}
	case errors.Is(err, fs.ErrPermission):
		return nil, fileError(name, "cannot be read: permission denied; it must be a file you own, readable only by you")
	case errors.As(err, &nr):
		return nil, fileError(name, "is %s, not a regular file", nr.Kind)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fileError(name, "cannot be opened: %v", err)
	}
	defer f.Close()
	if pseudo, err := onPseudoFS(f); err != nil {
		return nil, fileError(name, "cannot be read: %v", err)
	} else if pseudo != "" {
		return nil, fileError(name, "is a kernel interface on %s, not a file of yours; put the secret in a file you own", pseudo)
	}
	if own {
		if uid, mine := ownedByUs(fi); !mine {
			return nil, fileError(name, "belongs to another user (uid %d); it must be a file you own, readable only by you", uid)
		}
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			return nil, fileError(name, "is readable by group or others (mode %04o); run: chmod 600 %s", perm, name)
		}
	}
	tooBig := fileError(name, "is larger than %d KiB; a secret is a few hundred bytes at most", MaxSecretSize>>10)
	if fi.Size() > MaxSecretSize {
		return nil, tooBig
	}
	// The size fstat gave may be stale: Read stops one byte past the limit.
	b, err := regfile.Read(f, MaxSecretSize)
	switch {
	case errors.Is(err, regfile.ErrTooLarge):
		return nil, tooBig
	case err != nil:
		return nil, fileError(name, "cannot be read: %v", errors.Unwrap(err))
	}
	return b, nil
}

// missingError is a file that is not there; errors.Is(err,
// fs.ErrNotExist) holds for it.
type missingError struct{ msg string }

func (e missingError) Error() string        { return e.msg }
func (e missingError) Is(target error) bool { return target == fs.ErrNotExist }
