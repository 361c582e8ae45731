package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/crampd/crampd/internal/domain"
)

// querier is what *sql.DB and *sql.Tx share, so that reads serve both a
// transaction and a plain query.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is one unit of work on the state database: what a use case decides and
// writes happens in it, atomically. Checks that guard a write (an action
// already handled, a nudge within its cooldown) are read inside the same
// transaction, so two callers at once cannot both pass them.
type Tx struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

// Do runs fn in a write transaction, committing if it returns nil. The
// transaction takes SQLite's write lock at its start (BEGIN IMMEDIATE), so
// concurrent callers run one after the other.
func (s *Store) Do(ctx context.Context, fn func(*Tx) error) error {
	if s.readOnly {
		return errors.New("the state database is open read-only")
	}
	// Never write into a database that is no longer in its directory.
	if err := s.Check(); err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return fn(&Tx{ctx: ctx, tx: tx, s: s}) })
}

// ErrDuplicate means an action was handled before; its effect stands and is
// not repeated.
var ErrDuplicate = errors.New("action already handled")

// Mark identifies an action a person took, so that handling it twice has
// its effect once.
type Mark struct {
	// Source says where the action came from: cli, desktop, ntfy, web.
	Source string
	// Nonce is unique per action within its source.
	Nonce        string
	Verb         string
	OccurrenceID string
}

// Mark records an action as handled. It returns ErrDuplicate when the same
// source and nonce were handled before: the caller rolls back and reports a
// no-op.
func (t *Tx) Mark(m Mark, now time.Time) error {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO actions (source, nonce, verb, occurrence_id, handled_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (source, nonce) DO NOTHING`, m.Source, m.Nonce, m.Verb, m.OccurrenceID, ms(now))
	if err != nil {
		return fmt.Errorf("record action: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("record action: %w", err)
	} else if n == 0 {
		return ErrDuplicate
	}
	return nil
}

// ErrLocked means another process holds the state directory.
var ErrLocked = errors.New("another crampd uses the state directory")

// Lock is an exclusive hold on a state directory, for the life of a daemon
// or of one command that writes without a daemon.
type Lock struct{ f *os.File }

// LockDir takes an exclusive lock on the state directory dir, creating it
// if needed. The lock is on the directory itself, which cannot be deleted
// from under a running daemon the way a lock file can. It fails at once
// with ErrLocked when another process holds it.
func LockDir(dir string) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", ErrLocked, dir)
		}
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	return &Lock{f: f}, nil
}

// Close releases the lock.
func (l *Lock) Close() error {
	if l == nil || l.f == nil {
		return nil
	}
	return l.f.Close()
}

// LastNudge returns when the last real doctor nudge (not a test fire) fell
// due.
func (t *Tx) LastNudge() (time.Time, bool, error) {
	return lastNudge(t.ctx, t.tx)
}

// LastNudge returns when the last real doctor nudge (not a test fire) fell
// due.
func (s *Store) LastNudge(ctx context.Context) (time.Time, bool, error) {
	return lastNudge(ctx, s.db)
}

func lastNudge(ctx context.Context, q querier) (time.Time, bool, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT max(scheduled_at) FROM occurrences
		WHERE kind = ? AND rule NOT LIKE ? AND status IN ('fired', 'acked')`,
		string(domain.KindDoctor), domain.ManualRule+"%").Scan(&v)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read the last doctor nudge: %w", err)
	}
	if !v.Valid {
		return time.Time{}, false, nil
	}
	return fromMS(v.Int64), true, nil
}

// ReleaseHeld makes the pending deliveries that a pause ending at pauseEnd
// held (their next attempt is its end) due at now, and returns their rows.
func (t *Tx) ReleaseHeld(pauseEnd, now time.Time) ([]int64, error) {
	if pauseEnd.IsZero() || !pauseEnd.After(now) {
		return nil, nil
	}
	rows, err := t.tx.QueryContext(t.ctx, `UPDATE deliveries SET next_attempt_at = ?, updated_at = ?
		WHERE status = 'pending' AND next_attempt_at = ? RETURNING id`, ms(now), ms(now), ms(pauseEnd))
	if err != nil {
		return nil, fmt.Errorf("release held deliveries: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("release held deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Queue counts the pending deliveries as a person sees them.
type Queue struct {
	// Waiting counts first sendings and retries: what is due now or held.
	Waiting int
	// Scheduled counts repeats and snoozes still to come.
	Scheduled int
	// Next is the first scheduled repeat or snooze, when there is one.
	Next *domain.Delivery
}

// Queue counts pending deliveries at now: waiting ones apart from repeats
// and snoozes scheduled for later.
func (s *Store) Queue(ctx context.Context, now time.Time) (Queue, error) {
	var q Queue
	err := s.db.QueryRowContext(ctx, `SELECT
		coalesce(sum(CASE WHEN dispatch = 0 OR next_attempt_at <= ? THEN 1 ELSE 0 END), 0),
		coalesce(sum(CASE WHEN dispatch > 0 AND next_attempt_at > ? THEN 1 ELSE 0 END), 0)
		FROM deliveries WHERE status = 'pending'`, ms(now), ms(now)).Scan(&q.Waiting, &q.Scheduled)
	if err != nil {
		return q, fmt.Errorf("count the outbox: %w", err)
	}
	if q.Scheduled == 0 {
		return q, nil
	}
	d, err := scanDelivery(s.db.QueryRowContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id
		WHERE d.status = 'pending' AND d.dispatch > 0 AND d.next_attempt_at > ?
		ORDER BY d.next_attempt_at, d.id LIMIT 1`, ms(now)))
	if err != nil {
		return q, fmt.Errorf("read the next repeat: %w", err)
	}
	q.Next = &d
	return q, nil
}

// AckAhead records an occurrence that has not come due yet as acknowledged
// (a dose taken early), so that it never fires. It reports false when the
// occurrence was recorded already.
func (t *Tx) AckAhead(o domain.Occurrence, now time.Time) (bool, error) {
	res, err := t.tx.ExecContext(t.ctx, `INSERT INTO occurrences
		(id, kind, rule, scheduled_at, at, title, body, why, status, reason, recorded_at, acked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'acked', 'acknowledged ahead', ?, ?) ON CONFLICT (id) DO NOTHING`,
		o.ID, string(o.Kind), o.Rule, ms(o.At), o.At.Format(time.RFC3339Nano), o.Title, o.Body, o.Why, ms(now), ms(now))
	if err != nil {
		return false, fmt.Errorf("acknowledge %s ahead: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// OpenEmpty returns a store in memory with the current schema and nothing
// in it, for commands that read a state directory where crampd never ran.
func OpenEmpty(ctx context.Context) (*Store, error) {
	db, err := sql.Open("sqlite", "file:crampd-empty?mode=memory&cache=shared")
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	// One connection: every connection to a memory database is its own.
	db.SetMaxOpenConns(1)
	s := &Store{db: db, path: ":memory:", readOnly: true, watch: watch{broken: make(chan struct{})}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}
