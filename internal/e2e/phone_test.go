package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/ntfyserver"
)

// TestPhoneTakenAcknowledgesTheDose runs the real binary against a real
// ntfy server with access control on (deny-all, and the three tokens the
// README describes). A dose fires; a phone subscribed to the reminder
// topic receives it with three buttons; the test does exactly what the
// ntfy app does with Taken (the action's method, URL, headers and body);
// `crampd history` then shows the dose acknowledged and its repeats
// cancelled, and `crampd status` the reply subscription connected.
func TestPhoneTakenAcknowledgesTheDose(t *testing.T) {
	t.Parallel()
	srv := ntfyserver.Start(t, ntfyserver.Options{Auth: true})
	tok := srv.PhoneTokens("cramps", "crampd-replies")
	publish, read, button, phoneToken := tok.Publish, tok.Read, tok.Button, tok.Phone

	// Dose times are whole minutes: the next one that leaves crampd a few
	// seconds to start.
	dose := time.Now().UTC().Add(5 * time.Second).Truncate(time.Minute).Add(time.Minute)
	s := newSandbox(t)
	s.writeFile("publish.token", publish+"\n")
	s.writeFile("read.token", read+"\n")
	s.writeFile("button.token", button+"\n")
	s.writeProfile(quietBase + fmt.Sprintf(`
[[medication]]
name        = "Pill"
times       = [%q]
repeat      = "1m"
max_repeats = 3

[[channel]]
type        = "ntfy"
name        = "phone"
url         = "%s/cramps"
secret_file = "publish.token"

[channel.replies]
topic              = "crampd-replies"
secret_file        = "read.token"
button_secret_file = "button.token"
`, dose.Format("15:04"), srv.Base))

	// The phone subscribes before anything is sent, as the app does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	arrived := subscribe(ctx, t, srv.Base+"/cramps/json", phoneToken)

	d := s.run("crampd")
	d.waitStderr(startTimeout, `msg="reply subscription open"`)
	var m ntfyserver.Message
	select {
	case m = <-arrived:
	case <-time.After(time.Until(dose) + 20*time.Second):
		t.Fatalf("the phone got no reminder by %s", dose.Add(20*time.Second).Format(time.RFC3339))
	}
	var labels []string
	for _, a := range m.Actions {
		labels = append(labels, a.Label)
	}
	if m.Title != "Take your Pill" || strings.Join(labels, "|") != "Taken|Snooze 10 min|Skip" {
		t.Fatalf("the phone got %q with buttons %q", m.Title, labels)
	}
	taken := m.Actions[0]
	if taken.Action != "http" || taken.Method != http.MethodPost || taken.URL != srv.Base+"/crampd-replies" ||
		taken.Headers["Authorization"] != "Bearer "+button || !taken.Clear {
		t.Fatalf("the Taken button %+v", taken)
	}
	// A person's tap comes seconds after the phone shows the dose, long
	// after crampd has recorded its delivery; a test's tap could beat
	// that record, and the sending would count as cancelled.
	d.waitStderr(10*time.Second, `msg="reminder delivered"`)
	if code, err := ntfyserver.Press(ctx, taken); err != nil || code != http.StatusOK {
		t.Fatalf("pressing Taken: %d, %v", code, err)
	}
	d.waitStderr(10*time.Second, `msg="reminder acknowledged"`, "source=ntfy")

	h := s.crampd("crampd history", nil, "history", "--json")
	if st := h.wait(10 * time.Second); st.ExitCode() != 0 {
		t.Fatalf("crampd history: %v\n%s", st, h.stderr.String())
	}
	var recs []struct {
		Kind       string         `json:"kind"`
		Status     string         `json:"status"`
		Deliveries map[string]int `json:"deliveries"`
	}
	if err := json.Unmarshal([]byte(h.stdout.String()), &recs); err != nil {
		t.Fatalf("history: %v\n%s", err, h.stdout.String())
	}
	if len(recs) != 1 || recs[0].Kind != "medication" || recs[0].Status != "acked" ||
		recs[0].Deliveries["delivered"] != 1 || recs[0].Deliveries["cancelled"] != 3 {
		t.Fatalf("history %+v, want the dose acked with its three repeats cancelled", recs)
	}
	st := s.crampd("crampd status", nil, "status")
	if code := st.wait(10 * time.Second); code.ExitCode() != 0 || !strings.Contains(st.stdout.String(), "replies:  channel phone connected since") ||
		!strings.Contains(st.stdout.String(), "; last answer read at ") {
		t.Fatalf("status:\n%s%s", st.stdout.String(), st.stderr.String())
	}
	d.stopCleanly()
	for _, secret := range []string{publish, read, button} {
		if strings.Contains(d.stderr.String(), secret) {
			t.Errorf("the log shows a token")
		}
	}
}

// subscribe streams a topic as the ntfy app does and sends each message on
// the channel it returns.
func subscribe(ctx context.Context, t *testing.T, url, token string) <-chan ntfyserver.Message {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("subscribe: %s", resp.Status)
	}
	out := make(chan ntfyserver.Message, 16)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m ntfyserver.Message
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Event == "message" {
				out <- m
			}
		}
	}()
	return out
}
