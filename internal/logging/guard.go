package logging

import (
	"errors"
	"io"
	"sync/atomic"
	"syscall"
)

// Guard returns a writer that passes writes to w until one fails because
// w's reader is gone (EPIPE on a pipe, ECONNRESET on the journal's stream
// socket), and from then on drops every line quietly. A daemon whose log
// reader exited has nobody to tell, and must not stop for it; retrying
// each line would only cost a failed system call per log line. Under
// systemd the journal keeps its stream connections across its own
// restarts, so a broken stream there means no journal either. Other
// errors (a full disk under a redirected stderr) are returned, and the
// next line is tried again.
func Guard(w io.Writer) io.Writer { return &guard{w: w} }

type guard struct {
	w    io.Writer
	gone atomic.Bool
}

func (g *guard) Write(p []byte) (int, error) {
	if g.gone.Load() {
		return len(p), nil
	}
	n, err := g.w.Write(p)
	if err != nil && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
		g.gone.Store(true)
		return len(p), nil
	}
	return n, err
}
