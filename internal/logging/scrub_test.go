package logging_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"testing/slogtest"

	"github.com/crampd/crampd/internal/logging"
	"github.com/crampd/crampd/internal/redact"
)

const token = "tk_s3cr3t0123456789"

type valuer struct{}

func (valuer) LogValue() slog.Value { return slog.StringValue("resolved " + token) }

type url struct{ raw string }

func (u url) String() string { return u.raw }

func TestScrubRemovesSecretsFromEveryPartOfARecord(t *testing.T) {
	var secrets redact.Set
	secrets.Add(token)
	tests := []struct {
		name string
		log  func(*slog.Logger)
	}{
		{"message", func(l *slog.Logger) { l.Info("sent with " + token) }},
		{"string attr", func(l *slog.Logger) { l.Info("sent", "auth", "Bearer "+token) }},
		{"error attr", func(l *slog.Logger) { l.Warn("failed", "err", fmt.Errorf("post: %w", errors.New("echo "+token))) }},
		{"stringer attr", func(l *slog.Logger) { l.Info("sent", "url", url{"https://h/?t=" + token}) }},
		{"bytes attr", func(l *slog.Logger) { l.Info("sent", "body", []byte("echo "+token)) }},
		{"group", func(l *slog.Logger) { l.Info("sent", slog.Group("req", "header", token)) }},
		{"with attrs", func(l *slog.Logger) { l.With("token", token).Info("sent") }},
		{"with group", func(l *slog.Logger) { l.WithGroup("g").Info("sent", "x", token) }},
		{"log valuer", func(l *slog.Logger) { l.Info("sent", "v", valuer{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			tt.log(slog.New(logging.Scrub(slog.NewTextHandler(&buf, nil), &secrets)))
			out := buf.String()
			if strings.Contains(out, "s3cr3t") {
				t.Errorf("log line leaks the secret: %s", out)
			}
			if !strings.Contains(out, redact.Mask) {
				t.Errorf("log line lost the masked value: %s", out)
			}
		})
	}
}

func TestScrubKeepsValuesWithoutSecrets(t *testing.T) {
	var secrets redact.Set
	secrets.Add(token)
	var buf bytes.Buffer
	slog.New(logging.Scrub(slog.NewJSONHandler(&buf, nil), &secrets)).Info("sent", "attempts", 3, "ok", true, "m", map[string]int{"a": 1})
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["attempts"] != float64(3) || rec["ok"] != true {
		t.Errorf("record = %v", rec)
	}
	if m, ok := rec["m"].(map[string]any); !ok || m["a"] != float64(1) {
		t.Errorf("map attr = %#v", rec["m"])
	}
}

// The wrapper must still behave as a slog.Handler.
func TestScrubHandlerConforms(t *testing.T) {
	var buf bytes.Buffer
	var secrets redact.Set
	h := logging.Scrub(slog.NewJSONHandler(&buf, nil), &secrets)
	results := func() []map[string]any {
		var out []map[string]any
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatal(err)
			}
			out = append(out, m)
		}
		return out
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Fatal(err)
	}
}

func TestNewScrubsTheProcessSecrets(t *testing.T) {
	redact.Add("proc-secret-0123456789")
	var buf bytes.Buffer
	logging.New(&buf, slog.LevelInfo, true).Info("x", "err", errors.New("echo proc-secret-0123456789"))
	if strings.Contains(buf.String(), "proc-secret") {
		t.Errorf("log leaks a process secret: %s", buf.String())
	}
}
