package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// SaveForecast stores the hours of a fetched forecast in one transaction.
// It replaces every stored hour from the first of them to the end of the
// last: a newer forecast supersedes an older one where they overlap, even
// when the two disagree on where hours start (a zone whose offset moved by
// half an hour between them).
func (s *Store) SaveForecast(ctx context.Context, hours []domain.WeatherHour) error {
	if len(hours) == 0 {
		return nil
	}
	hours = slices.SortedFunc(slices.Values(hours), func(a, b domain.WeatherHour) int { return a.At.Compare(b.At) })
	return s.Do(ctx, func(tx *Tx) error {
		first, end := hours[0].At, hours[len(hours)-1].At.Add(time.Hour)
		if _, err := tx.tx.ExecContext(ctx, "DELETE FROM weather_hours WHERE at >= ? AND at < ?", ms(first), ms(end)); err != nil {
			return fmt.Errorf("store forecast: %w", err)
		}
		for _, h := range hours {
			if _, err := tx.tx.ExecContext(ctx, `INSERT INTO weather_hours (at, temp_c, humidity, latitude, longitude, fetched_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (at) DO UPDATE SET temp_c = excluded.temp_c, humidity = excluded.humidity,
				latitude = excluded.latitude, longitude = excluded.longitude, fetched_at = excluded.fetched_at`,
				ms(h.At), h.TempC, h.Humidity, h.Latitude, h.Longitude, ms(h.FetchedAt)); err != nil {
				return fmt.Errorf("store forecast: %w", err)
			}
		}
		return nil
	})
}

// Forecast returns the stored forecast hours that start in [from, to), in
// time order.
func (s *Store) Forecast(ctx context.Context, from, to time.Time) ([]domain.WeatherHour, error) {
	return forecast(ctx, s.db, from, to)
}

// Forecast returns the stored forecast hours that start in [from, to), in
// time order.
func (t *Tx) Forecast(from, to time.Time) ([]domain.WeatherHour, error) {
	return forecast(t.ctx, t.tx, from, to)
}

func forecast(ctx context.Context, q querier, from, to time.Time) ([]domain.WeatherHour, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, temp_c, humidity, latitude, longitude, fetched_at FROM weather_hours
		WHERE at >= ? AND at < ? ORDER BY at`, ms(from), msCeil(to))
	if err != nil {
		return nil, fmt.Errorf("read forecast: %w", err)
	}
	defer rows.Close()
	var out []domain.WeatherHour
	for rows.Next() {
		var (
			h           domain.WeatherHour
			at, fetched int64
		)
		if err := rows.Scan(&at, &h.TempC, &h.Humidity, &h.Latitude, &h.Longitude, &fetched); err != nil {
			return nil, fmt.Errorf("read forecast: %w", err)
		}
		h.At, h.FetchedAt = fromMS(at), fromMS(fetched)
		out = append(out, h)
	}
	return out, rows.Err()
}
