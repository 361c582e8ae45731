// Package logging builds crampd's structured logger: readable text with
// timestamps on a terminal, and plain logfmt without timestamps under the
// systemd journal, which stamps every line itself.
package logging

import (
	"io"
	"log/slog"

	"github.com/crampd/crampd/internal/redact"
)

// New returns a logger writing to w. underJournal drops timestamps (set it
// when $JOURNAL_STREAM is present). Every secret crampd has read is scrubbed
// from every line (see package redact).
func New(w io.Writer, level slog.Level, underJournal bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if underJournal {
		opts.ReplaceAttr = func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}
	}
	return slog.New(Scrub(slog.NewTextHandler(w, opts), redact.Process()))
}
