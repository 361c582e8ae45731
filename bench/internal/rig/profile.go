package rig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// QuietBase is a profile head with every built-in kind switched off, so
// that only the harness's own custom reminders fire. Medication reviews and
// doctor nudges need medications or logged cramps, which it never has.
const QuietBase = `timezone = "UTC"

[hydration]
enabled = false

[stretch]
enabled = false

[food]
enabled = false

[electrolytes]
enabled = false
`

// Custom is one [[custom]] reminder. Its title repeats its name so that a
// receiver can tell reminders apart without knowing crampd's ids.
type Custom struct {
	Name string
	Cron string
}

// At returns a custom reminder that fires once, at t (whole seconds, UTC),
// written as a 6-field cron spec.
func At(name string, t time.Time) Custom {
	t = t.UTC()
	return Custom{Name: name, Cron: fmt.Sprintf("CRON_TZ=UTC %d %d %d %d %d *", t.Second(), t.Minute(), t.Hour(), t.Day(), int(t.Month()))}
}

// WebhookChannel returns a [[channel]] block that posts to url, signed with
// the secret in SecretEnv.
func WebhookChannel(url string) string {
	return fmt.Sprintf("\n[[channel]]\ntype = \"webhook\"\nname = \"hook\"\nurl = %q\nsecret_env = %q\n", url, SecretEnv)
}

// StdoutChannel is a [[channel]] block for the stdout channel.
const StdoutChannel = "\n[[channel]]\ntype = \"stdout\"\n"

// Profile renders a profile: base, the channel blocks, then the customs.
func Profile(base string, customs []Custom, channels ...string) string {
	var b strings.Builder
	b.WriteString(base)
	for _, c := range channels {
		b.WriteString(c)
	}
	for _, c := range customs {
		fmt.Fprintf(&b, "\n[[custom]]\nname = %q\ncron = %q\ntitle = %q\n", c.Name, c.Cron, c.Name)
	}
	return b.String()
}

// WriteFile replaces path with data atomically, so that a reload never
// reads half a profile.
func WriteFile(path, data string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".profile-*")
	if err != nil {
		return err
	}
	if _, err := tmp.WriteString(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// NextSecond returns the first whole second at least lead after now.
func NextSecond(now time.Time, lead time.Duration) time.Time {
	return now.Add(lead).Truncate(time.Second).Add(time.Second)
}
