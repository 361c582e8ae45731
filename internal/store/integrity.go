package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Errors about the state database's files.
var (
	// ErrDamaged means SQLite's integrity check failed.
	ErrDamaged = errors.New("the state database is damaged")
	// ErrGone means the database crampd uses was removed, emptied or
	// replaced.
	ErrGone = errors.New("the state database is gone")
)

// markerName is a file beside state.db that says the directory holds a
// database. A missing or empty state.db next to it was lost, not never
// made, and must not silently start over.
const markerName = "state.id"

// damagedAdvice says what to do about a damaged or lost database.
const damagedAdvice = "stop crampd, move the state directory aside (keep it: `sqlite3 state.db .recover` may save the history), and start crampd again to begin a new one; see the README's \"A damaged state database\""

// checkPresence refuses a missing or empty database in a directory whose
// marker says it held one.
func checkPresence(dir, path string) error {
	fi, err := os.Stat(path)
	present := err == nil && fi.Size() > 0
	if present {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, markerName)); err == nil {
		what := "is missing"
		if fi != nil {
			what = "is empty"
		}
		return fmt.Errorf("%w: %s %s, but %s says this directory held one; restore it from a backup, or %s",
			ErrGone, path, what, filepath.Join(dir, markerName), damagedAdvice)
	}
	return nil
}

// markDirectory writes the marker if there is none yet (a new directory,
// or one from before markers).
func markDirectory(dir string) error {
	path := filepath.Join(dir, markerName)
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	id := make([]byte, 8)
	rand.Read(id)
	if err := os.WriteFile(path, []byte(hex.EncodeToString(id)+"\n"), 0o600); err != nil {
		return fmt.Errorf("mark the state directory: %w", err)
	}
	return nil
}

// quickCheck runs SQLite's integrity check, which reads every page: a
// damaged database is refused at start rather than failing later in the
// middle of a command.
func (s *Store) quickCheck(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check(5)")
	if err != nil {
		if corrupt(err) {
			return fmt.Errorf("%w: %v; %s", ErrDamaged, err, damagedAdvice)
		}
		return fmt.Errorf("check the database: %w", err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		found = append(found, line)
	}
	if err := rows.Err(); err != nil {
		if corrupt(err) {
			return fmt.Errorf("%w: %v; %s", ErrDamaged, err, damagedAdvice)
		}
		return fmt.Errorf("check the database: %w", err)
	}
	if len(found) == 1 && found[0] == "ok" {
		return nil
	}
	return fmt.Errorf("%w (%s); %s", ErrDamaged, strings.Join(found, "; "), damagedAdvice)
}

// setWAL puts the database in WAL mode, which lasts in the file. Another
// process switching the same new database at the same moment makes SQLite
// answer "busy" at once rather than wait (it would deadlock), so a few
// short tries are made.
func setWAL(ctx context.Context, db *sql.DB) error {
	var err error
	for try := range 20 {
		var mode string
		if err = db.QueryRowContext(ctx, "PRAGMA journal_mode=WAL").Scan(&mode); err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") {
			break
		}
		select {
		case <-time.After(time.Duration(try+1) * 10 * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err != nil {
		return fmt.Errorf("switch to WAL: %w", err)
	}
	return nil
}

// corrupt reports whether err is SQLite saying the file is damaged or not
// a database at all.
func corrupt(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_CORRUPT") || strings.Contains(msg, "SQLITE_NOTADB") ||
		strings.Contains(msg, "malformed") || strings.Contains(msg, "not a database")
}

// watch records that the files under a running store went away.
type watch struct {
	once   sync.Once
	broken chan struct{}
	err    error
}

// Broken is closed once the store found its files removed or replaced
// under it; Err then says what happened. The daemon stops rather than
// write into a file nobody can open again.
func (s *Store) Broken() <-chan struct{} { return s.watch.broken }

// Err returns why the store is broken, or nil.
func (s *Store) Err() error {
	select {
	case <-s.watch.broken:
		return s.watch.err
	default:
		return nil
	}
}

// Check looks for the database or its write-ahead log removed or replaced
// under the running store: SQLite would go on writing to files that are no
// longer in the directory, and lose it all at the next start. It reports
// ErrGone, and Broken is closed.
func (s *Store) Check() error {
	if err := s.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return nil
	}
	err := s.checkFiles()
	if err != nil {
		s.watch.once.Do(func() {
			s.watch.err = err
			close(s.watch.broken)
		})
		return s.watch.err
	}
	return nil
}

func (s *Store) checkFiles() error {
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s was removed while crampd ran; %s", ErrGone, s.path, damagedAdvice)
	}
	// The files SQLite holds open: one that was removed or replaced shows
	// as deleted, since its name now leads elsewhere or nowhere.
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil // not Linux: the stat above is all there is
	}
	for _, e := range entries {
		target, err := os.Readlink("/proc/self/fd/" + e.Name())
		if err != nil {
			continue
		}
		name, deleted := strings.CutSuffix(target, " (deleted)")
		if deleted && (name == s.path || name == s.path+"-wal" || name == s.path+"-shm") {
			return fmt.Errorf("%w: %s was removed or replaced while crampd ran; %s", ErrGone, name, damagedAdvice)
		}
	}
	return nil
}
