package stats_test

import (
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/stats"
)

func TestHeatDay(t *testing.T) {
	loc := time.UTC
	tests := []struct {
		name string
		at   time.Time
		want string
	}{
		{name: "a night cramp follows the day before", at: time.Date(2027, 7, 21, 3, 0, 0, 0, loc), want: "2027-07-20"},
		{name: "an evening cramp follows its own day", at: time.Date(2027, 7, 20, 22, 0, 0, 0, loc), want: "2027-07-20"},
		{name: "an afternoon cramp its own day", at: time.Date(2027, 7, 20, 14, 0, 0, 0, loc), want: "2027-07-20"},
		{name: "just before noon is still the night", at: time.Date(2027, 7, 21, 11, 59, 0, 0, loc), want: "2027-07-20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := stats.HeatDay(tt.at, loc); got != tt.want {
				t.Errorf("HeatDay(%s) = %s, want %s", tt.at, got, tt.want)
			}
		})
	}
}

func TestDayMaxHeat(t *testing.T) {
	day := time.Date(2027, 7, 20, 0, 0, 0, 0, time.UTC)
	hours := []domain.WeatherHour{
		{At: day.Add(9 * time.Hour), TempC: 25, Humidity: 50, FetchedAt: day},
		{At: day.Add(15 * time.Hour), TempC: 35, Humidity: 50, FetchedAt: day},
		// Fetched three days before: not trusted.
		{At: day.Add(16 * time.Hour), TempC: 45, Humidity: 50, FetchedAt: day.AddDate(0, 0, -3)},
		{At: day.Add(30 * time.Hour), TempC: 20, Humidity: 50, FetchedAt: day},
	}
	got := stats.DayMaxHeat(hours, time.UTC)
	if len(got) != 2 || got["2027-07-20"] < 100 || got["2027-07-20"] > 110 || got["2027-07-21"] > 80 {
		t.Errorf("DayMaxHeat = %v", got)
	}
}
