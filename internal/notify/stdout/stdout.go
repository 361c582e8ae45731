// Package stdout delivers reminders as JSON lines on a writer, normally the
// process's standard output, so that crampd can feed a shell pipeline, a
// status bar or a journal without any other service.
package stdout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/payload"
)

// Notifier writes one JSON line per delivery. It is safe for concurrent use.
type Notifier struct {
	clock clockwork.Clock
	// out writes each line whole, so that concurrent deliveries never
	// interleave, even on writers that split large writes.
	out *Writer
}

// New returns a Notifier that writes to w and stamps each line with clock's
// time. Give it a *Writer to share one output stream between notifiers
// (those of successive reloads); any other writer gets a Writer of its own.
func New(w io.Writer, clock clockwork.Clock) *Notifier {
	out, ok := w.(*Writer)
	if !ok {
		out = NewWriter(w)
	}
	return &Notifier{out: out, clock: clock}
}

// Notify writes m as one line with the same data as the webhook payload plus
// the message id, which has no header to travel in here. A failed write is
// retryable: a full disk may recover. A reader that is gone or has stopped
// reading makes the channel unavailable (notify.ErrUnavailable), and ctx
// bounds how long Notify waits for it.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ev := payload.New(m, n.clock.Now())
	ev.Data.MessageID = m.ID
	line, err := json.Marshal(ev)
	if err != nil {
		return notify.Permanent(fmt.Errorf("encode reminder: %w", err))
	}
	line = append(line, '\n')
	if err := n.out.WriteLine(ctx, m.ID, line); err != nil {
		return fmt.Errorf("write reminder line: %w", err)
	}
	return nil
}
