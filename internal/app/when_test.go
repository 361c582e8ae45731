package app_test

import (
	"errors"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
)

func TestParseWhen(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	// 17:07 UTC is 18:07 in Berlin.
	now := time.Date(2026, 11, 28, 17, 7, 0, 0, time.UTC)
	tests := []struct {
		name, in, want string
		future         bool
	}{
		{name: "earlier today in the profile's zone", in: "03:10", want: "2026-11-28T03:10:00+01:00"},
		{name: "later today means yesterday", in: "19:00", want: "2026-11-27T19:00:00+01:00"},
		{name: "a minute ago in Berlin, not in UTC", in: "18:06", want: "2026-11-28T18:06:00+01:00"},
		{name: "date and time", in: "2026-11-28 03:10", want: "2026-11-28T03:10:00+01:00"},
		{name: "date T time", in: "2026-11-27T23:30", want: "2026-11-27T23:30:00+01:00"},
		{name: "RFC 3339 keeps its offset", in: "2026-11-28T03:10:00Z", want: "2026-11-28T04:10:00+01:00"},
		{name: "tomorrow", in: "2026-11-29 03:10", future: true},
		{name: "far future", in: "2099-01-01T00:00:00Z", future: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := app.ParseWhen(tt.in, now, berlin)
			if tt.future {
				if !errors.Is(err, app.ErrFuture) {
					t.Fatalf("%s: %v, %v; want ErrFuture", tt.in, got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, _ := time.Parse(time.RFC3339, tt.want)
			if !got.Equal(want) || got.Location() != berlin {
				t.Fatalf("%s read as %s, want %s in Europe/Berlin", tt.in, got, want)
			}
		})
	}
	if _, err := app.ParseWhen("3am", now, berlin); err == nil {
		t.Fatal("3am was read as a time")
	}
}
