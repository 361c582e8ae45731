package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/testutil/testcert"
)

func TestWebTable(t *testing.T) {
	tests := []struct {
		name string
		toml string
		// listen and loopback are checked when want is empty.
		listen   string
		loopback bool
		want     []string
	}{
		{name: "no table", toml: "", listen: ""},
		{name: "defaults", toml: "[web]\n", listen: "127.0.0.1:8737", loopback: true},
		{name: "localhost", toml: "[web]\nlisten = \"localhost:9000\"\n", listen: "localhost:9000", loopback: true},
		{name: "ipv6 loopback", toml: "[web]\nlisten = \"[::1]:8737\"\n", listen: "[::1]:8737", loopback: true},
		{name: "free port", toml: "[web]\nlisten = \"127.0.0.1:0\"\n", listen: "127.0.0.1:0", loopback: true},
		{name: "every interface without tls", toml: "[web]\nlisten = \"0.0.0.0:8737\"\n", want: []string{
			`2:10: web.listen: "0.0.0.0:8737" is reachable from other machines: serving the page beyond this one needs HTTPS (tls_cert_file and tls_key_file), or listen on 127.0.0.1`,
		}},
		{name: "empty host without tls", toml: "[web]\nlisten = \":8737\"\n", want: []string{
			`2:10: web.listen: ":8737" is reachable from other machines: serving the page beyond this one needs HTTPS (tls_cert_file and tls_key_file), or listen on 127.0.0.1`,
		}},
		{name: "lan address without tls", toml: "[web]\n\nlisten = \"192.168.1.20:8737\"\n", want: []string{
			`3:10: web.listen: "192.168.1.20:8737" is reachable from other machines: serving the page beyond this one needs HTTPS (tls_cert_file and tls_key_file), or listen on 127.0.0.1`,
		}},
		{name: "a name", toml: "[web]\nlisten = \"myhost.lan:8737\"\n", want: []string{
			`2:10: web.listen: "myhost.lan:8737": give an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost; crampd does not look names up`,
		}},
		{name: "no port", toml: "[web]\nlisten = \"127.0.0.1\"\n", want: []string{
			`2:10: web.listen: "127.0.0.1" is not an address: want host:port, like "127.0.0.1:8737"`,
		}},
		{name: "bad port", toml: "[web]\nlisten = \"127.0.0.1:99999\"\n", want: []string{
			`2:10: web.listen: "127.0.0.1:99999": the port must be a number from 0 to 65535 (0 picks a free one)`,
		}},
		{name: "cert without key", toml: "[web]\nlisten = \"0.0.0.0:8737\"\ntls_cert_file = \"cert.pem\"\n", want: []string{
			`1:1: web: tls_cert_file needs tls_key_file, its private key`,
		}},
		{name: "key without cert", toml: "[web]\ntls_key_file = \"key.pem\"\n", want: []string{
			`1:1: web: tls_key_file needs tls_cert_file, its certificate`,
		}},
		{name: "empty file name", toml: "[web]\ntls_cert_file = \"\"\ntls_key_file = \"key.pem\"\n", want: []string{
			`2:17: web.tls_cert_file: tls_cert_file must not be empty`,
		}},
		{name: "unknown key", toml: "[web]\nlisten_on = \"127.0.0.1:1\"\n", want: []string{
			`2:1: web.listen_on: unknown key (did you mean "listen"?)`,
		}},
		{name: "not a table", toml: "web = true\n", want: []string{
			`1:7: web: want a table ([web]), not a boolean`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profile.Parse("p.toml", []byte(tt.toml))
			if tt.want != nil {
				var perr *profile.Error
				if !errors.As(err, &perr) {
					t.Fatalf("Parse: %v, want problems %q", err, tt.want)
				}
				var got []string
				for _, pr := range perr.Problems {
					got = append(got, strings.TrimPrefix(pr.String(), "p.toml:"))
				}
				if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.listen == "" {
				if p.Web != nil {
					t.Fatalf("a profile without [web] has a web page: %+v", p.Web)
				}
				return
			}
			if p.Web == nil || p.Web.Listen != tt.listen || p.Web.Loopback != tt.loopback || p.Web.TLS() {
				t.Fatalf("web = %+v, want listen %s, loopback %v, no TLS", p.Web, tt.listen, tt.loopback)
			}
		})
	}
}

// writeCertPair writes a certificate and its key into dir.
func writeCertPair(t *testing.T, dir string) (certPath, keyPath string) {
	t.Helper()
	certPath, keyPath, _ = testcert.Write(t, dir, "localhost")
	return certPath, keyPath
}

// checkWeb reads and checks the web page's certificate the way `crampd
// check` does, returning its problems without the file name.
func checkWeb(t *testing.T, dir, text string) []string {
	t.Helper()
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	err = p.CheckSecrets(func(string) string { return "" })
	if err == nil {
		return nil
	}
	var perr *profile.Error
	if !errors.As(err, &perr) {
		t.Fatalf("CheckSecrets returned %T: %v", err, err)
	}
	var out []string
	for _, pr := range perr.Problems {
		out = append(out, strings.TrimPrefix(pr.String(), path+":"))
	}
	return out
}

func TestWebCertificate(t *testing.T) {
	const tlsProfile = "[web]\nlisten = \"0.0.0.0:8737\"\ntls_cert_file = \"cert.pem\"\ntls_key_file = \"key.pem\"\n"
	t.Run("a pair loads, read from the profile's directory", func(t *testing.T) {
		dir := t.TempDir()
		writeCertPair(t, dir)
		if probs := checkWeb(t, dir, tlsProfile); probs != nil {
			t.Fatalf("problems: %q", probs)
		}
		p, err := profile.Load(filepath.Join(dir, "profile.toml"))
		if err != nil {
			t.Fatal(err)
		}
		if p.Web.TLSKeyFile != filepath.Join(dir, "key.pem") || p.Web.Loopback {
			t.Errorf("web = %+v", p.Web)
		}
		if _, err := p.Web.Certificate(func(string) string { return "" }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a key others can read is refused at its key", func(t *testing.T) {
		dir := t.TempDir()
		_, key := writeCertPair(t, dir)
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		probs := checkWeb(t, dir, tlsProfile)
		if len(probs) != 1 || !strings.HasPrefix(probs[0], "4:16: web.tls_key_file: secret file "+key+" is readable by group or others (mode 0644)") {
			t.Fatalf("problems: %q", probs)
		}
	})
	t.Run("missing files are named", func(t *testing.T) {
		dir := t.TempDir()
		probs := checkWeb(t, dir, tlsProfile)
		if len(probs) != 2 || !strings.HasPrefix(probs[0], "3:17: web.tls_cert_file: certificate file "+filepath.Join(dir, "cert.pem")) ||
			!strings.HasPrefix(probs[1], "4:16: web.tls_key_file: secret file "+filepath.Join(dir, "key.pem")+" does not exist") {
			t.Fatalf("problems: %q", probs)
		}
	})
	t.Run("a key of another certificate is refused", func(t *testing.T) {
		dir := t.TempDir()
		writeCertPair(t, dir)
		other := t.TempDir()
		_, otherKey := writeCertPair(t, other)
		text := strings.Replace(tlsProfile, `"key.pem"`, `"`+otherKey+`"`, 1)
		probs := checkWeb(t, dir, text)
		if len(probs) != 1 || !strings.Contains(probs[0], "web.tls_key_file: ") || !strings.Contains(probs[0], "are not a certificate and its private key") {
			t.Fatalf("problems: %q", probs)
		}
	})
}
