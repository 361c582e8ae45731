package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// ErrNotFound means no occurrence has the given ID.
var ErrNotFound = domain.ErrNotFound

const recordColumns = `id, kind, rule, at, title, body, why, status, reason, recorded_at, acked_at`

func scanRecord(sc interface{ Scan(...any) error }) (domain.Record, error) {
	var (
		r                domain.Record
		kind, at, status string
		recorded         int64
		acked            sql.NullInt64
	)
	if err := sc.Scan(&r.ID, &kind, &r.Rule, &at, &r.Title, &r.Body, &r.Why, &status, &r.Reason, &recorded, &acked); err != nil {
		return r, err
	}
	r.Kind, r.Status, r.RecordedAt = domain.Kind(kind), domain.Status(status), fromMS(recorded)
	if acked.Valid {
		t := fromMS(acked.Int64)
		r.AckedAt = &t
	}
	var err error
	r.At, err = time.Parse(time.RFC3339Nano, at)
	return r, err
}

// Record returns the logged occurrence id, with its deliveries counted by
// status.
func (s *Store) Record(ctx context.Context, id string) (domain.Record, error) {
	return record(ctx, s.db, id)
}

// Record returns the logged occurrence id, with its deliveries counted by
// status.
func (t *Tx) Record(id string) (domain.Record, error) { return record(t.ctx, t.tx, id) }

func record(ctx context.Context, q querier, id string) (domain.Record, error) {
	r, err := scanRecord(q.QueryRowContext(ctx, "SELECT "+recordColumns+" FROM occurrences WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return r, fmt.Errorf("read reminder %s: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, "SELECT status, count(*) FROM deliveries WHERE occurrence_id = ? GROUP BY status", id)
	if err != nil {
		return r, fmt.Errorf("read reminder %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			status string
			n      int
		)
		if err := rows.Scan(&status, &n); err != nil {
			return r, err
		}
		if r.Deliveries == nil {
			r.Deliveries = map[domain.Status]int{}
		}
		r.Deliveries[domain.Status(status)] = n
	}
	return r, rows.Err()
}

// Ack marks an occurrence as done and cancels its deliveries still waiting
// (repeats, a snooze, retries). It returns the record and the outbox rows it
// cancelled. Acknowledging twice changes nothing.
func (t *Tx) Ack(id string, now time.Time) (domain.Record, []int64, error) {
	r, err := t.Record(id)
	if err != nil {
		return r, nil, err
	}
	if r.Status != domain.StatusAcked {
		if _, err := t.tx.ExecContext(t.ctx, "UPDATE occurrences SET status = 'acked', acked_at = ? WHERE id = ?", ms(now), id); err != nil {
			return r, nil, fmt.Errorf("acknowledge %s: %w", id, err)
		}
	}
	cancelled, err := cancelPending(t.ctx, t.tx, id, 0, now)
	if err != nil {
		return r, nil, fmt.Errorf("acknowledge %s: %w", id, err)
	}
	// Read it back with its deliveries counted.
	r, err = t.Record(id)
	return r, cancelled, err
}

// Skip records a sent occurrence as skipped by the person
// (domain.ReasonByYou) and cancels its deliveries still waiting. It returns
// the record and the outbox rows it cancelled.
func (t *Tx) Skip(id string, now time.Time) (domain.Record, []int64, error) {
	res, err := t.tx.ExecContext(t.ctx, "UPDATE occurrences SET status = 'skipped', reason = ? WHERE id = ? AND status = 'fired'", domain.ReasonByYou, id)
	if err != nil {
		return domain.Record{}, nil, fmt.Errorf("skip %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return domain.Record{}, nil, fmt.Errorf("skip %s: %w", id, err)
	}
	if n != 1 {
		return domain.Record{}, nil, fmt.Errorf("%w: %s is not a sent reminder", domain.ErrInvalid, id)
	}
	cancelled, err := cancelPending(t.ctx, t.tx, id, 0, now)
	if err != nil {
		return domain.Record{}, nil, fmt.Errorf("skip %s: %w", id, err)
	}
	r, err := t.Record(id)
	return r, cancelled, err
}

// cancelPending cancels the occurrence's pending deliveries of dispatch
// minDispatch or later and returns their rows.
func cancelPending(ctx context.Context, tx *sql.Tx, id string, minDispatch int, now time.Time) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET status = 'cancelled', updated_at = ?
		WHERE occurrence_id = ? AND dispatch >= ? AND status = 'pending' RETURNING id`, ms(now), id, minDispatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var rid int64
		if err := rows.Scan(&rid); err != nil {
			return nil, err
		}
		out = append(out, rid)
	}
	return out, rows.Err()
}

// QueueFollowups adds one dispatch per follow-up for a recorded occurrence,
// each to every channel, numbered after the dispatches it already has. With
// replace, the occurrence's waiting follow-ups are cancelled first (a snooze
// replaces pending repeats). It returns the new deliveries and the rows it
// cancelled. An acknowledged occurrence gets nothing.
func (t *Tx) QueueFollowups(id string, channels []string, fs []domain.Followup, replace bool, now time.Time) ([]domain.Delivery, []int64, error) {
	var (
		out       []domain.Delivery
		cancelled []int64
	)
	r, err := scanRecord(t.tx.QueryRowContext(t.ctx, "SELECT "+recordColumns+" FROM occurrences WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("queue follow-ups of %s: %w", id, err)
	}
	if r.Status == domain.StatusAcked {
		return nil, nil, nil
	}
	if replace {
		if cancelled, err = cancelPending(t.ctx, t.tx, id, 1, now); err != nil {
			return nil, nil, fmt.Errorf("queue follow-ups of %s: %w", id, err)
		}
	}
	var n int
	if err := t.tx.QueryRowContext(t.ctx, "SELECT coalesce(max(dispatch), 0) FROM deliveries WHERE occurrence_id = ?", id).Scan(&n); err != nil {
		return nil, nil, fmt.Errorf("queue follow-ups of %s: %w", id, err)
	}
	for _, f := range fs {
		n++
		ds, err := t.queue(r.Occurrence, n, channels, f.At, f.Expires, now)
		if err != nil {
			return nil, nil, fmt.Errorf("queue follow-ups of %s: %w", id, err)
		}
		out = append(out, ds...)
	}
	return out, cancelled, nil
}

// History returns the occurrences due in [from, to), newest first, with
// their deliveries counted by status.
func (s *Store) History(ctx context.Context, from, to time.Time) ([]domain.Record, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+recordColumns+" FROM occurrences WHERE scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at DESC, id",
		ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	var out []domain.Record
	index := map[string]int{}
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("read history: %w", err)
		}
		index[r.ID] = len(out)
		out = append(out, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	drows, err := s.db.QueryContext(ctx, `SELECT d.occurrence_id, d.status, count(*) FROM deliveries d
		JOIN occurrences o ON o.id = d.occurrence_id
		WHERE o.scheduled_at >= ? AND o.scheduled_at < ? GROUP BY d.occurrence_id, d.status`, ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	defer drows.Close()
	for drows.Next() {
		var (
			id, status string
			n          int
		)
		if err := drows.Scan(&id, &status, &n); err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok {
			if out[i].Deliveries == nil {
				out[i].Deliveries = map[domain.Status]int{}
			}
			out[i].Deliveries[domain.Status(status)] = n
		}
	}
	return out, drows.Err()
}

// AddCramp adds an entry to the cramp journal and returns it with its ID.
func (t *Tx) AddCramp(c domain.Cramp, now time.Time) (domain.Cramp, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	var temp, humidity, index, dayMax sql.NullFloat64
	if w := c.Weather; w != nil {
		temp, humidity = sql.NullFloat64{Float64: w.TempC, Valid: true}, sql.NullFloat64{Float64: w.Humidity, Valid: true}
		index = sql.NullFloat64{Float64: w.HeatIndexF, Valid: true}
		if w.DayMaxHeatIndexF != nil {
			dayMax = sql.NullFloat64{Float64: *w.DayMaxHeatIndexF, Valid: true}
		}
	}
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO cramps (at, leg, muscle, severity, symptoms, note, source, created_at,
		weather_temp_c, weather_humidity, weather_heat_index_f, weather_day_max_heat_index_f)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		ms(c.At), c.Leg, c.Muscle, c.Severity, strings.Join(c.Symptoms, ","), c.Note, c.Source, ms(now),
		temp, humidity, index, dayMax).Scan(&c.ID)
	if err != nil {
		return c, fmt.Errorf("log cramp: %w", err)
	}
	return c, nil
}

// Cramps returns the journal entries in [from, to), oldest first.
func (s *Store) Cramps(ctx context.Context, from, to time.Time) ([]domain.Cramp, error) {
	return cramps(ctx, s.db, from, to)
}

// Cramps returns the journal entries in [from, to), oldest first.
func (t *Tx) Cramps(from, to time.Time) ([]domain.Cramp, error) { return cramps(t.ctx, t.tx, from, to) }

func cramps(ctx context.Context, q querier, from, to time.Time) ([]domain.Cramp, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, at, leg, muscle, severity, symptoms, note, source,
		weather_temp_c, weather_humidity, weather_heat_index_f, weather_day_max_heat_index_f FROM cramps
		WHERE at >= ? AND at < ? ORDER BY at, id`, ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read cramps: %w", err)
	}
	defer rows.Close()
	var out []domain.Cramp
	for rows.Next() {
		var (
			c                             domain.Cramp
			at                            int64
			symptoms                      string
			temp, humidity, index, dayMax sql.NullFloat64
		)
		if err := rows.Scan(&c.ID, &at, &c.Leg, &c.Muscle, &c.Severity, &symptoms, &c.Note, &c.Source, &temp, &humidity, &index, &dayMax); err != nil {
			return nil, fmt.Errorf("read cramps: %w", err)
		}
		if temp.Valid && humidity.Valid && index.Valid {
			c.Weather = &domain.Weather{TempC: temp.Float64, Humidity: humidity.Float64, HeatIndexF: index.Float64}
			if dayMax.Valid {
				c.Weather.DayMaxHeatIndexF = &dayMax.Float64
			}
		}
		c.At = fromMS(at)
		if symptoms != "" {
			c.Symptoms = strings.Split(symptoms, ",")
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MetaPauseUntil holds the end of a pause, in unix milliseconds.
const MetaPauseUntil = "pause_until"

// PauseUntil returns the end of the current pause, if one was set. The
// caller compares it with the time: an expired pause is no pause.
func (s *Store) PauseUntil(ctx context.Context) (time.Time, bool, error) {
	v, ok, err := s.Meta(ctx, MetaPauseUntil)
	if err != nil || !ok || v == "" {
		return time.Time{}, false, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read %s: %w", MetaPauseUntil, err)
	}
	return fromMS(n), true, nil
}

// SetPauseUntil pauses deliveries until t; the zero time ends the pause.
func (t *Tx) SetPauseUntil(until time.Time) error {
	v := ""
	if !until.IsZero() {
		v = strconv.FormatInt(ms(until), 10)
	}
	return t.SetMeta(MetaPauseUntil, v)
}
