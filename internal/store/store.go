// Package store keeps crampd's state in one SQLite file: the occurrence log
// (what came due and what became of it), the delivery outbox, and small
// pieces of daemon state. Every write that matters is committed with
// synchronous=FULL before the daemon acts on it, so a crash never loses or
// repeats a reminder that was already due.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver

	"github.com/crampd/crampd/internal/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is an open state database. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// outcomes is a second handle on the same file for writes that only
	// spare a duplicate (a delivery's outcome, the catch-up mark). It
	// commits without fsync (synchronous=NORMAL): a killed process loses
	// nothing committed, and only a power cut can roll one back, which at
	// worst sends a reminder again under the same message ID. Records that
	// keep a reminder from being lost use db, with synchronous=FULL.
	outcomes *sql.DB
	path     string
	readOnly bool
	watch    watch

	// Prepared once: the hot statements of firing and delivering.
	insertOcc, insertDel, updateDel, pendingDel *sql.Stmt
}

// DefaultDir returns $XDG_STATE_HOME/crampd, falling back to
// ~/.local/state/crampd.
func DefaultDir(getenv func(string) string) string {
	if dir := getenv("XDG_STATE_HOME"); dir != "" {
		return filepath.Join(dir, "crampd")
	}
	home := getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".local", "state", "crampd")
}

// The errors Open and OpenReadOnly return for a database crampd cannot use
// as it is.
var (
	// ErrSchemaNewer means a newer crampd wrote the database.
	ErrSchemaNewer = errors.New("the state database is newer than this crampd")
	// ErrSchemaOlder means the database needs migrating, which only a
	// writer holding the state lock may do.
	ErrSchemaOlder = errors.New("the state database is older than this crampd")
	// ErrNoDatabase means the state directory holds no database yet.
	ErrNoDatabase = errors.New("no state database yet")
)

// dsn returns the connection string for the database at path. WAL lets
// readers (the control API, `crampd history`) run beside the daemon's
// writes; synchronous=FULL makes each commit durable before the reminder it
// records is sent; immediate transactions take the write lock up front, so
// two writers queue instead of failing mid-way.
func dsn(path, sync string, readOnly bool) string {
	mode := ""
	if readOnly {
		mode = "&mode=ro"
	}
	// The journal mode is stored in the file; Open sets it once (setWAL).
	return "file:" + path + "?_txlock=immediate" + mode +
		"&_pragma=busy_timeout(10000)&_pragma=synchronous(" + sync + ")" +
		"&_pragma=foreign_keys(ON)"
}

// Open opens (creating if needed) the database state.db in dir and brings
// its schema up to date. Only one process may migrate at a time: the
// daemon, or a command run without one, holds the state Lock first.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	path := filepath.Join(dir, "state.db")
	if err := checkPresence(dir, path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn(path, "FULL", false))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(4)
	s := &Store{db: db, path: path, watch: watch{broken: make(chan struct{})}}
	if err := setWAL(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		if corrupt(err) {
			err = fmt.Errorf("%w: %v; %s", ErrDamaged, err, damagedAdvice)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := s.quickCheck(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := markDirectory(dir); err != nil {
		db.Close()
		return nil, err
	}
	if s.outcomes, err = sql.Open("sqlite", dsn(path, "NORMAL", false)); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	s.outcomes.SetMaxOpenConns(2)
	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		s.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return s, nil
}

// OpenReadOnly opens the database in dir for reading, without the state
// lock and without migrating it: commands that only read use it whether or
// not a daemon runs. A database of another schema version is refused with
// ErrSchemaNewer or ErrSchemaOlder; a missing one with ErrNoDatabase.
func OpenReadOnly(ctx context.Context, dir string) (*Store, error) {
	path := filepath.Join(dir, "state.db")
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoDatabase, dir)
	}
	db, err := sql.Open("sqlite", dsn(path, "FULL", true))
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db.SetMaxOpenConns(2)
	s := &Store{db: db, path: path, readOnly: true, watch: watch{broken: make(chan struct{})}}
	version, err := schemaVersion(ctx, db)
	if err == nil {
		err = checkVersion(version, len(migrationNames()))
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func checkVersion(have, want int) error {
	switch {
	case have > want:
		return fmt.Errorf("%w (schema %d, this crampd knows %d): upgrade crampd", ErrSchemaNewer, have, want)
	case have < want:
		return fmt.Errorf("%w (schema %d, this crampd needs %d): start the daemon once to upgrade it", ErrSchemaOlder, have, want)
	}
	return nil
}

// prepare parses the hot statements once rather than on every call.
func (s *Store) prepare(ctx context.Context) (err error) {
	if s.insertOcc, err = s.db.PrepareContext(ctx, `INSERT INTO occurrences
		(id, kind, rule, scheduled_at, at, title, body, why, status, reason, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`); err != nil {
		return err
	}
	if s.insertDel, err = s.db.PrepareContext(ctx, `INSERT INTO deliveries
		(occurrence_id, dispatch, channel, message_id, status, next_attempt_at, expires_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)
		ON CONFLICT (occurrence_id, dispatch, channel) DO NOTHING RETURNING id`); err != nil {
		return err
	}
	// An outcome only ever updates a row that is still pending: one
	// cancelled meanwhile (the reminder was acknowledged during the
	// attempt) stays cancelled.
	if s.updateDel, err = s.outcomes.PrepareContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?,
		next_attempt_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`); err != nil {
		return err
	}
	s.pendingDel, err = s.outcomes.PrepareContext(ctx, `SELECT status = 'pending' FROM deliveries WHERE id = ?`)
	return err
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.insertOcc, s.insertDel, s.updateDel, s.pendingDel} {
		if st != nil {
			st.Close()
		}
	}
	if s.outcomes != nil {
		s.outcomes.Close()
	}
	return s.db.Close()
}

// Ping checks that the database answers a query; the systemd watchdog is
// only fed while it does.
func (s *Store) Ping(ctx context.Context) error {
	var n int
	return s.db.QueryRowContext(ctx, "SELECT 1").Scan(&n)
}

// migrationNames lists the embedded migrations in order.
func migrationNames() []string {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		panic(err) // the pattern is a constant
	}
	slices.Sort(names)
	return names
}

func schemaVersion(ctx context.Context, q querier) (int, error) {
	var version int
	if err := q.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return version, nil
}

// migrate applies the embedded migrations newer than the database's
// user_version, all in one transaction: a new database is made with one
// commit, and an upgrade is all or nothing. The version is read inside that
// transaction, so two processes migrating at once cannot both apply a step.
func (s *Store) migrate(ctx context.Context) error {
	names := migrationNames()
	return s.tx(ctx, func(tx *sql.Tx) error {
		version, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if version > len(names) {
			return checkVersion(version, len(names))
		}
		if version == len(names) {
			return nil
		}
		for _, name := range names[version:] {
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("apply %s: %w", name, err)
			}
		}
		_, err = tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(names)))
		return err
	})
}

// tx runs fn in a transaction, committing if it returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// msCeil rounds up to the millisecond, so that a half-open range ending
// just after an instant includes it.
func msCeil(t time.Time) int64 { return (t.UnixNano() + 999_999) / 1_000_000 }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

// Due is an occurrence to record as fired, with the channels that take it.
type Due struct {
	Occurrence domain.Occurrence
	Channels   []string
	// Expires is when retrying its deliveries stops.
	Expires time.Time
	// SendAt, when set, holds the first delivery until then (a nudge logged
	// in quiet hours waits for the morning).
	SendAt time.Time
	// Followups are later sendings (medication repeats) queued with it, in
	// the same transaction.
	Followups []domain.Followup
}

// RecordFired records the occurrences as fired in a transaction of its
// own; see Tx.RecordFired.
func (s *Store) RecordFired(ctx context.Context, now time.Time, due []Due) ([]domain.Delivery, error) {
	var out []domain.Delivery
	err := s.Do(ctx, func(tx *Tx) (err error) {
		out, err = tx.RecordFired(now, due)
		return err
	})
	return out, err
}

// RecordUnfired records missed or skipped occurrences in a transaction of
// its own; see Tx.RecordUnfired.
func (s *Store) RecordUnfired(ctx context.Context, now time.Time, occs []domain.Occurrence, status domain.Status, reason string) ([]string, error) {
	var ids []string
	err := s.Do(ctx, func(tx *Tx) (err error) {
		ids, err = tx.RecordUnfired(now, occs, status, reason)
		return err
	})
	return ids, err
}

// RecordFired records the occurrences as fired and queues a first delivery
// per channel (and their follow-ups), before anything is sent. Occurrences
// already recorded (fired, missed, skipped or acked) are left alone; it
// returns the deliveries queued for the newly recorded ones.
func (t *Tx) RecordFired(now time.Time, due []Due) ([]domain.Delivery, error) {
	var out []domain.Delivery
	for _, d := range due {
		ok, err := t.insertOccurrence(d.Occurrence, domain.StatusFired, "", now)
		if err != nil {
			return nil, fmt.Errorf("record fired occurrences: %w", err)
		}
		if !ok {
			continue
		}
		first := now
		if d.SendAt.After(now) {
			first = d.SendAt
		}
		ds, err := t.queue(d.Occurrence, 0, d.Channels, first, d.Expires, now)
		if err != nil {
			return nil, fmt.Errorf("record fired occurrences: %w", err)
		}
		out = append(out, ds...)
		for i, f := range d.Followups {
			ds, err := t.queue(d.Occurrence, i+1, d.Channels, f.At, f.Expires, now)
			if err != nil {
				return nil, fmt.Errorf("record fired occurrences: %w", err)
			}
			out = append(out, ds...)
		}
	}
	return out, nil
}

// RecordUnfired records occurrences that came due but were not sent, with
// status missed or skipped and a reason. It returns the IDs it newly
// recorded, leaving alone those already there.
func (t *Tx) RecordUnfired(now time.Time, occs []domain.Occurrence, status domain.Status, reason string) ([]string, error) {
	var ids []string
	for _, o := range occs {
		ok, err := t.insertOccurrence(o, status, reason, now)
		if err != nil {
			return nil, fmt.Errorf("record %s occurrences: %w", status, err)
		}
		if ok {
			ids = append(ids, o.ID)
		}
	}
	return ids, nil
}

func (t *Tx) insertOccurrence(o domain.Occurrence, status domain.Status, reason string, now time.Time) (bool, error) {
	res, err := t.tx.StmtContext(t.ctx, t.s.insertOcc).ExecContext(t.ctx,
		o.ID, string(o.Kind), o.Rule, ms(o.At), o.At.Format(time.RFC3339Nano), o.Title, o.Body, o.Why,
		string(status), reason, ms(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// queue adds one pending delivery of dispatch n per channel, first
// attempted at sendAt.
func (t *Tx) queue(o domain.Occurrence, n int, channels []string, sendAt, expires, now time.Time) ([]domain.Delivery, error) {
	var out []domain.Delivery
	ins := t.tx.StmtContext(t.ctx, t.s.insertDel)
	for _, ch := range channels {
		d := domain.Delivery{
			Dispatch: n, Channel: ch, MessageID: domain.MessageID(o.ID, n),
			Status: domain.StatusPending, NextAttemptAt: sendAt, ExpiresAt: expires, Occurrence: o,
		}
		err := ins.QueryRowContext(t.ctx, o.ID, n, ch, d.MessageID, ms(sendAt), ms(expires), ms(now), ms(now)).Scan(&d.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue // this dispatch was queued before
		}
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Recorded returns which of ids are in the occurrence log.
func (s *Store) Recorded(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	// Chunk to stay under SQLite's bound-parameter limit.
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		q := "SELECT id FROM occurrences WHERE id IN (?" + strings.Repeat(",?", len(chunk)-1) + ")"
		rows, err := s.db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up occurrences: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = true
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

const deliveryColumns = `d.id, d.dispatch, d.channel, d.message_id, d.status, d.attempts,
	d.next_attempt_at, d.expires_at, d.last_error,
	o.id, o.kind, o.rule, o.at, o.title, o.body, o.why`

func scanDelivery(sc interface{ Scan(...any) error }) (domain.Delivery, error) {
	var (
		d         domain.Delivery
		next, exp int64
		at, kind  string
		status    string
	)
	err := sc.Scan(&d.ID, &d.Dispatch, &d.Channel, &d.MessageID, &status, &d.Attempts, &next, &exp, &d.LastError,
		&d.Occurrence.ID, &kind, &d.Occurrence.Rule, &at, &d.Occurrence.Title, &d.Occurrence.Body, &d.Occurrence.Why)
	if err != nil {
		return d, err
	}
	d.Status, d.Occurrence.Kind = domain.Status(status), domain.Kind(kind)
	d.NextAttemptAt, d.ExpiresAt = fromMS(next), fromMS(exp)
	d.Occurrence.At, err = time.Parse(time.RFC3339Nano, at)
	return d, err
}

// Pending returns every pending delivery, soonest first. The daemon loads
// them at start, so deliveries interrupted by a crash or a stop are retried.
func (s *Store) Pending(ctx context.Context) ([]domain.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+deliveryColumns+`
		FROM deliveries d JOIN occurrences o ON o.id = d.occurrence_id
		WHERE d.status = 'pending' ORDER BY d.next_attempt_at, d.id`)
	if err != nil {
		return nil, fmt.Errorf("load outbox: %w", err)
	}
	defer rows.Close()
	var out []domain.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("load outbox: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// StillPending reports whether the delivery with row id is still waiting
// to be sent: false once the store has cancelled it (its reminder was
// acknowledged, skipped or snoozed) or recorded its outcome.
func (s *Store) StillPending(ctx context.Context, id int64) (bool, error) {
	var pending bool
	err := s.pendingDel.QueryRowContext(ctx, id).Scan(&pending)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read delivery %d: %w", id, err)
	}
	return pending, nil
}

// UpdateDelivery stores the outcome of an attempt: the delivery's status,
// attempt count, next attempt and last error. It only updates a row that is
// still pending, and reports whether it did: false means the delivery was
// cancelled while it was being attempted, and must stay so.
func (s *Store) UpdateDelivery(ctx context.Context, now time.Time, d domain.Delivery) (bool, error) {
	res, err := s.updateDel.ExecContext(ctx, string(d.Status), d.Attempts, ms(d.NextAttemptAt), d.LastError, ms(now), d.ID)
	if err != nil {
		return false, fmt.Errorf("update delivery %d: %w", d.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("update delivery %d: %w", d.ID, err)
	}
	return n == 1, nil
}

// Meta returns a value of the daemon's small key-value state.
func (s *Store) Meta(ctx context.Context, key string) (string, bool, error) {
	return meta(ctx, s.db, key)
}

func meta(ctx context.Context, q querier, key string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read %s: %w", key, err)
	}
	return v, true, nil
}

// SetMeta stores a value of the daemon's small key-value state in a
// transaction of its own.
func (s *Store) SetMeta(ctx context.Context, key, value string) error {
	return s.Do(ctx, func(tx *Tx) error { return tx.SetMeta(key, value) })
}

// SetMeta stores a value of the daemon's small key-value state.
func (t *Tx) SetMeta(key, value string) error {
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	if err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	return nil
}

// The meta keys the daemon uses.
const (
	// MetaLastSeen is the last wall-clock instant the daemon knew it was
	// running; catch-up after a restart scans from there.
	MetaLastSeen = "last_seen"
)

// LastSeen returns MetaLastSeen, or the zero time.
func (s *Store) LastSeen(ctx context.Context) (time.Time, error) {
	v, ok, err := s.Meta(ctx, MetaLastSeen)
	if err != nil || !ok {
		return time.Time{}, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("read %s: %w", MetaLastSeen, err)
	}
	return fromMS(n), nil
}

// SetLastSeen stores MetaLastSeen. Losing it to a power cut only makes the
// next start rescan further back, so it is written without fsync.
func (s *Store) SetLastSeen(ctx context.Context, t time.Time) error {
	_, err := s.outcomes.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value`, MetaLastSeen, strconv.FormatInt(ms(t), 10))
	if err != nil {
		return fmt.Errorf("write %s: %w", MetaLastSeen, err)
	}
	return nil
}

// DB exposes the database handle for read-only inspection in tests of
// other packages.
func (s *Store) DB() *sql.DB { return s.db }
