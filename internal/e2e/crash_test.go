package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestKillDuringDeliveryRedelivers kills crampd with SIGKILL while a webhook
// delivery is in flight, starts it again on the same state directory, and
// checks that the outbox sends that delivery again, under the same
// webhook-id (so the receiver can drop the duplicate) and freshly signed,
// and sends nothing else.
func TestKillDuringDeliveryRedelivers(t *testing.T) {
	t.Parallel()
	// A plain passphrase, not whsec_: crampd then signs with its bytes as
	// they are. The trailing newline is what an editor leaves; crampd trims
	// it.
	const secret = "correct horse battery staple"

	arrived := make(chan struct{}, 8)
	rc := newReceiver(t, func(n int, w http.ResponseWriter, r *http.Request, _ request) {
		arrived <- struct{}{}
		if n == 0 {
			// Hang like a receiver that accepted the connection and
			// stalled; only crampd's death ends the request.
			<-r.Context().Done()
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	s := newSandbox(t)
	s.writeFile("webhook.key", secret+"\n")
	at := soon(2 * time.Second)
	s.writeProfile(quietBase + custom("crash", cronAt(at), "Stretch your calves", "Ten seconds each side.", "Tight calves cramp.") + fmt.Sprintf(`
[[channel]]
type        = "webhook"
url         = %q
secret_file = "webhook.key"
`, rc.url("/hook")))

	first := s.run("crampd (first run)")
	waitArrival(t, first, arrived, time.Until(at)+10*time.Second)
	first.signal(syscall.SIGKILL)
	if st := first.wait(5 * time.Second); st.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("first crampd ended with %v, want killed by SIGKILL", st)
	}

	second := s.run("crampd (after restart)")
	waitArrival(t, second, arrived, 10*time.Second)
	second.waitStderr(5*time.Second, `msg="reminder delivered"`, "channel=webhook")
	second.stopCleanly()

	reqs := rc.requests()
	if len(reqs) != 2 {
		t.Fatalf("receiver got %d requests, want 2: the hung one and its redelivery", len(reqs))
	}
	id := reqs[0].Header.Get("webhook-id")
	if id == "" {
		t.Fatal("first request has no webhook-id")
	}
	for i, r := range reqs {
		if got := r.Header.Get("webhook-id"); got != id {
			t.Errorf("request %d: webhook-id = %q, want %q, the id of the interrupted delivery", i, got, id)
		}
		if err := checkSignature([]byte(secret), r); err != nil {
			t.Errorf("request %d: %v", i, err)
		}
	}
	if n := countLines(second.stderr.String(), `msg="reminder due"`); n != 0 {
		t.Errorf("restarted crampd fired %d reminders anew; the one it had already recorded must only be redelivered", n)
	}
}

// waitArrival waits for the receiver to signal a request, failing if d
// exits first.
func waitArrival(t *testing.T, d *proc, arrived <-chan struct{}, timeout time.Duration) {
	t.Helper()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-arrived:
	case <-d.done:
		t.Fatalf("%s exited (%v) before the receiver got a request", d.name, d.state)
	case <-timer.C:
		t.Fatalf("receiver got no request from %s within %v", d.name, timeout)
	}
}

// checkSignature verifies a Standard Webhooks signature with the standard
// library alone, not crampd's webhook.Sign, and checks that the timestamp is
// fresh, as receivers require to refuse replays.
func checkSignature(key []byte, r request) error {
	id, ts := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %w", ts, err)
	}
	if age := r.At.Sub(time.Unix(sec, 0)); age < -5*time.Second || age > time.Minute {
		return fmt.Errorf("webhook-timestamp %s is %v off the arrival time", ts, age)
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.", id, ts)
	mac.Write(r.Body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if got := r.Header.Get("webhook-signature"); !hmac.Equal([]byte(got), []byte(want)) {
		return fmt.Errorf("webhook-signature = %q, want %q", got, want)
	}
	return nil
}
