package logging_test

import (
	"io"
	"log/slog"
	"os"
	"syscall"
	"testing"

	"github.com/crampd/crampd/internal/logging"
)

// countingWriter counts the writes that reach w.
type countingWriter struct {
	w     io.Writer
	calls int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.calls++
	return c.w.Write(p)
}

// failWriter fails every write with err.
type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

// readerGone returns the write end of a pipe whose reader has exited.
func readerGone(t *testing.T) io.Writer {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	t.Cleanup(func() { w.Close() })
	return w
}

func TestGuard(t *testing.T) {
	tests := []struct {
		name string
		w    func(t *testing.T) io.Writer
		// wantErr: the guard passes the write's error on.
		wantErr bool
		// wantCalls is how many of three writes reach the writer.
		wantCalls int
	}{
		{name: "reader gone", w: readerGone, wantErr: false, wantCalls: 1},
		{name: "journal stream reset", w: func(*testing.T) io.Writer { return failWriter{syscall.ECONNRESET} }, wantErr: false, wantCalls: 1},
		{name: "disk full, may recover", w: func(*testing.T) io.Writer { return failWriter{syscall.ENOSPC} }, wantErr: true, wantCalls: 3},
		{name: "working writer", w: func(*testing.T) io.Writer { return io.Discard }, wantErr: false, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cw := &countingWriter{w: tt.w(t)}
			g := logging.Guard(cw)
			for i := range 3 {
				line := []byte("level=INFO msg=\"reminder due\"\n")
				n, err := g.Write(line)
				if (err != nil) != tt.wantErr {
					t.Errorf("write %d: error %v, want an error: %v", i+1, err, tt.wantErr)
				}
				if err == nil && n != len(line) {
					t.Errorf("write %d: wrote %d of %d bytes without an error", i+1, n, len(line))
				}
			}
			if cw.calls != tt.wantCalls {
				t.Errorf("%d writes reached the writer, want %d", cw.calls, tt.wantCalls)
			}
		})
	}
}

// TestLoggerOnBrokenPipe logs through New on a pipe without a reader: the
// process (whose fd is not 1 or 2 here, so Go does not raise SIGPIPE)
// must simply carry on.
func TestLoggerOnBrokenPipe(t *testing.T) {
	cw := &countingWriter{w: readerGone(t)}
	log := logging.New(logging.Guard(cw), slog.LevelInfo, false)
	for range 5 {
		log.Info("reminder due", "id", "hydration-0123456789ab")
	}
	if cw.calls != 1 {
		t.Errorf("%d log lines were written to a pipe without a reader, want 1 (then none)", cw.calls)
	}
}
