package web_test

import (
	"crypto/tls"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/testutil/testcert"
)

// Over plain HTTP, everything the page guards is refused without a
// session, and a session cannot be had without a fresh one-time link.
func TestRefusedWithoutASession(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	anon := p.client()
	for _, tt := range []struct{ method, path string }{
		{"GET", "/"}, {"GET", "/today/live"}, {"GET", "/cramp"}, {"GET", "/journal"}, {"GET", "/history"},
		{"GET", "/trends"}, {"GET", "/profile"}, {"GET", "/report"}, {"GET", "/report.csv"}, {"GET", "/events"},
		{"POST", "/cramp"}, {"POST", "/pause"}, {"POST", "/resume"}, {"POST", "/reminders/x/done"}, {"POST", "/logout"},
	} {
		var form url.Values
		if tt.method == http.MethodPost {
			form = url.Values{"nonce": {"n-0123456789abcdef"}, "for": {"1h"}}
		}
		status, body, h := p.do(anon, tt.method, tt.path, form, nil)
		if status != http.StatusUnauthorized || !strings.Contains(body, "<code>crampd web</code>") || h.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s without a session: %d %q\n%s", tt.method, tt.path, status, h.Get("Cache-Control"), body)
		}
	}
	if st, _ := p.svc.Status(t.Context()); st.Paused {
		t.Fatal("a request without a session paused crampd")
	}
	// A made-up session cookie is no session.
	u, _ := url.Parse(p.base)
	anon.Jar.SetCookies(u, []*http.Cookie{{Name: "crampd_session", Value: strings.Repeat("A", 43)}})
	if status, _, _ := p.do(anon, http.MethodGet, "/", nil, nil); status != http.StatusUnauthorized {
		t.Errorf("a made-up session: %d", status)
	}
}

func TestOneTimeLinks(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	t.Run("a link signs in once", func(t *testing.T) {
		link := p.login()
		c := p.client()
		resp, err := c.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("sign in: %s %v", resp.Status, resp.Header)
		}
		checkCookie(t, resp, "crampd_session", false)
		if status, _, _ := p.do(c, http.MethodGet, "/", nil, nil); status != http.StatusOK {
			t.Fatalf("signed in: %d", status)
		}
		// The same link again, from another browser.
		other := p.client()
		status, body, _ := p.do(other, http.MethodGet, strings.TrimPrefix(link, p.base), nil, nil)
		if status != http.StatusUnauthorized || !strings.Contains(body, "used already or has expired") {
			t.Fatalf("a reused link: %d\n%s", status, body)
		}
		if status, _, _ := p.do(other, http.MethodGet, "/", nil, nil); status != http.StatusUnauthorized {
			t.Fatalf("a reused link signed a browser in: %d", status)
		}
		// Signing out ends the session on the server, not just in the
		// browser.
		jar := c.Jar.Cookies(mustURL(t, p.base))
		if status, _, _ := p.do(c, http.MethodPost, "/logout", url.Values{}, nil); status != http.StatusOK {
			t.Fatalf("sign out: %d", status)
		}
		replay := p.client()
		replay.Jar.SetCookies(mustURL(t, p.base), jar)
		if status, _, _ := p.do(replay, http.MethodGet, "/", nil, nil); status != http.StatusUnauthorized {
			t.Fatalf("a signed-out session still works: %d", status)
		}
	})
	t.Run("an expired link is refused", func(t *testing.T) {
		link := p.login()
		p.clock.Advance(app.LoginTTL + time.Second)
		c := p.client()
		status, body, _ := p.do(c, http.MethodGet, strings.TrimPrefix(link, p.base), nil, nil)
		if status != http.StatusUnauthorized || !strings.Contains(body, "used already or has expired") {
			t.Fatalf("an expired link: %d\n%s", status, body)
		}
	})
	t.Run("a session ends", func(t *testing.T) {
		c := p.signedIn()
		p.clock.Advance(app.SessionTTL)
		if status, _, _ := p.do(c, http.MethodGet, "/", nil, nil); status != http.StatusUnauthorized {
			t.Fatalf("a session past its time: %d", status)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkCookie checks the session cookie a sign-in sets.
func checkCookie(t *testing.T, resp *http.Response, name string, secure bool) {
	t.Helper()
	var c *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			c = ck
		}
	}
	if c == nil {
		t.Fatalf("no %s cookie in %v", name, resp.Header["Set-Cookie"])
	}
	raw := strings.Join(resp.Header["Set-Cookie"], "; ")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Domain != "" || c.Secure != secure ||
		c.MaxAge != int(app.SessionTTL/time.Second) || len(c.Value) < 40 {
		t.Fatalf("cookie %s: %+v", raw, c)
	}
}

// A page arriving under another name (DNS rebinding) gets nothing, not
// even with a good session.
func TestForeignHostIsRefused(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.base, "http://"))
	for _, host := range []string{"evil.example:" + port, "evil.example", "127.0.0.1:1", "127.0.0.1", "localhost.evil.example:" + port, "0x7f000001:" + port} {
		for _, path := range []string{"/", "/login?token=x", "/static/style.css", "/events"} {
			status, body, _ := p.do(c, http.MethodGet, path, nil, map[string]string{"Host": host})
			if status != http.StatusMisdirectedRequest || strings.Contains(body, "<html") {
				t.Errorf("GET %s with Host %s: %d\n%s", path, host, status, body)
			}
		}
		status, _, _ := p.do(c, http.MethodPost, "/pause", url.Values{"for": {"1h"}}, map[string]string{"Host": host})
		if status != http.StatusMisdirectedRequest {
			t.Errorf("POST with Host %s: %d", host, status)
		}
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "LOCALHOST:" + port} {
		if status, _, _ := p.do(c, http.MethodGet, "/", nil, map[string]string{"Host": host}); status != http.StatusOK {
			t.Errorf("Host %s: %d, want 200", host, status)
		}
	}
}

// A form posted from another site does nothing, even with the cookie
// (which SameSite=Strict would keep back anyway).
func TestCrossOriginPostIsRefused(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	for _, h := range []map[string]string{
		{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "http://evil.example", "Sec-Fetch-Site": ""},
	} {
		status, body, _ := p.do(c, http.MethodPost, "/pause", url.Values{"for": {"2h"}}, h)
		if status != http.StatusForbidden || !strings.Contains(body, "came from another site") {
			t.Errorf("cross-origin post %v: %d\n%s", h, status, body)
		}
		status, _, _ = p.do(c, http.MethodPost, "/cramp", url.Values{"nonce": {"n-0123456789abcdef"}}, h)
		if status != http.StatusForbidden {
			t.Errorf("cross-origin cramp %v: %d", h, status)
		}
	}
	if st, _ := p.svc.Status(t.Context()); st.Paused {
		t.Fatal("a cross-origin post paused crampd")
	}
	if cs, _ := p.svc.Cramps(t.Context(), 1); len(cs) != 0 {
		t.Fatal("a cross-origin post logged a cramp")
	}
	// The same post from the page itself works, so the refusals above
	// were not for another reason.
	if status, _, _ := p.do(c, http.MethodPost, "/pause", url.Values{"for": {"2h"}}, nil); status != http.StatusSeeOther {
		t.Fatalf("same-origin pause: %d", status)
	}
}

// No path reaches the profile, the state database or a secret, and no
// page shows a secret.
func TestSecretsStayHidden(t *testing.T) {
	const (
		secretToken = "tk_0123456789abcdefSECRETntfytoken"
		secretPath  = "SECRETtopicPathSegment42"
	)
	dir := t.TempDir()
	urlFile := filepath.Join(dir, "ntfy.url")
	if err := os.WriteFile(urlFile, []byte("https://ntfy.example.com/"+secretPath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := fixtureProfile + `[[channel]]
type = "ntfy"
url_file = "` + urlFile + `"
secret_env = "NTFY_TOKEN"
`
	getenv := func(k string) string {
		if k == "NTFY_TOKEN" {
			return secretToken
		}
		return ""
	}
	p := startPage(t, text, fixtureStart, getenv)
	c := p.signedIn()
	var pages []string
	for _, path := range []string{"/profile", "/", "/history?days=366", "/report"} {
		pages = append(pages, p.get(c, path))
	}
	if !strings.Contains(pages[0], "Channel: ntfy") {
		t.Fatalf("the profile page does not list the ntfy channel:\n%s", pages[0])
	}
	for i, body := range pages {
		for _, secret := range []string{secretToken, secretPath, urlFile, "NTFY_TOKEN"} {
			if strings.Contains(body, secret) {
				t.Errorf("page %d shows %q", i, secret)
			}
		}
	}
	stateDB := filepath.Join(p.dir, "state", "state.db")
	for _, path := range []string{
		"/profile.toml", "/state.db", "/state/state.db", "/.env", "/static/../profile.toml", "/static/..%2fprofile.toml",
		"/static/%2e%2e/%2e%2e/state.db", "/static/", "/static/../../../../etc/passwd", urlFile, stateDB, "/proc/self/environ",
		"/profile?raw=1", "/report.csv/../../state.db",
	} {
		for _, client := range []*http.Client{c, p.client()} {
			req, _ := http.NewRequest(http.MethodGet, p.base+"/", nil)
			req.URL.Opaque = "//" + req.URL.Host + path // sent as is, not cleaned
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 1<<20)
			n, _ := resp.Body.Read(b)
			resp.Body.Close()
			body := string(b[:n])
			if resp.StatusCode == http.StatusOK && path != "/profile?raw=1" {
				t.Errorf("GET %s: 200\n%s", path, body)
			}
			for _, secret := range []string{secretToken, secretPath, "SQLite format", "[web]", "root:x:0:0"} {
				if strings.Contains(body, secret) {
					t.Errorf("GET %s (%d) shows %q", path, resp.StatusCode, secret)
				}
			}
		}
	}
}

// Every answer carries a strict Content-Security-Policy and the headers
// that keep the page from being framed or sniffed.
func TestSecurityHeaders(t *testing.T) {
	p := startPage(t, fixtureProfile, fixtureStart, nil)
	c := p.signedIn()
	for _, path := range []string{"/", "/nope", "/static/app.js"} {
		_, _, h := p.do(c, http.MethodGet, path, nil, nil)
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") ||
			!strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" || h.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
	for _, path := range []string{"/", "/cramp", "/trends", "/report", "/profile", "/journal", "/history"} {
		body := p.get(c, path)
		if strings.Contains(body, "<script>") || strings.Contains(body, "<style") || regexp.MustCompile(` (style|on[a-z]+)=`).MatchString(body) {
			t.Errorf("%s has inline script or style", path)
		}
	}
}

// Over HTTPS the cookie is Secure and host-only (__Host-), and the names
// the certificate is for are accepted as the Host.
func TestHTTPS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := testcert.Write(t, dir, "crampd.test")
	text := strings.Replace(fixtureProfile, `listen = "127.0.0.1:0"`, `listen = "127.0.0.1:0"
tls_cert_file = "`+certFile+`"
tls_key_file = "`+keyFile+`"`, 1)
	p := startPage(t, text, fixtureStart, nil)
	if !strings.HasPrefix(p.base, "https://127.0.0.1:") {
		t.Fatalf("base %s", p.base)
	}
	c := p.client()
	c.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	resp, err := c.Get(p.login())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	checkCookie(t, resp, "__Host-crampd_session", true)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(p.base, "https://"))
	if status, _, _ := p.do(c, http.MethodGet, "/", nil, map[string]string{"Host": "crampd.test:" + port}); status != http.StatusOK {
		t.Errorf("the certificate's name as Host: %d", status)
	}
	if status, _, _ := p.do(c, http.MethodGet, "/", nil, map[string]string{"Host": "evil.example:" + port}); status != http.StatusMisdirectedRequest {
		t.Errorf("a foreign Host over HTTPS: %d", status)
	}
	// Plain HTTP on the HTTPS port gets no page.
	plain := p.client()
	if resp, err := plain.Get(strings.Replace(p.base, "https://", "http://", 1) + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP served the page")
		}
	}
}
