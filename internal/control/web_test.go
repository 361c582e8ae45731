package control_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// The report and the web sign-in answer over the socket like every other
// call: JSON, with the use case's refusals as 400s.
func TestReportAndWebLoginEndpoints(t *testing.T) {
	_, sock, _ := startDaemon(t)
	status, body := raw(t, sock, http.MethodGet, "/v1/report?weeks=4", "")
	var rep struct {
		Weeks      int               `json:"weeks"`
		Severities []json.RawMessage `json:"severities"`
		Disclaimer string            `json:"disclaimer"`
	}
	if status != http.StatusOK || json.Unmarshal([]byte(body), &rep) != nil || rep.Weeks != 4 || len(rep.Severities) != 11 || rep.Disclaimer == "" {
		t.Fatalf("report: %d %s", status, body)
	}
	for _, q := range []string{"weeks=0", "weeks=105", "weeks=x"} {
		if status, body := raw(t, sock, http.MethodGet, "/v1/report?"+q, ""); status != http.StatusBadRequest || !strings.HasPrefix(body, `{"error":`) {
			t.Errorf("report?%s: %d %s", q, status, body)
		}
	}
	// This daemon's profile has no [web] table.
	status, body = raw(t, sock, http.MethodPost, "/v1/web/login", "{}")
	if status != http.StatusBadRequest || !strings.Contains(body, "add a [web] table") {
		t.Fatalf("web login without a page: %d %s", status, body)
	}
	if status, _ := raw(t, sock, http.MethodGet, "/v1/web/login", ""); status != http.StatusMethodNotAllowed {
		t.Errorf("GET /v1/web/login: %d", status)
	}
}
