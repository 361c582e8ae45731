package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// maxBody caps request bodies; every request is a few hundred bytes.
const maxBody = 16 << 10

type peerKey struct{}

// Server serves the API for a Service.
type Server struct {
	svc  Service
	log  *slog.Logger
	http *http.Server
	self int
	// allowRoot lets root in besides the daemon's own user: the system
	// service runs as a user of its own, and root administers it.
	allowRoot bool
}

// AllowRoot lets root control the daemon as well as its own user, for the
// system service. It must be called before Serve.
func (s *Server) AllowRoot() { s.allowRoot = true }

// NewServer returns a server for svc.
func NewServer(svc Service, log *slog.Logger) *Server {
	s := &Server{svc: svc, log: log, self: os.Getuid()}
	s.http = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			uid, err := peerUID(c)
			if err != nil {
				uid = -1
			}
			return WithPeer(ctx, uid)
		},
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

// WithPeer returns ctx carrying the uid of the peer a request came from,
// as the kernel reported it. A request whose context carries none is
// refused.
func WithPeer(ctx context.Context, uid int) context.Context {
	return context.WithValue(ctx, peerKey{}, uid)
}

// Serve serves l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	if err := s.http.Serve(l); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops serving, letting requests in progress finish until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.Shutdown(ctx) }

// Handler returns the API's routes, behind the peer check.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/zone", s.zone)
	mux.HandleFunc("GET /v1/status", s.status)
	mux.HandleFunc("GET /v1/upcoming", s.upcoming)
	mux.HandleFunc("POST /v1/reminders/{id}/ack", s.ack)
	mux.HandleFunc("POST /v1/reminders/{id}/snooze", s.snooze)
	mux.HandleFunc("POST /v1/pause", s.pause)
	mux.HandleFunc("POST /v1/resume", s.resume)
	mux.HandleFunc("POST /v1/fire", s.fire)
	mux.HandleFunc("POST /v1/reload", s.reload)
	mux.HandleFunc("GET /v1/history", s.history)
	mux.HandleFunc("POST /v1/cramps", s.logCramp)
	mux.HandleFunc("GET /v1/cramps", s.cramps)
	mux.HandleFunc("GET /v1/stats", s.stats)
	mux.HandleFunc("GET /v1/report", s.report)
	mux.HandleFunc("POST /v1/web/login", s.webLogin)
	mux.HandleFunc("POST /v1/checkin", s.checkin)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A connection whose peer the kernel could not name (or a
		// handler reached some other way) is refused, not trusted.
		uid, ok := r.Context().Value(peerKey{}).(int)
		if !ok {
			uid = -1
		}
		if s.allowRoot && uid == 0 {
			uid = s.self
		}
		if err := CheckPeer(uid, s.self); err != nil {
			s.log.Warn("control request refused", "err", err)
			writeError(w, http.StatusForbidden, "forbidden: only the user running crampd may control it")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		if h, pattern := mux.Handler(r); pattern == "" {
			// The mux's own 404 and 405 answers are plain text; keep
			// their status and Allow header but answer in JSON.
			rec := &statusRecorder{header: http.Header{}}
			h.ServeHTTP(rec, r)
			if allow := rec.header.Get("Allow"); allow != "" {
				w.Header().Set("Allow", allow)
				writeError(w, rec.status, fmt.Sprintf("%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow))
				return
			}
			writeError(w, rec.status, "no such endpoint: "+r.Method+" "+r.URL.Path)
			return
		}
		// ServeHTTP, not the handler found above: it sets path values.
		mux.ServeHTTP(w, r)
	})
}

// statusRecorder captures the status and headers a handler writes.
type statusRecorder struct {
	header http.Header
	status int
}

func (s *statusRecorder) Header() http.Header { return s.header }

func (s *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }

func (s *statusRecorder) WriteHeader(code int) { s.status = code }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, Error{Error: msg})
}

// fail maps an error from the service to a status.
func (s *Server) fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, domain.ErrNotFound):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, domain.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		var perr *profile.Error
		if errors.As(err, &perr) {
			writeError(w, http.StatusUnprocessableEntity, err.Error())
			return
		}
		s.log.Error("control request failed", "err", err)
		writeError(w, http.StatusInternalServerError, err.Error())
	}
}

// decode reads one JSON object into v, refusing unknown fields, trailing
// data and oversized bodies.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxBody))
			return false
		}
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "malformed JSON body: more than one value")
		return false
	}
	return true
}

// intParam reads a positive integer query parameter.
func intParam(w http.ResponseWriter, r *http.Request, name string, def, max int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%s must be an integer from 1 to %d", name, max))
		return 0, false
	}
	return n, true
}

// answer writes what a use case returned, or its error.
func answer[T any](s *Server, w http.ResponseWriter, status int, v T, err error) {
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, status, v)
}

func (s *Server) zone(w http.ResponseWriter, r *http.Request) {
	loc, err := s.svc.Zone(r.Context())
	if err != nil {
		s.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, ZoneResponse{Zone: loc.String()})
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st, err := s.svc.Status(r.Context())
	answer(s, w, http.StatusOK, st, err)
}

func (s *Server) upcoming(w http.ResponseWriter, r *http.Request) {
	n, ok := intParam(w, r, "n", 10, 1000)
	if !ok {
		return
	}
	occs, err := s.svc.Upcoming(r.Context(), n)
	answer(s, w, http.StatusOK, nonNil(occs), err)
}

func (s *Server) ack(w http.ResponseWriter, r *http.Request) {
	rec, err := s.svc.Ack(r.Context(), r.PathValue("id"))
	answer(s, w, http.StatusOK, rec, err)
}

func (s *Server) snooze(w http.ResponseWriter, r *http.Request) {
	var req SnoozeRequest
	if !decode(w, r, &req) {
		return
	}
	d, err := profile.ParseDuration(req.Duration)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("duration %q: want a duration like 10m or 1h", req.Duration))
		return
	}
	res, err := s.svc.Snooze(r.Context(), r.PathValue("id"), d)
	answer(s, w, http.StatusOK, res, err)
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) {
	var req PauseRequest
	if !decode(w, r, &req) {
		return
	}
	var p app.PauseRequest
	if req.Duration != "" {
		d, err := profile.ParseDuration(req.Duration)
		if err != nil || d <= 0 {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("duration %q: want a duration like 2h", req.Duration))
			return
		}
		p.For = d
	}
	if req.Until != "" {
		c, err := profile.ParseClockString(req.Until)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		p.Until = &c
	}
	res, err := s.svc.Pause(r.Context(), p)
	answer(s, w, http.StatusOK, res, err)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	res, err := s.svc.Resume(r.Context())
	answer(s, w, http.StatusOK, res, err)
}

func (s *Server) fire(w http.ResponseWriter, r *http.Request) {
	var req FireRequest
	if !decode(w, r, &req) {
		return
	}
	res, err := s.svc.Fire(r.Context(), req.What)
	answer(s, w, http.StatusOK, res, err)
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	answer(s, w, http.StatusOK, struct{}{}, s.svc.Reload(r.Context()))
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	days, ok := intParam(w, r, "days", 7, 366)
	if !ok {
		return
	}
	recs, err := s.svc.History(r.Context(), days)
	answer(s, w, http.StatusOK, nonNil(recs), err)
}

func (s *Server) logCramp(w http.ResponseWriter, r *http.Request) {
	var req CrampRequest
	if !decode(w, r, &req) {
		return
	}
	c := domain.Cramp{Leg: req.Leg, Muscle: req.Muscle, Severity: req.Severity, Symptoms: req.Symptoms, Note: req.Note}
	if req.At != nil {
		c.At = *req.At
	}
	res, err := s.svc.LogCramp(r.Context(), c)
	answer(s, w, http.StatusCreated, res, err)
}

func (s *Server) cramps(w http.ResponseWriter, r *http.Request) {
	days, ok := intParam(w, r, "days", 30, 3660)
	if !ok {
		return
	}
	cs, err := s.svc.Cramps(r.Context(), days)
	answer(s, w, http.StatusOK, nonNil(cs), err)
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	days, ok := intParam(w, r, "days", 28, 3660)
	if !ok {
		return
	}
	st, err := s.svc.Stats(r.Context(), days)
	answer(s, w, http.StatusOK, st, err)
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	weeks, ok := intParam(w, r, "weeks", 12, app.MaxWeeks)
	if !ok {
		return
	}
	rep, err := s.svc.Report(r.Context(), weeks)
	answer(s, w, http.StatusOK, rep, err)
}

func (s *Server) webLogin(w http.ResponseWriter, r *http.Request) {
	l, err := s.svc.WebLogin(r.Context())
	answer(s, w, http.StatusOK, l, err)
}

func (s *Server) checkin(w http.ResponseWriter, r *http.Request) {
	var req CheckinRequest
	if !decode(w, r, &req) {
		return
	}
	res, err := s.svc.Checkin(r.Context(), app.CheckinRequest{Answer: domain.Answer(req.Answer), Night: req.Night})
	answer(s, w, http.StatusOK, res, err)
}

// nonNil makes an empty list encode as [], not null.
func nonNil[T any](list []T) []T {
	if list == nil {
		return []T{}
	}
	return list
}
