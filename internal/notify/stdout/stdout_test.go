package stdout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/stdout"
)

var now = time.Date(2025, 3, 14, 21, 30, 5, 0, time.UTC)

func message(id string, attempt int) notify.Message {
	zone := time.FixedZone("CET", 3600)
	return notify.Message{
		ID:      id,
		Attempt: attempt,
		Occurrence: domain.Occurrence{
			ID:    "hydration-0123456789ab",
			Kind:  domain.KindHydration,
			Rule:  "hydration/22:30",
			At:    time.Date(2025, 3, 14, 22, 30, 0, 0, zone),
			Title: "Drink water",
			Body:  "A glass of water before bed.",
			Why:   "Dehydration makes night cramps more likely.",
		},
	}
}

func TestNotifyWritesOneLine(t *testing.T) {
	var buf bytes.Buffer
	n := stdout.New(&buf, clockwork.NewFakeClockAt(now))

	if err := n.Notify(context.Background(), message("msg-1", 2)); err != nil {
		t.Fatalf("Notify: %v", err)
	}

	want := `{"type":"reminder.due","timestamp":"2025-03-14T21:30:05Z","data":{"id":"hydration-0123456789ab","kind":"hydration","title":"Drink water","body":"A glass of water before bed.","why":"Dehydration makes night cramps more likely.","scheduled_at":"2025-03-14T22:30:00+01:00","attempt":2,"message_id":"msg-1"}}` + "\n"
	if got := buf.String(); got != want {
		t.Errorf("line mismatch\n got: %s\nwant: %s", got, want)
	}
}

// overlapWriter fails the test if two writes overlap, which a missing mutex
// in the Notifier would allow.
type overlapWriter struct {
	mu     sync.Mutex
	active bool
	buf    bytes.Buffer
	t      *testing.T
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.active {
		w.t.Error("concurrent Write calls")
	}
	w.active = true
	w.mu.Unlock()

	// Write byte by byte so that an unserialized caller would interleave.
	for _, b := range p {
		w.mu.Lock()
		w.buf.WriteByte(b)
		w.mu.Unlock()
	}

	w.mu.Lock()
	w.active = false
	w.mu.Unlock()
	return len(p), nil
}

func TestNotifyConcurrentLinesDoNotInterleave(t *testing.T) {
	w := &overlapWriter{t: t}
	n := stdout.New(w, clockwork.NewFakeClockAt(now))

	const count = 50
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := n.Notify(context.Background(), message(fmt.Sprintf("msg-%d", i), 1)); err != nil {
				t.Errorf("Notify: %v", err)
			}
		}()
	}
	wg.Wait()

	seen := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(w.buf.String()))
	for sc.Scan() {
		var ev struct {
			Type string `json:"type"`
			Data struct {
				MessageID string `json:"message_id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("line is not valid JSON: %v\n%s", err, sc.Text())
		}
		seen[ev.Data.MessageID] = true
	}
	if len(seen) != count {
		t.Errorf("got %d distinct lines, want %d", len(seen), count)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestNotifyWriteErrorIsRetryable(t *testing.T) {
	n := stdout.New(failingWriter{}, clockwork.NewFakeClockAt(now))

	err := n.Notify(context.Background(), message("msg-1", 1))
	if err == nil {
		t.Fatal("Notify succeeded on a failing writer")
	}
	if notify.IsPermanent(err) {
		t.Errorf("write error %v is permanent, want retryable", err)
	}
}
