package control_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/control"
)

// FuzzRequests feeds arbitrary bodies to the endpoints that decode JSON,
// on a real daemon. No body may panic the server or get anything but a
// JSON answer with a 2xx or 4xx status.
func FuzzRequests(f *testing.F) {
	seeds := []string{
		`{"what":"stretch"}`, `{"what":"Walk"}`, `{"duration":"10m"}`, `{"until":"07:00"}`,
		`{"severity":9,"leg":"left","muscle":"calf","symptoms":["numbness"],"note":"x"}`,
		`{"at":"2027-06-01T09:00:00Z"}`, `{}`, `[]`, `null`, `{"what":`, `{"duration":"1e9h"}`,
		`{"answer":"severe"}`, `{"answer":"none","night":"2027-06-01"}`, `{"answer":"cramp","night":"9999-99-99"}`,
	}
	for _, s := range seeds {
		for path := range 5 {
			f.Add(uint8(path), s)
		}
	}
	d, _, _ := startDaemonFor(f)
	h := control.NewServer(d.Service(), slog.New(slog.NewTextHandler(io.Discard, nil))).Handler()
	paths := []string{"/v1/fire", "/v1/pause", "/v1/cramps", "/v1/reminders/custom-000000000000/snooze", "/v1/checkin"}
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req = req.WithContext(control.WithPeer(req.Context(), os.Getuid()))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 || rec.Code < 200 {
			t.Fatalf("POST %s %q: status %d: %s", path, body, rec.Code, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("POST %s %q: answer is not JSON: %s", path, body, rec.Body)
		}
		if rec.Code >= 400 && !strings.HasPrefix(rec.Body.String(), `{"error":`) {
			t.Fatalf("POST %s %q: error without an error field: %s", path, body, rec.Body)
		}
	})
}
