package store

import (
	"context"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// Snoozes returns, for the occurrences due in [from, to) that wait for a
// snoozed sending, when it goes out. A snooze queues its sendings after
// the occurrence was recorded, while a medication's own repeats are queued
// with it, in the same transaction: that tells the two apart without
// storing anything more.
func (s *Store) Snoozes(ctx context.Context, from, to time.Time) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT o.id, min(d.next_attempt_at) FROM deliveries d
		JOIN occurrences o ON o.id = d.occurrence_id
		WHERE o.scheduled_at >= ? AND o.scheduled_at < ? AND d.status = 'pending'
		AND d.dispatch > 0 AND d.created_at > o.recorded_at
		GROUP BY o.id`, ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read snoozes: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var (
			id string
			at int64
		)
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("read snoozes: %w", err)
		}
		out[id] = fromMS(at)
	}
	return out, rows.Err()
}

// Outcomes returns the occurrences due in [from, to), newest first, with
// only what the stats count: kind, instant and status, without their ids,
// texts or deliveries. An index holds all three, so a year of them reads
// quickly.
func (s *Store) Outcomes(ctx context.Context, from, to time.Time) ([]domain.Record, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, scheduled_at, status FROM occurrences
		WHERE scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at DESC`, ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read outcomes: %w", err)
	}
	defer rows.Close()
	var out []domain.Record
	for rows.Next() {
		var (
			r            domain.Record
			kind, status string
			at           int64
		)
		if err := rows.Scan(&kind, &at, &status); err != nil {
			return nil, fmt.Errorf("read outcomes: %w", err)
		}
		r.Kind, r.Status, r.At = domain.Kind(kind), domain.Status(status), fromMS(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
