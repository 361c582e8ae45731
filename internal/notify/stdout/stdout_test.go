package stdout_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
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
	shared := &overlapWriter{t: t}
	out := stdout.NewWriter(shared)
	tests := []struct {
		name string
		w    *overlapWriter
		// notifiers builds the notifiers that write concurrently.
		notifiers func(w *overlapWriter) []*stdout.Notifier
	}{
		{name: "one notifier", w: &overlapWriter{t: t}, notifiers: func(w *overlapWriter) []*stdout.Notifier {
			return []*stdout.Notifier{stdout.New(w, clockwork.NewFakeClockAt(now))}
		}},
		// A reload builds a new notifier while the old one may still be
		// writing; sharing one Writer keeps their lines apart.
		{name: "notifiers of successive reloads", w: shared, notifiers: func(*overlapWriter) []*stdout.Notifier {
			return []*stdout.Notifier{stdout.New(out, clockwork.NewFakeClockAt(now)), stdout.New(out, clockwork.NewFakeClockAt(now))}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkNoInterleaving(t, tt.w, tt.notifiers(tt.w))
		})
	}
}

func checkNoInterleaving(t *testing.T, w *overlapWriter, ns []*stdout.Notifier) {
	t.Helper()
	const count = 50
	var wg sync.WaitGroup
	for i := range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := ns[i%len(ns)].Notify(context.Background(), message(fmt.Sprintf("msg-%d", i), 1)); err != nil {
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
	if errors.Is(err, notify.ErrUnavailable) {
		t.Errorf("write error %v marks the channel unavailable; only a reader that is gone or stuck does", err)
	}
}

func TestNotifyReaderGoneIsUnavailable(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	r.Close()
	n := stdout.New(w, clockwork.NewFakeClockAt(now))

	err = n.Notify(context.Background(), message("msg-1", 1))
	if !errors.Is(err, syscall.EPIPE) || !errors.Is(err, notify.ErrUnavailable) {
		t.Fatalf("Notify on a pipe without a reader = %v, want EPIPE marked unavailable", err)
	}
	if notify.IsPermanent(err) {
		t.Errorf("%v is permanent; the outbox must keep the reminder", err)
	}
}

// fullPipe returns a pipe whose buffer the test has filled, so that the
// next write blocks until someone reads r.
func fullPipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	// os.Pipe's ends are in the poller, so a deadline can tell when the
	// buffer is full. The notifier gets no such help: see stdout.Writer.
	w.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	chunk := bytes.Repeat([]byte{'.'}, 4096)
	for {
		if _, err := w.Write(chunk); err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("fill the pipe: %v", err)
			}
			break
		}
	}
	w.SetWriteDeadline(time.Time{})
	return r, w
}

func TestNotifyStuckReaderHonoursContext(t *testing.T) {
	r, w := fullPipe(t)
	n := stdout.New(w, clockwork.NewFakeClockAt(now))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := n.Notify(ctx, message("msg-1", 1))
	if !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, notify.ErrUnavailable) || notify.IsPermanent(err) {
		t.Fatalf("Notify on a full pipe = %v, want the context's deadline, marked unavailable and retryable", err)
	}

	// While that write is pending, others are refused at once rather than
	// queued behind it.
	ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
	defer cancel2()
	err = n.Notify(ctx2, message("msg-2", 1))
	if !errors.Is(err, notify.ErrUnavailable) || ctx2.Err() != nil {
		t.Fatalf("Notify behind a stuck write = %v (context: %v), want unavailable at once", err, ctx2.Err())
	}

	// The reader comes back: the stuck line arrives whole, after the
	// filler.
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- strings.TrimLeft(sc.Text(), ".")
		}
	}()
	if got := messageID(t, <-lines); got != "msg-1" {
		t.Fatalf("first line after the filler has message %q, want msg-1", got)
	}

	// The outbox retries msg-1: it is on the output already, so the retry
	// succeeds without a second copy. The write's goroutine records that
	// just after the reader got the line, hence the loop.
	deadline := time.Now().Add(10 * time.Second)
	for {
		err = n.Notify(context.Background(), message("msg-1", 2))
		if !errors.Is(err, notify.ErrUnavailable) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err != nil {
		t.Fatalf("retry of the line written late = %v, want nil", err)
	}
	if err := n.Notify(context.Background(), message("msg-3", 1)); err != nil {
		t.Fatalf("Notify after the reader came back: %v", err)
	}
	if got := messageID(t, <-lines); got != "msg-3" {
		t.Errorf("next line has message %q, want msg-3 (msg-1 printed twice?)", got)
	}
}

func messageID(t *testing.T, line string) string {
	t.Helper()
	var ev struct {
		Data struct {
			MessageID string `json:"message_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(line), &ev); err != nil {
		t.Fatalf("line is not valid JSON: %v\n%s", err, line)
	}
	return ev.Data.MessageID
}
