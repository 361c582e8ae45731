package logging

import (
	"context"
	"encoding"
	"fmt"
	"log/slog"

	"github.com/crampd/crampd/internal/redact"
)

// scrubHandler removes every known secret from a record's message and
// attributes before the wrapped handler formats it. Doing it here, once,
// covers every log line, including errors from libraries that quote a URL
// or echo a receiver's answer.
type scrubHandler struct {
	next    slog.Handler
	secrets *redact.Set
}

// Scrub wraps next so that no secret in secrets reaches it.
func Scrub(next slog.Handler, secrets *redact.Set) slog.Handler {
	return &scrubHandler{next: next, secrets: secrets}
}

func (h *scrubHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *scrubHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, h.secrets.Scrub(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *scrubHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &scrubHandler{next: h.next.WithAttrs(clean), secrets: h.secrets}
}

func (h *scrubHandler) WithGroup(name string) slog.Handler {
	return &scrubHandler{next: h.next.WithGroup(name), secrets: h.secrets}
}

// attr scrubs one attribute. A value of any other kind than string is
// formatted the way the text handler would format it and replaced by the
// scrubbed text only when that text held a secret, so values without one keep
// their type for handlers that encode it.
func (h *scrubHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.secrets.Scrub(v.String()))
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindAny:
		text := formatAny(v.Any())
		if clean := h.secrets.Scrub(text); clean != text {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

func formatAny(x any) string {
	switch t := x.(type) {
	case error:
		return t.Error()
	case encoding.TextMarshaler:
		b, err := t.MarshalText()
		if err != nil {
			return fmt.Sprintf("%+v", x)
		}
		return string(b)
	case []byte:
		return string(t)
	}
	return fmt.Sprintf("%+v", x)
}
