package stdout

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"syscall"

	"github.com/crampd/crampd/internal/notify"
)

// Writer hands whole lines to an underlying writer, one at a time, and lets
// the caller of a write that blocks (a pipe whose reader stopped reading)
// stop waiting for it when its context ends.
//
// A write to standard output cannot be given a deadline without side
// effects. os.Stdout wraps a blocking descriptor that is not in Go's
// poller, so File.SetWriteDeadline returns os.ErrNoDeadline. Making the
// descriptor non-blocking would change the open file description that
// crampd shares with whoever gave it the pipe or terminal (a shell then
// reads EAGAIN), and reopening /proc/self/fd/1 works only for pipes and
// terminals (not the journal's socket, and it would drop a file's
// O_APPEND). And a deadline can cut a line longer than PIPE_BUF in two,
// after which every line the reader gets is garbage. So each line is
// written whole by a goroutine of its own; a caller whose context ends
// gets an error wrapping notify.ErrUnavailable and leaves the write to
// finish or fail when the reader reads again or goes away. Until it does,
// further lines are refused at once rather than queued behind it. If it
// finishes, its message is remembered, so that the outbox's retry of that
// message does not print it a second time.
//
// One Writer should stand for one output stream: the notifiers of
// successive reloads share it, so that their lines never interleave.
type Writer struct {
	w io.Writer
	// turn holds a token while a line is being written; a channel, unlike
	// a mutex, lets a waiting caller give up when its context ends.
	turn chan struct{}

	mu sync.Mutex
	// stuck is set while a write continues after its caller gave up.
	stuck bool
	// late holds the message IDs of lines written after their caller gave
	// up, newest last, until the retry that finds them there.
	late []string
}

// maxLate bounds Writer.late: each entry waits only for its message's
// next attempt, seconds away, unless the message expired meanwhile.
const maxLate = 16

// NewWriter returns a Writer for w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, turn: make(chan struct{}, 1)}
}

// Write writes p whole, after any line being written, waiting as long as
// that takes. It makes a Writer an io.Writer, so that it can travel where
// one is expected; deliveries use WriteLine.
func (w *Writer) Write(p []byte) (int, error) {
	if err := w.WriteLine(context.Background(), "", p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// errStuck is returned while a write that outlived its caller is pending.
var errStuck = errors.New("standard output is not being read")

// write is one line's write, shared by its caller and its goroutine.
type write struct {
	done      chan struct{}
	err       error
	finished  bool
	abandoned bool
}

// WriteLine writes line, which should end in a newline, as the delivery of
// message id. It returns nil once the line is written (or was already,
// by an earlier attempt at id that outlived its caller), an error wrapping
// notify.ErrUnavailable when the reader is gone or not reading, and
// otherwise the underlying writer's error.
func (w *Writer) WriteLine(ctx context.Context, id string, line []byte) error {
	w.mu.Lock()
	if i := slices.Index(w.late, id); i >= 0 && id != "" {
		w.late = slices.Delete(w.late, i, i+1)
		w.mu.Unlock()
		return nil
	}
	stuck := w.stuck
	w.mu.Unlock()
	if stuck {
		return notify.Unavailable(errStuck)
	}
	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("wait for standard output: %w", ctx.Err())
	}

	wr := &write{done: make(chan struct{})}
	go func() {
		_, err := w.w.Write(line)
		w.mu.Lock()
		wr.err, wr.finished = err, true
		if wr.abandoned {
			w.stuck = false
			if err == nil && id != "" {
				w.late = append(w.late, id)
				if len(w.late) > maxLate {
					w.late = slices.Delete(w.late, 0, len(w.late)-maxLate)
				}
			}
		}
		w.mu.Unlock()
		close(wr.done)
		<-w.turn
	}()

	select {
	case <-wr.done:
	case <-ctx.Done():
		w.mu.Lock()
		// The write may have finished as the context ended; its outcome
		// then stands.
		if !wr.finished {
			wr.abandoned, w.stuck = true, true
			w.mu.Unlock()
			return notify.Unavailable(fmt.Errorf("%w: %w", errStuck, ctx.Err()))
		}
		w.mu.Unlock()
	}
	return classify(wr.err)
}

// classify turns a write error into the outbox's terms: a reader that has
// gone (a broken pipe, a closed journal stream) will not come back for
// this process, so the channel is unavailable and logged once; anything
// else (a full disk under a redirected stdout) is an ordinary retry.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET):
		return notify.Unavailable(fmt.Errorf("the reader of standard output is gone: %w", err))
	default:
		return err
	}
}
