package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// events streams a Server-Sent Event whenever a reminder fires, is acted
// on from anywhere, or a pause or cramp changes the day; the page's
// script then reloads the part of Today that changed. Without the script
// the page works all the same, only without updating by itself.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.streams.Add(1) > maxStreams {
		s.streams.Add(-1)
		http.Error(w, "too many live pages open", http.StatusServiceUnavailable)
		return
	}
	defer s.streams.Add(-1)
	rc := http.NewResponseController(w)
	// The stream lasts as long as the page is open; a write to a browser
	// that went away fails at the next keep-alive.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		http.Error(w, "streaming is not supported here", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	ctx, cancel := context.WithCancel(r.Context())
	ch := s.svc.Subscribe(ctx)
	defer func() {
		// Unsubscribe before returning, so that a stop that waits for
		// this handler leaves nothing behind.
		cancel()
		for range ch {
		}
	}()
	// retry: how soon a browser reconnects after a restart.
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	rc.Flush()
	tick := s.clock.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var msg string
		select {
		case <-ctx.Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			b, _ := json.Marshal(e)
			msg = "event: change\ndata: " + string(b) + "\n\n"
		case <-tick.Chan():
			msg = ": still here\n\n"
		}
		if _, err := fmt.Fprint(w, msg); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
