package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/profile"
)

// parseProblems parses src and returns its problems without the file name.
func parseProblems(t *testing.T, src string) []string {
	t.Helper()
	_, err := profile.Parse("p.toml", []byte(src))
	if err == nil {
		return nil
	}
	var perr *profile.Error
	if !errors.As(err, &perr) {
		t.Fatalf("Parse returned %T: %v", err, err)
	}
	var out []string
	for _, p := range perr.Problems {
		out = append(out, strings.TrimPrefix(p.String(), "p.toml:"))
	}
	return out
}

func TestChannelProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{name: "a key of another type", src: "[[channel]]\ntype = \"stdout\"\nurl = \"https://example.com/x\"\nsecret_env = \"X\"\n", want: []string{
			"3:1: channel[1].url: a stdout channel takes no url",
			"4:1: channel[1].secret_env: a stdout channel takes no secret_env",
		}},
		{name: "a key no type takes", src: "[[channel]]\ntype = \"webhook\"\nurl = \"https://example.com/x\"\nsecert_env = \"X\"\n", want: []string{
			"4:1: channel[1].secert_env: unknown key (did you mean \"secret_env\"?)",
		}},
		{name: "missing url", src: "[[channel]]\ntype = \"ntfy\"\n", want: []string{
			"1:1: channel[1]: missing url for the ntfy channel (url = \"https://...\")",
		}},
		{name: "url and url_file", src: "[[channel]]\ntype = \"webhook\"\nurl = \"https://example.com/x\"\nurl_file = \"hook.url\"\n", want: []string{
			"3:7: channel[1].url: set only one of url, url_file, url_env and url_credential",
		}},
		{name: "two secret sources", src: "[[channel]]\ntype = \"ntfy\"\nurl = \"https://example.com/x\"\nsecret_env = \"A\"\ncredential = \"b\"\n", want: []string{
			"5:14: channel[1].credential: set only one of secret_file, secret_env and credential",
		}},
		{name: "bad names", src: "[[channel]]\ntype = \"ntfy\"\nurl_env = \"NOT A VAR\"\ncredential = \"../x\"\n", want: []string{
			"3:11: channel[1].url_env: \"NOT A VAR\" is not an environment variable name",
			"4:14: channel[1].credential: \"../x\" is not a systemd credential name",
		}},
		{name: "duplicate names", src: "[[channel]]\ntype = \"stdout\"\n[[channel]]\ntype = \"desktop\"\nname = \"stdout\"\n", want: []string{
			"3:1: channel[2]: two channels are named \"stdout\"; give each a distinct name",
		}},
		{name: "unknown type with other keys", src: "[[channel]]\ntype = \"pager\"\nurl = \"https://example.com/x\"\n", want: []string{
			"2:8: channel[1].type: unknown channel type \"pager\" (want one of stdout, desktop, webhook, ntfy)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseProblems(t, tt.src)
			if !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// A URL written in the profile is shown by check and pasted into bug
// reports, so it may carry no query at all: any query value may be a token.
func TestInlineURLCarriesNoSecret(t *testing.T) {
	const other = "may carry a secret: a url written in the profile takes no query; put the whole URL in a file (url_file) or an environment variable (url_env)"
	tests := []struct {
		name, url, want string
	}{
		{name: "plain", url: "https://ntfy.example.com/legs"},
		{name: "deny-listed name", url: "https://h.example/x?token=abc123", want: `the URL's "token" parameter carries a secret: inline secrets are not allowed; use secret_file or secret_env`},
		{name: "access-token", url: "https://h.example/x?access-token=abc123", want: `the URL's "access-token" parameter ` + other},
		{name: "private_token", url: "https://h.example/x?private_token=abc123", want: `the URL's "private_token" parameter ` + other},
		{name: "x-api-key", url: "https://h.example/x?x-api-key=abc123", want: `the URL's "x-api-key" parameter ` + other},
		{name: "bare value", url: "https://h.example/x?xyz", want: `the URL's "xyz" parameter ` + other},
		{name: "harmless looking", url: "https://h.example/x?lang=en", want: `the URL's "lang" parameter ` + other},
		{name: "empty query", url: "https://h.example/x?", want: `the URL's query ` + other},
		{name: "password", url: "https://u:hunter2@h.example/x", want: "the URL carries a password: inline secrets are not allowed; use secret_file or secret_env"},
		{name: "user name only", url: "https://tk_abc@h.example/x", want: "the URL carries a user name, which services use as a token: inline secrets are not allowed; put the whole URL in a file (url_file) or an environment variable (url_env)"},
		{name: "not http", url: "ftp://h.example/x", want: "want an http:// or https:// URL"},
	}
	for _, tt := range tests {
		for _, typ := range []string{"webhook", "ntfy"} {
			t.Run(tt.name+"/"+typ, func(t *testing.T) {
				got := parseProblems(t, "[[channel]]\ntype = \""+typ+"\"\nurl = \""+tt.url+"\"\n")
				if tt.want == "" {
					if got != nil {
						t.Fatalf("problems: %q", got)
					}
					return
				}
				want := "3:7: channel[1].url: " + tt.want
				if len(got) != 1 || got[0] != want {
					t.Fatalf("problems: %q\nwant: %q", got, want)
				}
			})
		}
	}
}

// A URL from url_file, url_env or url_credential is a secret as a whole,
// so it may carry its token anywhere.
func TestURLFromASecretSource(t *testing.T) {
	dir := t.TempDir()
	const hook = "https://hooks.example.com/services/T0001/B0002/XXXXtokenXXXX?access-token=abc123"
	os.WriteFile(filepath.Join(dir, "hook.url"), []byte(hook+"\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "bad.url"), []byte("ftp://x/T0001secret\n"), 0o600)
	getenv := func(k string) string {
		return map[string]string{"CRAMPD_HOOK": hook}[k]
	}
	tests := []struct {
		name, keys string
		want       string
	}{
		{name: "url_file", keys: `url_file = "hook.url"`},
		{name: "url_env", keys: `url_env = "CRAMPD_HOOK"`},
		{name: "unset variable", keys: `url_env = "CRAMPD_NOPE"`, want: "3:11: channel[1].url_env: environment variable CRAMPD_NOPE is empty or unset"},
		{name: "not a URL", keys: `url_file = "bad.url"`, want: "3:12: channel[1].url_file: the URL it holds: invalid url: scheme must be http or https"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeProfile(t, dir, "[[channel]]\ntype = \"webhook\"\n"+tt.keys+"\n")
			got := secretProblems(t, path, getenv)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("problems: %q", got)
				}
				return
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Fatalf("problems: %q\nwant: %q", got, tt.want)
			}
			if strings.Contains(got[0], "T0001") {
				t.Errorf("problem quotes the URL: %s", got[0])
			}
		})
	}
}

func TestNoChannelMeansTheDefault(t *testing.T) {
	p, err := profile.Parse("p.toml", []byte("timezone = \"UTC\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Channels) != 0 {
		t.Fatalf("Channels = %v", p.Channels)
	}
	in := p.ChannelsInUse()
	if len(in) != 1 || in[0].Type != "desktop" || in[0].Name != "desktop" || in[0].Config == nil {
		t.Fatalf("ChannelsInUse = %+v, want the desktop", in)
	}
}

// pagerConfig is the configuration of a channel type of this test's own: it takes only
// medication reminders and reads a nested [channel.replies] table, the shape
// a channel's own config must be able to have.
type pagerConfig struct {
	topic   string
	replies struct {
		present bool
		topic   string
		token   registry.Secret
	}
}

func (c *pagerConfig) Load(getenv func(string) string) (registry.Loaded, error) {
	if _, err := c.replies.token.Read(getenv); err != nil && !errors.Is(err, registry.ErrNoSecret) {
		return nil, err
	}
	return c, nil
}

func (c *pagerConfig) Build(registry.Deps) (notify.Notifier, error) {
	return nil, errors.New("not built")
}

func TestChannelConfigWithANestedTable(t *testing.T) {
	var decoded *pagerConfig
	registry.Register(registry.Type{Name: "pager", Order: 99, Kinds: []domain.Kind{domain.KindMedication, domain.KindDoctor}, Decode: func(tb registry.Table) registry.Config {
		c := &pagerConfig{}
		c.topic, _ = tb.Required("topic", "topic")
		r, ok := tb.Table("replies")
		c.replies.present = ok
		c.replies.topic, _ = r.String("topic")
		c.replies.token = registry.DecodeSecret(r, registry.SecretKeys{File: "token_file", Env: "token_env", Credential: "token_credential"})
		decoded = c
		return c
	}})
	t.Cleanup(func() { registry.Unregister("pager") })

	dir := t.TempDir()
	path := writeProfile(t, dir, `[[channel]]
type = "pager"
topic = "legs"

[channel.replies]
topic = "legs-replies"
token_env = "CRAMPD_REPLY_TOKEN"
`)
	if got := secretProblems(t, path, func(k string) string { return map[string]string{"CRAMPD_REPLY_TOKEN": "tk_reply0123"}[k] }); got != nil {
		t.Fatalf("problems: %q", got)
	}
	if decoded.topic != "legs" || !decoded.replies.present || decoded.replies.topic != "legs-replies" || decoded.replies.token.Env != "CRAMPD_REPLY_TOKEN" {
		t.Fatalf("decoded %+v", decoded)
	}
	p, _ := profile.Load(path)
	if c := p.Channels[0]; !c.Takes(domain.KindMedication) || c.Takes(domain.KindHydration) {
		t.Errorf("a pager channel without kinds takes %v, want its type's kinds", c.Kinds)
	}

	// A secret in the nested table is reported at its own key.
	if got := secretProblems(t, path, noEnv); len(got) != 1 || got[0] != "7:13: channel[1].replies.token_env: environment variable CRAMPD_REPLY_TOKEN is empty or unset" {
		t.Errorf("problems: %q", got)
	}

	got := parseProblems(t, `[[channel]]
type = "pager"
topic = "legs"
kinds = ["medication", "hydration"]

[channel.replies]
topik = "x"
`)
	want := []string{
		`4:24: channel[1].kinds[2]: a pager channel cannot deliver hydration reminders (it takes medication, doctor)`,
		`7:1: channel[1].replies.topik: unknown key (did you mean "topic"?)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := parseProblems(t, "[[channel]]\ntype = \"webhok\"\n"); len(got) != 1 || !strings.Contains(got[0], "(want one of stdout, desktop, webhook, ntfy, pager; did you mean \"webhook\"?)") {
		t.Errorf("unknown type lists %q, want every registered type", got)
	}
}

// Building goes through the registry in one call per channel, whatever the
// type.
func TestBuildEveryRegisteredType(t *testing.T) {
	dir := t.TempDir()
	path := writeProfile(t, dir, `[[channel]]
type = "stdout"
[[channel]]
type = "desktop"
[[channel]]
type = "webhook"
url = "https://example.com/hook"
[[channel]]
type = "ntfy"
url = "https://ntfy.example.com/legs"
`)
	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Channels {
		n, err := registry.Build(c.Config, registry.Deps{Name: c.Name, Clock: clockwork.NewFakeClock(), Stdout: os.Stdout})
		if err != nil || n == nil {
			t.Errorf("%s: Build = %v, %v", c.Name, n, err)
			continue
		}
		if cl, ok := n.(interface{ Close() error }); ok {
			cl.Close()
		}
	}
}
