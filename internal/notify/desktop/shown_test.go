package desktop

import (
	"testing"
	"time"

	"github.com/crampd/crampd/internal/notify"
)

func TestShownTable(t *testing.T) {
	t0 := time.Date(2025, 3, 14, 22, 0, 0, 0, time.UTC)
	entry := func(occ string, at time.Time) shown {
		return shown{server: ":1.7", occurrence: occ, message: "msg-" + occ, actions: []notify.Action{notify.ActionDone, notify.ActionSnooze}, at: at}
	}

	tests := []struct {
		name string
		run  func(t *testing.T, tab *shownTable)
	}{
		{
			name: "take returns the entry once",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				if e, ok := tab.take(1, ":1.7", notify.ActionDone, t0); !ok || e.occurrence != "a" || e.message != "msg-a" {
					t.Fatalf("take = %+v, %v; want occurrence a", e, ok)
				}
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0); ok {
					t.Error("second take found the entry again")
				}
			},
		},
		{
			name: "another sender cannot take or forget",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				tab.forget(1, ":1.99")
				if _, ok := tab.take(1, ":1.99", notify.ActionDone, t0); ok {
					t.Error("take by another sender succeeded")
				}
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0); !ok {
					t.Error("the server's own take failed after a stranger's attempts")
				}
			},
		},
		{
			name: "only an offered answer takes the entry",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, shown{server: ":1.7", occurrence: "a", actions: []notify.Action{notify.ActionNone, notify.ActionCramp}, at: t0})
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0); ok {
					t.Error("an answer the notification did not offer took it")
				}
				if e, ok := tab.take(1, ":1.7", notify.ActionCramp, t0); !ok || e.occurrence != "a" {
					t.Errorf("take = %+v, %v; want occurrence a", e, ok)
				}
			},
		},
		{
			name: "forget drops the entry",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				tab.forget(1, ":1.7")
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0); ok {
					t.Error("took a forgotten entry")
				}
			},
		},
		{
			name: "an entry expires after maxShownAge",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				tab.add(2, entry("b", t0))
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0.Add(maxShownAge-time.Second)); !ok {
					t.Error("entry expired early")
				}
				if _, ok := tab.take(2, ":1.7", notify.ActionDone, t0.Add(maxShownAge)); ok {
					t.Error("took an expired entry")
				}
			},
		},
		{
			name: "adding sweeps expired entries",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				tab.add(2, entry("b", t0.Add(time.Hour)))
				tab.add(3, entry("c", t0.Add(maxShownAge)))
				if got := tab.len(); got != 2 {
					t.Errorf("len = %d, want 2 (the first entry expired)", got)
				}
			},
		},
		{
			name: "a full table forgets the oldest",
			run: func(t *testing.T, tab *shownTable) {
				for i := range maxShown + 10 {
					tab.add(uint32(i+1), entry("x", t0.Add(time.Duration(i)*time.Second)))
				}
				if got := tab.len(); got != maxShown {
					t.Errorf("len = %d, want %d", got, maxShown)
				}
				now := t0.Add(time.Hour)
				if _, ok := tab.take(10, ":1.7", notify.ActionDone, now); ok {
					t.Error("entry 10 survived although it was among the oldest")
				}
				if _, ok := tab.take(11, ":1.7", notify.ActionDone, now); !ok {
					t.Error("entry 11 was forgotten although it is the oldest kept")
				}
			},
		},
		{
			name: "a reused id replaces the old entry",
			run: func(t *testing.T, tab *shownTable) {
				tab.add(1, entry("a", t0))
				tab.add(1, shown{server: ":1.8", occurrence: "b", actions: []notify.Action{notify.ActionDone}, at: t0})
				if _, ok := tab.take(1, ":1.7", notify.ActionDone, t0); ok {
					t.Error("the old server's entry survived")
				}
				if e, ok := tab.take(1, ":1.8", notify.ActionDone, t0); !ok || e.occurrence != "b" {
					t.Errorf("take = %+v, %v; want occurrence b", e, ok)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.run(t, newShownTable()) })
	}
}
