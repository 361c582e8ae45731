package daemon_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
)

const doseProfile = quietHead + `[[medication]]
name = "Pill"
times = ["10:00"]
repeat = "10m"
max_repeats = 3
[[custom]]
name = "Walk"
cron = "30 10 * * *"
title = "Walk"
[[channel]]
type = "stdout"
`

// messageIDs returns the message ids printed on stdout, in order.
func (h *harness) messageIDs() []string {
	var out []string
	for _, l := range h.stdoutLines() {
		out = append(out, l["message_id"].(string))
	}
	return out
}

func TestMedicationRepeatsUntilAcknowledged(t *testing.T) {
	h := newHarness(t, doseProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := h.waitFired(1)[0]
	h.waitSettled(1)
	// First repeat at 10:10.
	h.advanceTo(time.Date(2027, 6, 1, 10, 10, 0, 0, time.UTC))
	if d := h.waitSettled(1)[0]; d.MessageID != dose.ID+".1" || d.Status != domain.StatusDelivered {
		t.Fatalf("repeat: %s %s", d.MessageID, d.Status)
	}
	if _, err := h.d.Service().Ack(context.Background(), dose.ID); err != nil {
		t.Fatal(err)
	}
	// No more repeats after the ack, only the 10:30 walk.
	h.advanceTo(time.Date(2027, 6, 1, 10, 20, 0, 0, time.UTC))
	h.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	h.waitSettled(1)
	h.advanceTo(time.Date(2027, 6, 1, 11, 0, 0, 0, time.UTC))
	h.settle()
	got := h.messageIDs()
	if len(got) != 3 || got[0] != dose.ID || got[1] != dose.ID+".1" || strings.HasPrefix(got[2], "medication") {
		t.Fatalf("printed %v; want the dose, one repeat, then the walk", got)
	}
	rec, err := h.d.Store().Record(context.Background(), dose.ID)
	if err != nil || rec.Status != domain.StatusAcked || rec.Deliveries[domain.StatusCancelled] != 2 {
		t.Fatalf("record %+v, %v; want acked with two cancelled repeats", rec, err)
	}
}

func TestUnacknowledgedDoseRepeatsMaxTimes(t *testing.T) {
	h := newHarness(t, doseProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := h.waitFired(1)[0]
	h.waitSettled(1)
	for i := 1; i <= 3; i++ {
		h.advanceTo(time.Date(2027, 6, 1, 10, 10*i, 0, 0, time.UTC))
		h.waitSettled(1)
	}
	h.advanceTo(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	h.settle()
	n := 0
	for _, id := range h.messageIDs() {
		if strings.HasPrefix(id, dose.ID) {
			n++
		}
	}
	if n != 4 {
		t.Fatalf("the dose went out %d times; want 1 + 3 repeats", n)
	}
}

func TestSnoozeRefiresAfterItsDuration(t *testing.T) {
	h := newHarness(t, doseProfile, time.Date(2027, 6, 1, 10, 29, 0, 0, time.UTC))
	h.start()
	h.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	walk := h.waitFired(1)[0]
	h.waitSettled(1)
	res, err := h.d.Service().Snooze(context.Background(), walk.ID, 15*time.Minute)
	if err != nil || !res.Until.Equal(time.Date(2027, 6, 1, 10, 45, 0, 0, time.UTC)) {
		t.Fatalf("snooze until %s, %v", res.Until, err)
	}
	h.advanceTo(time.Date(2027, 6, 1, 10, 44, 59, 0, time.UTC))
	h.settle()
	if n := len(h.messageIDs()); n != 1 {
		t.Fatalf("re-fired before the snooze ended (%d lines)", n)
	}
	h.advanceTo(time.Date(2027, 6, 1, 10, 45, 0, 0, time.UTC))
	if d := h.waitSettled(1)[0]; d.Occurrence.ID != walk.ID || d.MessageID != walk.ID+".1" {
		t.Fatalf("snoozed re-fire: %s (%s)", d.MessageID, d.Occurrence.ID)
	}
	// Once per snooze.
	h.advanceTo(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	h.settle()
	if n := len(h.messageIDs()); n != 2 {
		t.Fatalf("printed %d lines, want the walk and one snoozed re-fire", n)
	}
	if _, err := h.d.Service().Snooze(context.Background(), "custom-000000000000", time.Minute); err == nil {
		t.Fatal("snoozing an unknown id succeeded")
	}
	if _, err := h.d.Service().Snooze(context.Background(), walk.ID, 0); err == nil {
		t.Fatal("snoozing for 0s succeeded")
	}
}

// A pause persists across a restart, skips what comes due during it, and
// ends on time.
func TestPauseSurvivesRestartAndEndsOnTime(t *testing.T) {
	h := newHarness(t, doseProfile, time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	h.start()
	if _, err := h.d.Service().Pause(context.Background(), app.PauseRequest{For: 75 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	h.stop()
	h.clock.Advance(30 * time.Minute)
	h.start()
	st, err := h.d.Service().Status(context.Background())
	if err != nil || !st.Paused {
		t.Fatalf("after a restart the pause is gone: %+v %v", st, err)
	}
	// The 10:00 dose comes due during the pause: skipped.
	h.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	h.settle()
	// The 10:30 walk comes after it: fired.
	h.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	if got := h.waitFired(1); got[0].Rule != "custom/Walk" {
		t.Fatalf("fired %v", ids(got))
	}
	h.waitSettled(1)
	want := map[string]string{"medication/Pill/10:00": "skipped", "custom/Walk": "fired"}
	if s := statuses(t, h); !mapsEqual(s, want) {
		t.Fatalf("occurrence log %v, want %v", s, want)
	}
	if st, _ := h.d.Service().Status(context.Background()); st.Paused {
		t.Fatal("the pause outlived its end")
	}
}

// webhookReceiver collects deliveries on a real HTTP server.
type webhookReceiver struct {
	mu   sync.Mutex
	got  []map[string]any
	srv  *httptest.Server
	seen chan string
}

func newWebhookReceiver(t *testing.T) *webhookReceiver {
	r := &webhookReceiver{seen: make(chan string, 16)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct {
			Data map[string]any `json:"data"`
		}
		json.Unmarshal(body, &ev)
		r.mu.Lock()
		r.got = append(r.got, ev.Data)
		r.mu.Unlock()
		r.seen <- ev.Data["kind"].(string)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// Logging a severity-9 cramp sends one doctor reminder at once; a second
// within seven days does not.
func TestSevereCrampNudgesOncePerWeek(t *testing.T) {
	r := newWebhookReceiver(t)
	profileText := quietHead + `[[channel]]
type = "webhook"
url = "` + r.srv.URL + `"
kinds = ["doctor"]
`
	h := newHarness(t, profileText, time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	h.start()
	res, err := h.d.Service().LogCramp(context.Background(), domain.Cramp{Severity: 9, Leg: "left", Muscle: "calf"})
	nudge := res.Nudge.Sent
	if err != nil || nudge == nil {
		t.Fatalf("LogCramp: nudge %v, err %v", nudge, err)
	}
	select {
	case kind := <-r.seen:
		if kind != "doctor" {
			t.Fatalf("received %s", kind)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the doctor reminder did not arrive")
	}
	r.mu.Lock()
	body := r.got[0]["body"].(string)
	r.mu.Unlock()
	if !strings.Contains(body, "severity 9") || !strings.Contains(body, "swelling, numbness or weakness") {
		t.Errorf("doctor reminder body: %s", body)
	}
	h.clock.Advance(3 * 24 * time.Hour)
	res, err = h.d.Service().LogCramp(context.Background(), domain.Cramp{Severity: 10})
	nudge = res.Nudge.Sent
	if err != nil || nudge != nil {
		t.Fatalf("second severe cramp within 7 days: nudge %v, err %v", nudge, err)
	}
	h.clock.Advance(5 * 24 * time.Hour)
	res, err = h.d.Service().LogCramp(context.Background(), domain.Cramp{Symptoms: []string{"numbness"}})
	nudge = res.Nudge.Sent
	if err != nil || nudge == nil || !strings.Contains(nudge.Body, "numbness") {
		t.Fatalf("after the cooldown a cramp with numbness should nudge again: %v %v", nudge, err)
	}
}

// Three cramps within seven days nudge; the third is what tips it.
func TestFrequentCrampsNudge(t *testing.T) {
	h := newHarness(t, jumpProfile, time.Date(2027, 6, 1, 14, 0, 0, 0, time.UTC))
	h.start()
	for i := 1; i <= 3; i++ {
		res, err := h.d.Service().LogCramp(context.Background(), domain.Cramp{Severity: 3})
		nudge := res.Nudge.Sent
		if err != nil {
			t.Fatal(err)
		}
		if (nudge != nil) != (i == 3) {
			t.Fatalf("cramp %d: nudge %v", i, nudge)
		}
		if i == 3 && !strings.Contains(nudge.Body, "3 cramps in the last 7 days") {
			t.Errorf("nudge body: %s", nudge.Body)
		}
		h.clock.Advance(24 * time.Hour)
	}
}

// A cramp logged at 03:00, in quiet hours, nudges at the end of them, not
// in the middle of the night.
func TestNudgeWaitsForQuietHoursToEnd(t *testing.T) {
	h := newHarness(t, strings.Replace(jumpProfile, "[[channel]]", "[quiet]\nfrom = \"23:00\"\nto = \"07:00\"\n[[channel]]", 1),
		time.Date(2027, 6, 2, 3, 0, 0, 0, time.UTC))
	h.start()
	res, err := h.d.Service().LogCramp(context.Background(), domain.Cramp{Severity: 9})
	nudge := res.Nudge.Sent
	if err != nil || nudge == nil {
		t.Fatal(nudge, err)
	}
	h.advanceTo(time.Date(2027, 6, 2, 6, 59, 0, 0, time.UTC))
	h.settle()
	if n := len(h.stdoutLines()); n != 0 {
		t.Fatalf("the nudge went out at night")
	}
	h.advanceTo(time.Date(2027, 6, 2, 7, 0, 0, 0, time.UTC))
	if d := h.waitSettled(1)[0]; d.Occurrence.Kind != domain.KindDoctor || d.Status != domain.StatusDelivered {
		t.Fatalf("at 07:00: %s %s", d.Occurrence.Kind, d.Status)
	}
}
