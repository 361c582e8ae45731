package profile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrNoSecret means a channel has no secret configured.
var ErrNoSecret = errors.New("no secret configured")

// Secret reads the channel's secret from its file, environment variable or
// systemd credential, with surrounding whitespace trimmed. getenv is usually
// os.Getenv. Errors name where the secret was looked for, never its value.
func (c Channel) Secret(getenv func(string) string) ([]byte, error) {
	switch {
	case c.SecretFile != "":
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("channel %s: read secret file: %w", c.Name, err)
		}
		return nonEmpty(c, bytes.TrimSpace(b), "secret file "+c.SecretFile)
	case c.SecretEnv != "":
		return nonEmpty(c, bytes.TrimSpace([]byte(getenv(c.SecretEnv))), "environment variable "+c.SecretEnv)
	case c.Credential != "":
		dir := getenv("CREDENTIALS_DIRECTORY")
		if dir == "" {
			return nil, fmt.Errorf("channel %s: credential %q needs $CREDENTIALS_DIRECTORY, which systemd sets for units with LoadCredential=", c.Name, c.Credential)
		}
		b, err := os.ReadFile(filepath.Join(dir, c.Credential))
		if err != nil {
			return nil, fmt.Errorf("channel %s: read credential: %w", c.Name, err)
		}
		return nonEmpty(c, bytes.TrimSpace(b), "credential "+c.Credential)
	}
	return nil, ErrNoSecret
}

func nonEmpty(c Channel, b []byte, where string) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("channel %s: %s is empty or unset", c.Name, where)
	}
	return b, nil
}

// CheckSecrets reads every channel's secret once, so that `crampd check` and
// the daemon's start report a missing variable or credential with the
// location of the key that names it. The secrets themselves are discarded.
func (p *Profile) CheckSecrets(getenv func(string) string) error {
	var probs []Problem
	for _, c := range p.Channels {
		if _, err := c.Secret(getenv); err != nil && !errors.Is(err, ErrNoSecret) {
			prob := c.secretAt
			prob.Msg = err.Error()
			probs = append(probs, prob)
		}
	}
	if len(probs) > 0 {
		return &Error{Problems: probs}
	}
	return nil
}
