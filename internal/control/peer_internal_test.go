package control

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/crampd/crampd/internal/app"
)

// statusOnly answers Status; the peer check runs before any other call.
type statusOnly struct{ Service }

func (statusOnly) Status(context.Context) (app.Status, error) { return app.Status{Zone: "UTC"}, nil }

// Only the daemon's own user may control it; the system service also lets
// root in, to administer it. The daemon's uid is set here, so that the
// test means the same whoever runs it.
func TestPeerRules(t *testing.T) {
	const self = 4242
	for _, tt := range []struct {
		name      string
		allowRoot bool
		peer      int
		want      int
	}{
		{"own user", false, self, http.StatusOK},
		{"another user", false, 1000, http.StatusForbidden},
		{"root to a user's daemon", false, 0, http.StatusForbidden},
		{"root to the system service", true, 0, http.StatusOK},
		{"another user to the system service", true, 1000, http.StatusForbidden},
		{"an unknown peer", true, -1, http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := NewServer(statusOnly{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			s.self = self
			if tt.allowRoot {
				s.AllowRoot()
			}
			req := httptest.NewRequestWithContext(WithPeer(context.Background(), tt.peer), http.MethodGet, "/v1/status", nil)
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
}
