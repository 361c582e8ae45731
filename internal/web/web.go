// Package web serves crampd's local web page: today's reminders with Done
// and Snooze buttons, "I have a cramp", the journal and history, trends,
// the profile as loaded and a printable report for the doctor. It is one
// more way in: every handler decodes a request, calls the use cases of
// package app, and renders the answer with html/template. Nothing is
// fetched from elsewhere and every page works without JavaScript; a small
// script of crampd's own refreshes the day when something changes.
//
// A browser signs in with a one-time link that only the control socket's
// user can get (`crampd web`), exchanged for an HttpOnly, SameSite=Strict
// session cookie. The server also refuses a Host header other than its
// own (DNS rebinding) and cross-origin state changes, and sends a strict
// Content-Security-Policy.
package web

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
)

// Service is what the page needs from the use cases; *app.Service
// provides it.
type Service interface {
	Today(ctx context.Context) (app.Day, error)
	Handle(ctx context.Context, a app.Action) (app.ActionResult, error)
	Pause(ctx context.Context, req app.PauseRequest) (app.PauseResult, error)
	Resume(ctx context.Context) (app.ResumeResult, error)
	LogCramp(ctx context.Context, c domain.Cramp) (app.CrampResult, error)
	Cramps(ctx context.Context, days int) ([]domain.Cramp, error)
	Nights(ctx context.Context, days int) ([]domain.Night, error)
	History(ctx context.Context, days int) ([]domain.Record, error)
	Trends(ctx context.Context, weeks int) (app.Trends, error)
	Report(ctx context.Context, weeks int) (app.Report, error)
	Profile(ctx context.Context) (app.ProfileView, error)
	Subscribe(ctx context.Context) <-chan app.Event
	WebSignIn(ctx context.Context, token string) (app.WebSession, error)
	WebCheck(ctx context.Context, id string) error
	WebSignOut(ctx context.Context, id string)
	Location() *time.Location
}

var _ Service = (*app.Service)(nil)

// Config configures a Server.
type Config struct {
	Service Service
	Clock   clockwork.Clock
	Logger  *slog.Logger
	// Listener is where the page is served; its address is the one the
	// Host header must name.
	Listener net.Listener
	// Certificate, when set, serves the page over HTTPS; its names are
	// accepted in the Host header too.
	Certificate *tls.Certificate
}

// Limits.
const (
	// maxStreams bounds the live-update streams open at once: a few tabs
	// are normal, hundreds are an attack.
	maxStreams = 32
	// keepAlive is how often an idle live-update stream says it is there,
	// so a connection to a browser that went away is noticed and closed.
	keepAlive = 25 * time.Second
	// maxForm caps a form post; the cramp form with a full note is a few
	// KiB.
	maxForm = 32 << 10
)

// Server is the web page's HTTP server, one of the daemon's components.
type Server struct {
	svc    Service
	clock  clockwork.Clock
	log    *slog.Logger
	ln     net.Listener
	http   *http.Server
	tls    bool
	url    string
	cookie string
	// hosts are the host names the Host header may carry, with port.
	port  string
	hosts map[string]bool

	// streams counts the open live-update streams.
	streams atomic.Int32
	// stop ends the live-update streams, so that a shutdown is not held
	// up by them.
	stopCtx context.Context
	stop    context.CancelFunc
	done    chan struct{}

	// cramps remembers recent cramp forms by nonce, so a form sent twice
	// (a double tap, a reload) logs one cramp.
	crampsMu sync.Mutex
	cramps   map[string]crampPost
}

// crampPost is a cramp form already handled.
type crampPost struct {
	res app.CrampResult
	at  time.Time
}

// New returns a server for cfg; nothing is served until Start.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: cfg.Service, clock: cfg.Clock, log: cfg.Logger, ln: cfg.Listener, cramps: map[string]crampPost{}}
	hosts, port, err := allowedHosts(cfg.Listener.Addr(), cfg.Certificate)
	if err != nil {
		return nil, err
	}
	s.hosts, s.port = hosts, port
	s.url = URL(cfg.Listener.Addr(), cfg.Certificate)
	s.cookie = "crampd_session"
	if cfg.Certificate != nil {
		s.tls = true
		// The __Host- prefix makes the browser refuse the cookie unless
		// it is Secure, host-only and for the whole site.
		s.cookie = "__Host-crampd_session"
		s.ln = tls.NewListener(s.ln, &tls.Config{Certificates: []tls.Certificate{*cfg.Certificate}, MinVersion: tls.VersionTLS12})
	}
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		// The live-update stream lifts this for itself.
		WriteTimeout:   30 * time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 16 << 10,
		BaseContext:    func(net.Listener) context.Context { return s.stopCtx },
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	return s, nil
}

// URL returns the page's address.
func (s *Server) URL() string { return s.url }

// URL returns the address a browser should open for a page served on
// addr, over HTTPS with cert when it is set: the address itself, or the
// loopback address for one that listens on every interface, or, when the
// certificate is for names and not for that address, its first name, so
// that the browser can check it.
func URL(addr net.Addr, cert *tls.Certificate) string {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	ip := ap.Addr().Unmap()
	if ip.IsUnspecified() {
		ip = netip.MustParseAddr("127.0.0.1")
	}
	host := netip.AddrPortFrom(ip, ap.Port()).String()
	if cert == nil {
		return "http://" + host
	}
	if leaf, err := x509.ParseCertificate(cert.Certificate[0]); err == nil && leaf.VerifyHostname(ip.String()) != nil && len(leaf.DNSNames) > 0 {
		host = net.JoinHostPort(leaf.DNSNames[0], fmt.Sprint(ap.Port()))
	}
	return "https://" + host
}

// allowedHosts lists what the Host header may say: the listening address,
// localhost when it is a loopback one, every address of this machine when
// it listens on all of them, and the names the certificate is for. A
// name outside the list is how a DNS-rebinding page would arrive.
func allowedHosts(addr net.Addr, cert *tls.Certificate) (map[string]bool, string, error) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, "", fmt.Errorf("web listener address %s: %w", addr, err)
	}
	ip := ap.Addr().Unmap()
	hosts := map[string]bool{}
	add := func(a netip.Addr) {
		hosts[a.Unmap().WithZone("").String()] = true
	}
	add(ip)
	switch {
	case ip.IsUnspecified():
		addrs, err := net.InterfaceAddrs()
		if err != nil {
			return nil, "", fmt.Errorf("list this machine's addresses: %w", err)
		}
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				add(p.Addr())
			}
		}
		hosts["localhost"] = true
	case ip.IsLoopback():
		hosts["localhost"] = true
	}
	if cert != nil && len(cert.Certificate) > 0 {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, "", fmt.Errorf("read the web page's certificate: %w", err)
		}
		for _, n := range leaf.DNSNames {
			hosts[strings.ToLower(n)] = true
		}
		for _, a := range leaf.IPAddresses {
			if na, ok := netip.AddrFromSlice(a); ok {
				add(na)
			}
		}
	}
	return hosts, fmt.Sprint(ap.Port()), nil
}

// hostAllowed reports whether a request's Host header names this server.
func (s *Server) hostAllowed(host string) bool {
	h, port, err := net.SplitHostPort(host)
	if err != nil || port != s.port {
		return false
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return s.hosts[a.Unmap().WithZone("").String()]
	}
	return s.hosts[strings.ToLower(h)]
}

// Start serves the page until Stop.
func (s *Server) Start(context.Context) error {
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web page stopped", "err", err)
		}
	}()
	s.log.Info("serving the web page", "url", s.URL())
	return nil
}

// Stop ends the live-update streams, lets requests in progress finish
// until ctx ends, and waits for the server's goroutines.
func (s *Server) Stop(ctx context.Context) error {
	s.stop()
	err := s.http.Shutdown(ctx)
	if err != nil {
		// Out of time: cut what is left.
		s.http.Close()
	}
	if s.done != nil {
		<-s.done
	}
	return err
}
