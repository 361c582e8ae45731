// Package regfile opens files that must be regular files, such as the
// profile and secret files. It opens them without blocking, so that a named
// pipe or a device put in a file's place cannot hang crampd, and checks the
// type of what it opened (after symbolic links), not of a path that could
// change in between.
package regfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// NotRegularError reports that a path leads to something other than a
// regular file.
type NotRegularError struct {
	// Kind says what it is instead: "a directory", "a named pipe"...
	Kind string
}

func (e *NotRegularError) Error() string { return "not a regular file (it is " + e.Kind + ")" }

// ErrTooLarge is returned by Read for a file over its limit.
var ErrTooLarge = errors.New("file is too large")

// Open opens name for reading without blocking and returns it with what
// fstat says of it. A file that is not regular is closed and reported as a
// *NotRegularError; errors from opening are returned as they are.
func Open(name string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, &NotRegularError{Kind: kind(fi.Mode())}
	}
	return f, fi, nil
}

// Read reads all of f, failing with ErrTooLarge past limit bytes; it never
// reads more than limit+1.
func Read(f *os.File, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
