package profile

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/regfile"
)

// DefaultWebListen is where the web page is served when [web] names no
// address: this machine only, on a port of its own.
const DefaultWebListen = "127.0.0.1:8737"

// maxCertSize bounds a certificate chain file; a real one is a few KiB.
const maxCertSize = 1 << 20

// Web configures the local web page the daemon serves. A profile without
// a [web] table has none.
type Web struct {
	// Listen is the host:port the page is served on: an IP address or
	// "localhost", never a name crampd would have to resolve.
	Listen string
	// Loopback is set when Listen is on this machine only.
	Loopback bool
	// TLSCertFile and TLSKeyFile (absolute paths, both or neither) serve
	// the page over HTTPS; any address beyond loopback needs them.
	TLSCertFile, TLSKeyFile string

	// at locates the keys, for problems found when the files are read.
	at map[string]Problem
}

// TLS reports whether the page is served over HTTPS.
func (w *Web) TLS() bool { return w.TLSCertFile != "" }

// web reads the [web] table, or returns nil when the profile has none.
func (d *decoder) web(root *table, dir string) *Web {
	if !root.has("web") {
		root.forget("web")
		return nil
	}
	t := root.sub("web")
	w := &Web{Listen: DefaultWebListen, Loopback: true, at: map[string]Problem{}}
	listenOK := true
	if s, ok := t.str("listen"); ok {
		w.Listen = s
		var msg string
		if w.Loopback, msg = checkListen(s); msg != "" {
			d.errorf(t.child("listen"), "%s", msg)
			listenOK = false
		}
	}
	for _, f := range []struct {
		key  string
		dest *string
	}{{"tls_cert_file", &w.TLSCertFile}, {"tls_key_file", &w.TLSKeyFile}} {
		s, ok := t.str(f.key)
		if !ok {
			continue
		}
		if s == "" {
			d.errorf(t.child(f.key), "%s must not be empty", f.key)
			continue
		}
		if !filepath.IsAbs(s) {
			s = filepath.Join(dir, s)
		}
		*f.dest = s
		w.at[f.key] = d.locate(t.child(f.key), false)
	}
	hasCert, hasKey := t.has("tls_cert_file"), t.has("tls_key_file")
	switch {
	case hasCert && !hasKey:
		d.errorf(t.path, "tls_cert_file needs tls_key_file, its private key")
	case hasKey && !hasCert:
		d.errorf(t.path, "tls_key_file needs tls_cert_file, its certificate")
	case listenOK && !w.Loopback && !hasCert:
		d.errorf(t.child("listen"), "%q is reachable from other machines: serving the page beyond this one needs HTTPS "+
			"(tls_cert_file and tls_key_file), or listen on 127.0.0.1", w.Listen)
	}
	if !hasCert || !hasKey {
		w.TLSCertFile, w.TLSKeyFile = "", ""
	}
	t.finish()
	return w
}

// checkListen reads a listen address and reports whether it is on this
// machine only, or what is wrong with it.
func checkListen(s string) (loopback bool, problem string) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return false, fmt.Sprintf("%q is not an address: want host:port, like %q", s, DefaultWebListen)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return false, fmt.Sprintf("%q: the port must be a number from 0 to 65535 (0 picks a free one)", s)
	}
	switch {
	case host == "":
		return false, ""
	case strings.EqualFold(host, "localhost"):
		return true, ""
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false, fmt.Sprintf("%q: give an IP address (127.0.0.1, ::1, 0.0.0.0) or localhost; crampd does not look names up", s)
	}
	return addr.IsLoopback(), ""
}

// Certificate reads the TLS certificate and key, the key under the rules
// every secret file follows (a regular file of yours, readable only by
// you), and checks that they make a pair. `crampd check` and the daemon
// both call it. Problems are placed at the key that names the file.
func (w *Web) Certificate(getenv func(string) string) (tls.Certificate, error) {
	if !w.TLS() {
		return tls.Certificate{}, errors.New("the web page is not served over HTTPS")
	}
	var probs []Problem
	fail := func(key string, err error) {
		p := w.at[key]
		p.Msg = err.Error()
		probs = append(probs, p)
	}
	cert, err := readCert(w.TLSCertFile)
	if err != nil {
		fail("tls_cert_file", err)
	}
	key, err := registry.Secret{File: w.TLSKeyFile, Key: "web.tls_key_file"}.Read(getenv)
	if err != nil {
		// The key error names the key; the problem's position does too.
		var ke *registry.KeyError
		if errors.As(err, &ke) {
			err = ke.Err
		}
		fail("tls_key_file", err)
	}
	if len(probs) > 0 {
		return tls.Certificate{}, &Error{Problems: probs}
	}
	pair, err := tls.X509KeyPair(cert, key)
	if err != nil {
		fail("tls_key_file", fmt.Errorf("%s and %s are not a certificate and its private key in PEM: %v", w.TLSCertFile, w.TLSKeyFile, err))
		return tls.Certificate{}, &Error{Problems: probs}
	}
	return pair, nil
}

// readCert reads a certificate chain: a public file, but one that must be
// a regular file of sensible size, so a pipe or a huge file cannot hang or
// bloat crampd.
func readCert(name string) ([]byte, error) {
	f, _, err := regfile.Open(name)
	if err != nil {
		return nil, fmt.Errorf("certificate file %s: %s", name, withoutPath(err))
	}
	defer f.Close()
	b, err := regfile.Read(f, maxCertSize)
	if err != nil {
		return nil, fmt.Errorf("certificate file %s: %w", name, err)
	}
	return b, nil
}
