package store

import (
	"context"
	"fmt"
	"time"
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
