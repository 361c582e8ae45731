package replies_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/replies"
	"github.com/crampd/crampd/internal/testutil/ntfyserver"
	"github.com/crampd/crampd/internal/testutil/syncbuf"
)

// service stands in for the use cases: it records the actions handed to
// it and keeps the cursors, as the state database would.
type service struct {
	mu      sync.Mutex
	actions []app.Action
	cursors map[string]string
	fail    error
}

func newService() *service { return &service{cursors: map[string]string{}} }

func (s *service) Handle(_ context.Context, a app.Action) (app.ActionResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return app.ActionResult{}, s.fail
	}
	s.actions = append(s.actions, a)
	if a.Cursor != nil {
		s.cursors[a.Cursor.Key] = a.Cursor.Value
	}
	return app.ActionResult{}, nil
}

func (s *service) Cursor(_ context.Context, key string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[key], nil
}

func (s *service) MoveCursor(_ context.Context, c app.Cursor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[c.Key] = c.Value
	return nil
}

func (s *service) handled() []app.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]app.Action(nil), s.actions...)
}

func (s *service) cursor() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.cursors {
		return v
	}
	return ""
}

// syncBuffer collects what goroutines write while the test reads it.
type syncBuffer = syncbuf.Buffer

// rig is one subscriber to a reply topic on a fake clock.
type rig struct {
	t     *testing.T
	clock *clockwork.FakeClock
	svc   *service
	key   reply.Key
	logs  *syncBuffer
	sub   *replies.Subscriber
	url   string
	token string
}

func newRig(t *testing.T, url, token string, svc *service, key reply.Key) *rig {
	t.Helper()
	r := &rig{t: t, clock: clockwork.NewFakeClockAt(time.Date(2027, 6, 2, 7, 30, 0, 0, time.UTC)), svc: svc, key: key,
		logs: &syncBuffer{}, url: url, token: token}
	r.start()
	return r
}

func (r *rig) start() {
	r.sub = replies.New(replies.Config{
		Subscription: reply.Subscription{Channel: "phone", URL: r.url, Token: r.token},
		Key:          r.key, Service: r.svc, Clock: r.clock,
		Logger: slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err := r.sub.Start(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(r.stop)
}

func (r *rig) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.sub.Stop(ctx); err != nil {
		r.t.Error(err)
	}
}

// waitState waits for the subscription to reach state.
func (r *rig) waitState(state string) app.ReplyStatus {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := r.sub.Status()
		if st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("subscription %+v, want %s\nlogs:\n%s", st, state, r.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitHandled waits until n actions were handed over.
func (r *rig) waitHandled(n int) []app.Action {
	r.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.svc.handled()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d actions handled, want %d\nlogs:\n%s", len(got), n, r.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rig) signed(id string, a notify.Action, nonce string) string {
	r.t.Helper()
	body, err := r.key.Sign(reply.Press{OccurrenceID: id, Action: a, Nonce: nonce})
	if err != nil {
		r.t.Fatal(err)
	}
	return body
}

func newKey(t *testing.T) reply.Key {
	t.Helper()
	k, err := reply.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// The first start replays nothing the topic held before; a signed reply
// becomes an action with its nonce and the cursor past it; forged and
// stray messages move the cursor and are logged at most once a minute; a
// reply published twice is handed over twice with one nonce, for the use
// cases to take once.
func TestRepliesBecomeActions(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{})
	key := newKey(t)
	old, _ := key.Sign(reply.Press{OccurrenceID: "stretch-000000000001", Action: notify.ActionDone, Nonce: "stretch-000000000001"})
	s.Publish("replies", "", old)

	r := newRig(t, s.Base+"/replies", "", newService(), key)
	r.waitState(app.ReplyConnected)
	if c := r.svc.cursor(); c == "" {
		t.Fatal("the first start took no cursor")
	}
	body := r.signed("medication-0123456789ab", notify.ActionDone, "medication-0123456789ab.1")
	for _, b := range []string{"Done", "crampd1 x done y AAAA", r.signed("x", notify.ActionSkip, "y") + "tampered", body, body} {
		if code := s.Publish("replies", "", b); code != http.StatusOK {
			t.Fatalf("publish: %d", code)
		}
	}
	got := r.waitHandled(2)
	want := app.Action{OccurrenceID: "medication-0123456789ab", Verb: app.VerbDone, Source: app.SourceNtfy, Nonce: "medication-0123456789ab.1/done"}
	for i, a := range got {
		if a.OccurrenceID != want.OccurrenceID || a.Verb != want.Verb || a.Source != want.Source || a.Nonce != want.Nonce || a.Cursor == nil {
			t.Errorf("action %d = %+v, want %+v with a cursor", i, a, want)
		}
	}
	msgs := s.Poll("replies", "")
	if last := msgs[len(msgs)-1].ID; got[1].Cursor.Value != last || r.svc.cursor() != last {
		t.Errorf("cursor %q, want the last message %s", r.svc.cursor(), last)
	}
	if n := strings.Count(r.logs.String(), "reply ignored"); n != 1 {
		t.Errorf("three forged replies logged %d times within a minute, want once:\n%s", n, r.logs.String())
	}
	r.clock.Advance(time.Minute)
	s.Publish("replies", "", "forged again")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.logs.String(), "ignored=3") {
		if time.Now().After(deadline) {
			t.Fatalf("the next minute's line does not count the replies since the last:\n%s", r.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(r.svc.handled()) != 2 {
		t.Fatalf("handled %+v", r.svc.handled())
	}
}

// The server restarts while the subscription runs, and a button is pressed
// while crampd waits to reconnect: the reply is handled after it does, and
// nothing before it again. A subscription started anew (crampd restarted)
// resumes from its cursor.
func TestRepliesSurviveRestarts(t *testing.T) {
	s := ntfyserver.Start(t, ntfyserver.Options{})
	svc := newService()
	key := newKey(t)
	r := newRig(t, s.Base+"/replies", "", svc, key)
	r.waitState(app.ReplyConnected)
	s.Publish("replies", "", r.signed("stretch-000000000001", notify.ActionDone, "m1"))
	r.waitHandled(1)

	s.Restart()
	st := r.waitState(app.ReplyReconnecting)
	if st.Error == "" || strings.Contains(st.Error, s.Addr+"/replies") {
		t.Errorf("reconnecting status %+v: want an error that names no URL", st)
	}
	s.Publish("replies", "", r.signed("stretch-000000000002", notify.ActionSnooze, "m2"))
	r.clock.Advance(replies.MinBackoff)
	r.waitState(app.ReplyConnected)
	got := r.waitHandled(2)
	if got[1].OccurrenceID != "stretch-000000000002" {
		t.Fatalf("after reconnecting handled %+v", got[1])
	}

	r.stop()
	s.Publish("replies", "", r.signed("stretch-000000000003", notify.ActionDone, "m3"))
	r.start()
	got = r.waitHandled(3)
	r.waitState(app.ReplyConnected)
	time.Sleep(100 * time.Millisecond) // room for a wrong replay to arrive
	if got = r.svc.handled(); len(got) != 3 || got[2].OccurrenceID != "stretch-000000000003" {
		t.Fatalf("after a restart handled %+v, want the one pressed meanwhile, once", got)
	}
}

// A refused subscription says so and what to fix, logs it once, and keeps
// trying: once the token may read the topic, it connects.
func TestRefusedSubscription(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		fix    string
	}{
		{name: "no token", status: http.StatusForbidden, fix: "set secret_file"},
		{name: "a token the server does not know", status: http.StatusUnauthorized, fix: "does not know the token"},
		{name: "a token without access", status: http.StatusForbidden, fix: "may not read the reply topic"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := ntfyserver.Start(t, ntfyserver.Options{Auth: true})
			token := ""
			switch tt.name {
			case "a token the server does not know":
				token = "tk_0000000000000000000000000000"
			case "a token without access":
				token = s.Token("crampd", map[string]string{"elsewhere": "ro"})
			}
			r := newRig(t, s.Base+"/replies", token, newService(), newKey(t))
			st := r.waitState(app.ReplyRefused)
			if !strings.Contains(st.Error, fmt.Sprint(tt.status)) || !strings.Contains(st.Fix, tt.fix) {
				t.Fatalf("status %+v, want %d and a fix saying %q", st, tt.status, tt.fix)
			}
			if token == "" || tt.status == http.StatusUnauthorized {
				// Refused again a second later, and not logged again.
				r.clock.Advance(replies.MinBackoff)
				time.Sleep(100 * time.Millisecond)
				if n := strings.Count(r.logs.String(), "reply subscription refused"); n != 1 {
					t.Errorf("refusal logged %d times, want once:\n%s", n, r.logs.String())
				}
				return
			}
			s.Grant("crampd", "replies", "ro")
			r.clock.Advance(replies.MinBackoff)
			r.waitState(app.ReplyConnected)
		})
	}
}

// A stream that stays silent past IdleTimeout is taken for dead and
// reopened; failures back off from a second, doubling, to five minutes.
func TestIdleStreamAndBackoff(t *testing.T) {
	var mu sync.Mutex
	up := true
	conns := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok := up
		conns++
		mu.Unlock()
		if !ok {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		fmt.Fprintln(w, `{"id":"open1","time":1780000000,"event":"open","topic":"replies"}`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close) // after the subscriber stops: Close waits for its handler
	r := newRig(t, srv.URL+"/replies", "", newService(), newKey(t))
	r.waitState(app.ReplyConnected)
	mu.Lock()
	up = false
	mu.Unlock()
	// Silence reopens the stream at once; the server now fails it.
	r.clock.Advance(replies.IdleTimeout)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.sub.Status().Error, "502") {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v after the silence, want the failed reopening\n%s", r.sub.Status(), r.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(r.logs.String(), "silent; reopening") {
		t.Errorf("the silence was not logged:\n%s", r.logs.String())
	}
	// Every failed attempt waits twice as long, up to five minutes.
	var waits []time.Duration
	for w := time.Second; w < replies.MaxBackoff; w *= 2 {
		waits = append(waits, w)
	}
	waits = append(waits, replies.MaxBackoff, replies.MaxBackoff)
	for i, wait := range waits {
		mu.Lock()
		before := conns
		mu.Unlock()
		r.clock.Advance(wait - time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		early := conns != before
		mu.Unlock()
		if early {
			t.Fatalf("attempt %d came before its %s wait", i+2, wait)
		}
		r.clock.Advance(time.Millisecond)
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			n := conns
			mu.Unlock()
			if n > before {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no attempt after %s", wait)
			}
			time.Sleep(5 * time.Millisecond)
		}
		// Let the failure be recorded and the next wait armed.
		r.waitState(app.ReplyReconnecting)
		time.Sleep(20 * time.Millisecond)
	}
	mu.Lock()
	up = true
	mu.Unlock()
	r.clock.Advance(replies.MaxBackoff)
	r.waitState(app.ReplyConnected)
}

// A line far longer than any reply is skipped, and the reply after it is
// handled.
func TestHugeLinesAreSkipped(t *testing.T) {
	key := newKey(t)
	body, _ := key.Sign(reply.Press{OccurrenceID: "stretch-000000000001", Action: notify.ActionDone, Nonce: "m1"})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"id":"open1","time":1780000000,"event":"open","topic":"replies"}`)
		fmt.Fprintf(w, `{"id":"huge00000001","event":"message","message":"%s"}`+"\n", strings.Repeat("x", 1<<20))
		fmt.Fprintf(w, `{"id":"good00000001","event":"message","message":%q}`+"\n", body)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close) // after the subscriber stops: Close waits for its handler
	r := newRig(t, srv.URL+"/replies", "", newService(), key)
	got := r.waitHandled(1)
	if got[0].OccurrenceID != "stretch-000000000001" || r.svc.cursor() != "good00000001" {
		t.Fatalf("handled %+v, cursor %q", got, r.svc.cursor())
	}
}
