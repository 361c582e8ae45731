package desktop

import (
	"slices"
	"sync"
	"time"

	"github.com/crampd/crampd/internal/notify"
)

// Bounds on the notifications remembered for their buttons. Servers do not
// all report NotificationClosed (some keep notifications in a tray for
// days), so closing alone cannot keep the table small.
const (
	// maxShown is far more notifications than a reminder profile puts on
	// screen at once; past it the oldest are forgotten first.
	maxShown = 256
	// maxShownAge forgets a notification a day after it was shown: by then
	// the reminder is about a night that has passed, and the daemon has
	// fired newer ones whose buttons still work.
	maxShownAge = 24 * time.Hour
)

// shown is one notification on screen with Done and Snooze buttons.
type shown struct {
	// server is the unique bus name of the notification server that
	// returned the id. Ids are only unique per server: after a restart a
	// new server hands out the same small numbers to other applications.
	server     string
	occurrence string
	message    string
	// actions are the answers its buttons offer.
	actions []notify.Action
	at      time.Time
}

// shownTable maps notification ids to the reminders they show. It is
// bounded by size and age, and safe for concurrent use by the sender and
// the signal loop.
type shownTable struct {
	mu sync.Mutex
	m  map[uint32]shown
}

func newShownTable() *shownTable {
	return &shownTable{m: make(map[uint32]shown)}
}

// add remembers notification id, first forgetting expired entries and,
// when the table is full, the oldest one. A linear scan is fine: the table
// holds at most maxShown entries and grows by one per reminder.
func (t *shownTable) add(id uint32, e shown) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.m, id)
	var (
		oldest   uint32
		oldestAt time.Time
		found    bool
	)
	for k, v := range t.m {
		if e.at.Sub(v.at) >= maxShownAge {
			delete(t.m, k)
			continue
		}
		if !found || v.at.Before(oldestAt) {
			oldest, oldestAt, found = k, v.at, true
		}
	}
	if len(t.m) >= maxShown {
		delete(t.m, oldest)
	}
	t.m[id] = e
}

// take removes and returns the entry for id if server showed it with
// action among its buttons and it has not expired by now. Removing it is
// what makes the first answer the only one: a repeated ActionInvoked finds
// nothing. An action the notification did not offer leaves it as it was.
func (t *shownTable) take(id uint32, server string, action notify.Action, now time.Time) (shown, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[id]
	if !ok || e.server != server || !slices.Contains(e.actions, action) {
		return shown{}, false
	}
	delete(t.m, id)
	if now.Sub(e.at) >= maxShownAge {
		return shown{}, false
	}
	return e, true
}

// forget drops id once server reports the notification closed.
func (t *shownTable) forget(id uint32, server string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.m[id]; ok && e.server == server {
		delete(t.m, id)
	}
}

// len reports how many notifications are remembered.
func (t *shownTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
