package daemon

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/web"
)

// webSetup is the web page's listener and certificate, made before the
// use cases so that they know the page's address.
type webSetup struct {
	cert *tls.Certificate
	url  string
}

// listenWeb reads the web page's certificate and binds its address, when
// the profile has a [web] table. Both happen before anything runs, so a
// port in use or a bad key stops the start with a clear error.
func (d *Daemon) listenWeb(p *profile.Profile) (webSetup, error) {
	w := p.Web
	if w == nil {
		return webSetup{}, nil
	}
	var s webSetup
	if w.TLS() {
		cert, err := w.Certificate(d.opts.Getenv)
		if err != nil {
			return s, err
		}
		s.cert = &cert
	}
	ln, err := net.Listen("tcp", w.Listen)
	if err != nil {
		return s, fmt.Errorf("web page: %w (another program may use the port: change listen in [web])", err)
	}
	d.webLn = ln
	s.url = web.URL(ln.Addr(), s.cert)
	return s, nil
}

// serveWeb is the web page as a component: a way in like the control
// socket, over the same use cases.
func (d *Daemon) serveWeb(s webSetup) (component, error) {
	srv, err := web.New(web.Config{
		Service: d.svc, Clock: d.clock, Logger: d.log.With("component", "web"),
		Listener: d.webLn, Certificate: s.cert,
	})
	if err != nil {
		return component{}, err
	}
	return component{name: "web", start: srv.Start, stop: srv.Stop}, nil
}

// fired tells the use cases' subscribers (an open web page) what the
// schedule recorded as fired.
func (d *Daemon) fired(occs []domain.Occurrence) {
	ids := make([]string, len(occs))
	for i, o := range occs {
		ids[i] = o.ID
	}
	d.svc.Publish(app.Event{Kind: app.EventFired, IDs: ids})
	if d.testFired != nil {
		d.testFired(occs)
	}
}

// sameWeb reports whether two [web] tables serve the page the same way.
func sameWeb(a, b *profile.Web) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Listen == b.Listen && a.TLSCertFile == b.TLSCertFile && a.TLSKeyFile == b.TLSKeyFile
}
