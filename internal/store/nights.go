package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/crampd/crampd/internal/domain"
)

const nightColumns = `night, answer, coalesce(cramp_id, 0), source, answered_at`

func scanNight(sc interface{ Scan(...any) error }) (domain.Night, error) {
	var (
		n        domain.Night
		answer   string
		answered int64
	)
	if err := sc.Scan(&n.Date, &answer, &n.CrampID, &n.Source, &answered); err != nil {
		return n, err
	}
	n.Answer, n.AnsweredAt = domain.Answer(answer), fromMS(answered)
	return n, nil
}

// Night returns the check-in's answer for the night that began on the
// evening of date (YYYY-MM-DD), and whether there is one.
func (t *Tx) Night(date string) (domain.Night, bool, error) {
	n, err := scanNight(t.tx.QueryRowContext(t.ctx, "SELECT "+nightColumns+" FROM nights WHERE night = ?", date))
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Night{}, false, nil
	}
	if err != nil {
		return n, false, fmt.Errorf("read the night of %s: %w", date, err)
	}
	return n, true, nil
}

// SetNight records the answer for a night, replacing an earlier one.
func (t *Tx) SetNight(n domain.Night) error {
	var cramp any
	if n.CrampID != 0 {
		cramp = n.CrampID
	}
	_, err := t.tx.ExecContext(t.ctx, `INSERT INTO nights (night, answer, cramp_id, source, answered_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (night) DO UPDATE SET answer = excluded.answer, cramp_id = excluded.cramp_id,
		source = excluded.source, answered_at = excluded.answered_at`,
		n.Date, string(n.Answer), cramp, n.Source, ms(n.AnsweredAt))
	if err != nil {
		return fmt.Errorf("record the night of %s: %w", n.Date, err)
	}
	return nil
}

// SetCrampSeverity changes a journal entry's severity (0 for none given),
// when a night's answer changes between cramp and severe.
func (t *Tx) SetCrampSeverity(id int64, severity int) error {
	if _, err := t.tx.ExecContext(t.ctx, "UPDATE cramps SET severity = ? WHERE id = ?", severity, id); err != nil {
		return fmt.Errorf("change cramp %d: %w", id, err)
	}
	return nil
}

// DeleteCramp removes a journal entry: the cramp a check-in logged, when
// the night's answer changes to no cramps.
func (t *Tx) DeleteCramp(id int64) error {
	if _, err := t.tx.ExecContext(t.ctx, "DELETE FROM cramps WHERE id = ?", id); err != nil {
		return fmt.Errorf("remove cramp %d: %w", id, err)
	}
	return nil
}

// Nights returns the check-in's answers for the nights from from to to
// (both YYYY-MM-DD, inclusive), oldest first.
func (s *Store) Nights(ctx context.Context, from, to string) ([]domain.Night, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+nightColumns+" FROM nights WHERE night >= ? AND night <= ? ORDER BY night", from, to)
	if err != nil {
		return nil, fmt.Errorf("read nights: %w", err)
	}
	defer rows.Close()
	var out []domain.Night
	for rows.Next() {
		n, err := scanNight(rows)
		if err != nil {
			return nil, fmt.Errorf("read nights: %w", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
