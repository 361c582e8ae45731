package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhookAndNtfyDelivery sends one custom reminder through a webhook and
// an ntfy channel at once and checks what each receiver got: the webhook's
// Standard Webhooks signature, verified by an independent Python
// implementation, and its JSON payload; ntfy's title, priority, tags and
// text. A third channel whose kinds exclude custom must get nothing.
func TestWebhookAndNtfyDelivery(t *testing.T) {
	t.Parallel()
	python := requireTool(t, "python3", "python3")
	verifier, err := filepath.Abs(filepath.Join("testdata", "verify_webhook.py"))
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 24)
	rand.Read(key)
	secret := "whsec_" + base64.StdEncoding.EncodeToString(key)
	verify := func(id, ts, sig string, body []byte) error {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, python, verifier, id, ts, sig)
		cmd.Env = append(cmd.Environ(), "WEBHOOK_SECRET="+secret)
		cmd.Stdin = bytes.NewReader(body)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("%s: %v: %s", filepath.Base(verifier), err, bytes.TrimSpace(out))
		}
		return nil
	}

	// The webhook receiver refuses what fails verification, as a real one
	// would; crampd then logs a failed delivery instead of a delivered one.
	var verifyMu sync.Mutex
	var verifyErrs []error
	hook := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request, req request) {
		err := verify(req.Header.Get("webhook-id"), req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), req.Body)
		verifyMu.Lock()
		verifyErrs = append(verifyErrs, err)
		verifyMu.Unlock()
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	phone := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request, _ request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"id":"e2e","event":"message","topic":"legs"}`)
	})

	// A non-ASCII title checks that ntfy's Title header survives encoding.
	const title, message, why = "Magnésium at lunch", "Have a handful of almonds.", "Magnesium helps muscles relax."
	// Three seconds ahead: crampd plan runs first.
	at := soon(3 * time.Second)
	s := newSandbox(t)
	s.writeProfile(quietBase + custom("lunch", cronAt(at), title, message, why) + fmt.Sprintf(`
[[channel]]
type       = "webhook"
name       = "hook"
url        = %q
secret_env = "CRAMPD_E2E_WEBHOOK_SECRET"
kinds      = ["custom", "medication"]

[[channel]]
type  = "ntfy"
name  = "phone"
url   = %q
kinds = ["custom"]

[[channel]]
type  = "stdout"
kinds = ["medication"]
`, hook.url("/crampd"), phone.url("/legs")))

	want := planned(t, s, at)
	d := s.run("crampd", "CRAMPD_E2E_WEBHOOK_SECRET="+secret)
	// Wait for each channel's first outcome, so that a refused delivery
	// fails the test at once instead of after a timeout.
	for _, ch := range []string{"hook", "phone"} {
		d.waitFor(time.Until(at)+10*time.Second, "a delivery outcome on channel "+ch, func() bool {
			logs := d.stderr.String()
			return lineWith(logs, `msg="reminder delivered"`, "channel="+ch+" ") != "" ||
				lineWith(logs, `msg="delivery failed for good"`, "channel="+ch+" ") != "" ||
				lineWith(logs, `msg="delivery will be retried"`, "channel="+ch+" ") != ""
		})
	}
	d.stopCleanly()

	logs := d.stderr.String()
	for _, ch := range []string{"hook", "phone"} {
		if n := countLines(logs, `msg="reminder delivered"`, "channel="+ch+" "); n != 1 {
			t.Errorf("channel %s: %d deliveries logged, want 1:\n%s", ch, n, lineWith(logs, "channel="+ch+" "))
		}
	}
	if out := d.stdout.String(); out != "" {
		t.Errorf("the stdout channel takes only medication, but printed:\n%s", out)
	}

	t.Run("webhook", func(t *testing.T) {
		reqs := hook.requests()
		if len(reqs) != 1 {
			t.Fatalf("webhook receiver got %d requests, want 1", len(reqs))
		}
		verifyMu.Lock()
		if err := verifyErrs[0]; err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		verifyMu.Unlock()
		r := reqs[0]
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q, want application/json", ct)
		}
		id, ts, sig := r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), r.Header.Get("webhook-signature")
		if id == "" || ts == "" || !strings.HasPrefix(sig, "v1,") {
			t.Errorf("headers webhook-id=%q webhook-timestamp=%q webhook-signature=%q, want all three, signature v1", id, ts, sig)
		}
		// The verifier must be able to say no, or its yes means nothing.
		tampered := bytes.Replace(r.Body, []byte("almonds"), []byte("crisps!"), 1)
		if err := verify(id, ts, sig, tampered); err == nil {
			t.Error("verifier accepted a tampered body")
		}

		var got event
		if err := json.Unmarshal(r.Body, &got); err != nil {
			t.Fatalf("body is not JSON: %v\n%s", err, r.Body)
		}
		if got.Type != "reminder.due" || got.Data.ID != want.ID || got.Data.Kind != "custom" ||
			got.Data.Title != title || got.Data.Body != message || got.Data.Why != why ||
			got.Data.ScheduledAt != want.At || got.Data.Attempt != 1 {
			t.Errorf("payload = %s\nwant type reminder.due, attempt 1 and the planned %+v", r.Body, want)
		}
		if bytes.Contains(r.Body, []byte("message_id")) {
			t.Errorf("payload carries message_id, which travels as the webhook-id header: %s", r.Body)
		}
	})

	t.Run("ntfy", func(t *testing.T) {
		reqs := phone.requests()
		if len(reqs) != 1 {
			t.Fatalf("ntfy receiver got %d requests, want 1", len(reqs))
		}
		r := reqs[0]
		raw := r.Header.Get("Title")
		var dec mime.WordDecoder
		gotTitle, err := dec.DecodeHeader(raw)
		if err != nil || gotTitle != title {
			t.Errorf("Title header %q decodes to %q (%v), want %q", raw, gotTitle, err, title)
		}
		if strings.ContainsFunc(raw, func(r rune) bool { return r > 0x7e }) {
			t.Errorf("Title header %q is not RFC 2047 encoded ASCII", raw)
		}
		if got := r.Header.Get("Priority"); got != "default" {
			t.Errorf("Priority = %q, want default for a custom reminder", got)
		}
		if got := r.Header.Get("Tags"); got != "bell,custom" {
			t.Errorf("Tags = %q, want bell,custom", got)
		}
		if got := r.Header.Get("Authorization"); got != "" {
			t.Errorf("Authorization = %q, want none: the channel has no token", got)
		}
		if got, want := string(r.Body), message+"\n\n"+why; got != want {
			t.Errorf("body = %q, want %q", got, want)
		}
	})
}

// plannedOccurrence is one entry of `crampd plan --json`.
type plannedOccurrence struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	At    string `json:"at"`
	Title string `json:"title"`
}

// planned asks `crampd plan` for the sandbox profile's occurrence at at, so
// the test expects what the plan says rather than a copy of how ids are made.
func planned(t *testing.T, s *sandbox, at time.Time) plannedOccurrence {
	t.Helper()
	p := s.crampd("crampd plan", nil, "plan", "--profile", s.profile, "--from", at.Format(time.RFC3339), "--days", "1", "--json")
	if st := p.wait(10 * time.Second); st.ExitCode() != 0 {
		t.Fatalf("crampd plan exited with %v:\n%s", st, p.stderr.String())
	}
	var occs []plannedOccurrence
	if err := json.Unmarshal([]byte(p.stdout.String()), &occs); err != nil {
		t.Fatalf("crampd plan --json: %v\n%s", err, p.stdout.String())
	}
	if len(occs) != 1 || occs[0].At != at.Format(time.RFC3339) {
		t.Fatalf("plan from %s = %+v, want the one custom reminder at that instant", at.Format(time.RFC3339), occs)
	}
	return occs[0]
}
