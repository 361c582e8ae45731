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

// countQuery counts the occurrences that were sent (fired, acknowledged, or
// a dose the person skipped) per kind and status; the index
// occurrences_outcomes holds everything it reads.
const countQuery = `SELECT kind, status, count(*) FROM occurrences
		WHERE scheduled_at >= ? AND scheduled_at < ?
		AND (status IN ('fired', 'acked') OR (status = 'skipped' AND reason = ?)) GROUP BY kind, status`

// Counts is what the stats count of the occurrence log over a window.
type Counts struct {
	// Sent counts, per kind, the occurrences that were sent (fired,
	// acknowledged, or skipped by the person), and Acked those
	// acknowledged.
	Sent, Acked map[domain.Kind]int
	// AckedAt lists when the acknowledged occurrences of the kind asked
	// for were due, oldest first.
	AckedAt []time.Time
}

// Count counts the occurrences due in [from, to): how many of each kind
// were sent and acknowledged, and when those of kind k that were
// acknowledged were due. The database counts them from one index, which
// holds all it needs, so a year of them takes a few milliseconds.
func (s *Store) Count(ctx context.Context, from, to time.Time, k domain.Kind) (Counts, error) {
	c := Counts{Sent: map[domain.Kind]int{}, Acked: map[domain.Kind]int{}}
	rows, err := s.db.QueryContext(ctx, countQuery, ms(from), msCeil(to), domain.ReasonByYou)
	if err != nil {
		return c, fmt.Errorf("count reminders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, status string
			n            int
		)
		if err := rows.Scan(&kind, &status, &n); err != nil {
			return c, fmt.Errorf("count reminders: %w", err)
		}
		c.Sent[domain.Kind(kind)] += n
		if domain.Status(status) == domain.StatusAcked {
			c.Acked[domain.Kind(kind)] += n
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("count reminders: %w", err)
	}
	ats, err := s.db.QueryContext(ctx, `SELECT scheduled_at FROM occurrences
		WHERE kind = ? AND status = 'acked' AND scheduled_at >= ? AND scheduled_at < ? ORDER BY scheduled_at`, string(k), ms(from), msCeil(to))
	if err != nil {
		return c, fmt.Errorf("count reminders: %w", err)
	}
	defer ats.Close()
	for ats.Next() {
		var at int64
		if err := ats.Scan(&at); err != nil {
			return c, fmt.Errorf("count reminders: %w", err)
		}
		c.AckedAt = append(c.AckedAt, fromMS(at))
	}
	return c, ats.Err()
}
