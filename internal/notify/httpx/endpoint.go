package httpx

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/redact"
)

// Endpoint is where an HTTP channel sends, as its profile table gives it:
// either a URL written in the profile (url), which must carry no secret, or
// a URL read from a file, an environment variable or a systemd credential
// (url_file, url_env, url_credential), which is then a secret as a whole,
// the way chat services share webhook URLs with the token in their path.
type Endpoint struct {
	inline string
	// key is the path of the url key, for problems found when loading.
	key    string
	source registry.Secret
}

// secretParams are query parameters whose name says they carry a
// credential; the profile's message for them says where the secret goes.
var secretParams = []string{"token", "auth", "access_token", "api_key", "apikey", "key", "secret", "password", "signature", "sig"}

// DecodeEndpoint reads the endpoint keys of a channel of type channelType.
// A URL written inline is checked here, so `crampd check` reports it with
// its line and column.
func DecodeEndpoint(t registry.Table, channelType string) Endpoint {
	e := Endpoint{key: t.Path("url")}
	e.source = registry.DecodeSecret(t, registry.URLKeys)
	raw, inline := t.String("url")
	sourced := e.source.IsSet() || t.Has(registry.URLKeys.File) || t.Has(registry.URLKeys.Env) || t.Has(registry.URLKeys.Credential)
	switch {
	case inline && sourced:
		t.Errorf("url", "set only one of url, %s, %s and %s", registry.URLKeys.File, registry.URLKeys.Env, registry.URLKeys.Credential)
	case inline:
		if msg := checkInline(raw); msg != "" {
			t.Errorf("url", "%s", msg)
		} else {
			e.inline = raw
		}
	case !sourced && !t.Has("url"):
		t.Errorf("", "missing url for the %s channel (url = \"https://...\")", channelType)
	}
	return e
}

// checkInline describes what is wrong with a URL written in the profile, or
// returns "". Such a URL is shown in `crampd check` output and copied into
// bug reports, so it may carry no credential: no userinfo and no query at
// all, since any query value may be a token (access-token, private_token,
// a bare ?xyz).
func checkInline(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "want an http:// or https:// URL"
	}
	if u.User != nil {
		if _, hasPassword := u.User.Password(); hasPassword {
			return "the URL carries a password: inline secrets are not allowed; use secret_file or secret_env"
		}
		return "the URL carries a user name, which services use as a token: inline secrets are not allowed; put the whole URL in a file (url_file) or an environment variable (url_env)"
	}
	if u.RawQuery == "" && !u.ForceQuery {
		return ""
	}
	q, _ := url.ParseQuery(u.RawQuery)
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if slices.Contains(secretParams, strings.ToLower(name)) {
			return fmt.Sprintf("the URL's %q parameter carries a secret: inline secrets are not allowed; use secret_file or secret_env", name)
		}
	}
	what := "query"
	if len(names) > 0 {
		what = fmt.Sprintf("%q parameter", names[0])
	}
	return fmt.Sprintf("the URL's %s may carry a secret: a url written in the profile takes no query; put the whole URL in a file (url_file) or an environment variable (url_env)", what)
}

// Load returns the endpoint's URL, reading it from its source, and reports
// whether the URL is a secret as a whole. Its parts that are secret are
// added to the process's set of secrets. Errors never quote the URL.
func (e Endpoint) Load(getenv func(string) string) (u *url.URL, secret bool, err error) {
	if !e.source.IsSet() {
		u, err := ParseURL(e.inline)
		if err != nil {
			return nil, false, &registry.KeyError{Key: e.key, Err: err}
		}
		redact.AddURL(u, false)
		return u, false, nil
	}
	b, err := e.source.Read(getenv)
	if err != nil {
		return nil, false, err
	}
	u, err = ParseURL(string(b))
	if err != nil {
		return nil, false, &registry.KeyError{Key: e.source.Key, Err: fmt.Errorf("the URL it holds: %w", err)}
	}
	redact.AddURL(u, true)
	return u, true, nil
}
