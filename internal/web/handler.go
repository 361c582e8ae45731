package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/crampd/crampd/internal/app"
)

// csp allows the page's own script, styles and images and nothing else:
// no inline script or style, no framing, forms posted only to itself.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Handler returns the page's routes behind the security checks: the Host
// header, cross-origin protection for everything that changes state, and
// a session for everything but signing in and the static files.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	page := func(pattern string, h http.HandlerFunc) { mux.Handle(pattern, s.signedIn(h)) }
	mux.HandleFunc("GET /login", s.login)
	mux.Handle("GET /static/", staticHandler())
	page("POST /logout", s.logout)
	page("GET /{$}", s.today)
	page("GET /today/live", s.todayLive)
	page("POST /reminders/{id}/done", s.action(app.VerbDone))
	page("POST /reminders/{id}/snooze", s.action(app.VerbSnooze))
	page("POST /pause", s.pause)
	page("POST /resume", s.resume)
	page("GET /cramp", s.crampForm)
	page("POST /cramp", s.logCramp)
	page("GET /journal", s.journal)
	page("GET /history", s.history)
	page("GET /trends", s.trends)
	page("GET /profile", s.profile)
	page("GET /report", s.report)
	page("GET /report.csv", s.reportCSV)
	page("GET /events", s.events)
	mux.HandleFunc("/", s.notFound)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.log.Warn("web request refused: cross-origin", "method", r.Method, "path", r.URL.Path, "origin", r.Header.Get("Origin"))
		s.fail(w, r, http.StatusForbidden, "This request came from another site, so crampd refused it.")
	}))
	routes := cop.Handler(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !s.hostAllowed(r.Host) {
			// A page on another name that resolves here (DNS rebinding)
			// must get nothing, not even the sign-in page.
			s.log.Warn("web request refused: foreign Host header", "host", r.Host, "path", r.URL.Path)
			http.Error(w, "crampd: this address is not the web page's own; open the link `crampd web` gives", http.StatusMisdirectedRequest)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		routes.ServeHTTP(w, r)
	})
}

// signedIn lets requests with a good session through; the others get a
// page that says how to sign in.
func (s *Server) signedIn(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pages hold health information: never cache them.
		w.Header().Set("Cache-Control", "no-store")
		c, err := r.Cookie(s.cookie)
		if err != nil || s.svc.WebCheck(r.Context(), c.Value) != nil {
			s.signInPage(w, r, http.StatusUnauthorized, "")
			return
		}
		h(w, r)
	})
}

// login exchanges a one-time link's token for a session cookie, then sends
// the browser on to the page without the token in its address bar.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	sess, err := s.svc.WebSignIn(r.Context(), r.URL.Query().Get("token"))
	if errors.Is(err, app.ErrSignIn) {
		s.log.Warn("web sign-in refused: the link was used, expired or made up")
		s.signInPage(w, r, http.StatusUnauthorized, "This sign-in link was used already or has expired.")
		return
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "crampd could not sign you in.")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: s.cookie, Value: sess.ID, Path: "/",
		MaxAge:   int(sess.ExpiresAt.Sub(s.clock.Now()) / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.tls,
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(s.cookie); err == nil {
		s.svc.WebSignOut(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.tls})
	s.signInPage(w, r, http.StatusOK, "You are signed out.")
}
