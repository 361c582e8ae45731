package daemon_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/reply"
	"github.com/crampd/crampd/internal/replies"
	"github.com/crampd/crampd/internal/testutil/ntfyserver"
)

// phone is a real ntfy server with access control on and the three tokens
// the README describes, a phone's own token that reads the reminders, and
// a daemon on a fake clock whose ntfy channel offers buttons.
type phone struct {
	*harness
	srv *ntfyserver.Server
	ntfyserver.Tokens
}

// newPhone writes profileText with the phone's ntfy channel as its only
// channel, and the tokens beside it.
func newPhone(t *testing.T, profileText string, start time.Time) *phone {
	t.Helper()
	s := ntfyserver.Start(t, ntfyserver.Options{Auth: true})
	p := &phone{srv: s, Tokens: s.PhoneTokens("cramps", "crampd-replies")}
	p.harness = newHarness(t, "", start)
	for name, tok := range map[string]string{"publish.token": p.Publish, "read.token": p.Read, "button.token": p.Button} {
		writeFile(t, filepath.Join(p.dir, name), tok+"\n")
	}
	writeFile(t, p.path, profileText+fmt.Sprintf(`
[[channel]]
type = "ntfy"
name = "phone"
url = "%s/cramps"
secret_file = "publish.token"
[channel.replies]
topic = "crampd-replies"
secret_file = "read.token"
button_secret_file = "button.token"
`, s.Base))
	return p
}

// started starts the daemon and waits until its reply subscription is
// open.
func (p *phone) started() {
	p.t.Helper()
	p.start()
	p.waitReplies(app.ReplyConnected)
}

func (p *phone) waitReplies(state string) app.ReplyStatus {
	p.t.Helper()
	var st []app.ReplyStatus
	eventually(p.t, func() bool {
		st = p.d.Info().Replies
		return len(st) == 1 && st[0].State == state
	}, func() string { return fmt.Sprintf("replies %+v, want %s\nlogs:\n%s", st, state, p.logs.String()) })
	return st[0]
}

// messages returns what the phone received, waiting for at least n.
func (p *phone) messages(n int) []ntfyserver.Message {
	p.t.Helper()
	return p.srv.WaitMessages("cramps", p.Phone, n)
}

// press taps the button labelled label on the phone's message m, as the
// ntfy app does.
func (p *phone) press(m ntfyserver.Message, label string) {
	p.t.Helper()
	for _, a := range m.Actions {
		if a.Label == label {
			if code, err := ntfyserver.Press(context.Background(), a); err != nil || code != http.StatusOK {
				p.t.Fatalf("pressing %s: %d, %v", label, code, err)
			}
			return
		}
	}
	p.t.Fatalf("message %q has no %s button: %+v", m.Title, label, m.Actions)
}

// repliesHandled waits until crampd has finished with every reply on the
// reply topic, every effect of it included (an acknowledgement's
// cancelled repeats leave the outbox after its transaction commits), so
// that moving the clock cannot cut the handling of one short.
func (p *phone) repliesHandled() {
	p.t.Helper()
	replies := p.srv.Poll("crampd-replies", p.Read)
	if len(replies) == 0 {
		return
	}
	last := replies[len(replies)-1].ID
	var st []app.ReplyStatus
	eventually(p.t, func() bool {
		st = p.d.Info().Replies
		return len(st) == 1 && st[0].LastReply == last
	}, func() string {
		return fmt.Sprintf("replies %+v, want the last reply %q handled\n%s", st, last, p.logs.String())
	})
}

func (p *phone) labels(m ntfyserver.Message) string {
	var out []string
	for _, a := range m.Actions {
		out = append(out, a.Label)
	}
	return strings.Join(out, "|")
}

const walkProfile = quietHead + `[[custom]]
name = "Walk"
cron = "30 10 * * *"
title = "Walk"
`

// Snooze on the phone sends the reminder again once, ten minutes later on
// crampd's clock; the same reply published twice snoozes once.
func TestPhoneSnoozeSendsOnceMore(t *testing.T) {
	p := newPhone(t, walkProfile, time.Date(2027, 6, 1, 10, 29, 0, 0, time.UTC))
	p.started()
	p.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	walk := p.waitFired(1)[0]
	p.waitSettled(1)
	m := p.messages(1)[0]
	if p.labels(m) != "Done|Snooze 10 min" {
		t.Fatalf("walk buttons %q", p.labels(m))
	}
	p.press(m, "Snooze 10 min")
	p.press(m, "Snooze 10 min")
	p.repliesHandled()
	waitDeliveries(t, p.harness, walk.ID, 2)
	waitLog(t, p.harness, "action handled before; ignored")
	p.advanceTo(time.Date(2027, 6, 1, 10, 39, 59, 0, time.UTC))
	if n := len(p.srv.Poll("cramps", p.Phone)); n != 1 {
		t.Fatalf("the snoozed walk came back early: %d messages", n)
	}
	p.advanceTo(time.Date(2027, 6, 1, 10, 40, 0, 0, time.UTC))
	if d := p.waitSettled(1)[0]; d.MessageID != walk.ID+".1" || d.Status != domain.StatusDelivered {
		t.Fatalf("snoozed sending %+v", d)
	}
	again := p.messages(2)[1]
	if again.Title != "Walk" || p.labels(again) != "Done|Snooze 10 min" {
		t.Fatalf("the walk came back as %+v", again)
	}
	p.advanceTo(time.Date(2027, 6, 1, 12, 0, 0, 0, time.UTC))
	if n := len(p.srv.Poll("cramps", p.Phone)); n != 2 {
		t.Fatalf("%d messages by noon, want the walk and its one snooze", n)
	}
	if rec, _ := p.d.Store().Record(context.Background(), walk.ID); rec.Deliveries[domain.StatusDelivered] != 2 || len(rec.Deliveries) != 1 {
		t.Fatalf("walk deliveries %v, want two delivered", rec.Deliveries)
	}
}

const checkinProfile = quietHead + `[sleep]
wake = "07:00"
bed = "23:00"
[checkin]
enabled = true
`

// The morning check-in from the phone: each answer lands in the journal
// once; Severe sends the doctor nudge, subject to its cooldown; stats count
// the answered nights.
func TestPhoneCheckin(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2027, 6, d, 7, 30, 0, 0, time.UTC) }
	p := newPhone(t, checkinProfile, day(2).Add(-time.Minute))
	p.started()
	ctx := context.Background()

	answer := func(d int, label string, wantMessages int) ntfyserver.Message {
		t.Helper()
		p.advanceTo(day(d))
		ci := p.waitFired(1)[0]
		p.waitSettled(1)
		msgs := p.messages(wantMessages)
		m := msgs[len(msgs)-1]
		if m.Title != "How was your night?" || p.labels(m) != "No cramps|Cramp|Severe cramp" || m.ContentType != "text/markdown" {
			t.Fatalf("check-in on the phone: %+v", m)
		}
		p.press(m, label)
		p.press(m, label) // a double tap
		waitStatus(t, p.harness, ci.ID, domain.StatusAcked)
		p.repliesHandled()
		return m
	}

	answer(2, "Severe cramp", 1)
	var doctor ntfyserver.Message
	eventually(t, func() bool {
		msgs := p.srv.Poll("cramps", p.Phone)
		doctor = msgs[len(msgs)-1]
		return len(msgs) == 2
	}, func() string { return "no doctor reminder on the phone after a severe night\n" + p.logs.String() })
	if !strings.Contains(doctor.Title, "doctor") || p.labels(doctor) != "Noted" {
		t.Fatalf("doctor reminder %+v", doctor)
	}
	cramps, _ := p.d.Store().Cramps(ctx, day(1), day(3))
	if len(cramps) != 1 || !cramps[0].At.Equal(time.Date(2027, 6, 2, 3, 0, 0, 0, time.UTC)) || cramps[0].Severity != 8 || cramps[0].Source != domain.SourceCheckin {
		t.Fatalf("journal after a severe night: %+v", cramps)
	}

	// A second severe night within the cooldown: logged, no second nudge.
	answer(3, "Severe cramp", 3)
	answer(4, "No cramps", 4)
	p.settle()
	if n := len(p.srv.Poll("cramps", p.Phone)); n != 4 {
		t.Fatalf("%d messages on the phone, want three check-ins and one doctor reminder", n)
	}
	cramps, _ = p.d.Store().Cramps(ctx, day(1), day(5))
	if len(cramps) != 2 {
		t.Fatalf("journal %+v, want the two severe nights once each", cramps)
	}
	st, err := p.d.Service().Stats(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if a := st.Answers; a.Answered != 3 || a.CrampNights != 2 || a.CrampFree != 1 {
		t.Fatalf("stats answers %+v", a)
	}
	if n := strings.Count(p.logs.String(), `msg="night recorded"`); n != 3 {
		t.Fatalf("%d nights recorded, want 3 (double taps once)", n)
	}
}

// doseWalkProfile is doseProfile without its stdout channel.
var doseWalkProfile = strings.Replace(doseProfile, "[[channel]]\ntype = \"stdout\"\n", "", 1)

// Forged replies, replies for reminders crampd never sent, and replies
// that come back do nothing; the forged ones are logged.
func TestPhoneRepliesThatDoNothing(t *testing.T) {
	p := newPhone(t, doseWalkProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	p.started()
	p.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := p.waitFired(1)[0]
	p.waitSettled(1)
	m := p.messages(1)[0]
	taken := m.Actions[0]
	key, err := reply.LoadKey(filepath.Join(p.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	unknown, _ := key.Sign(reply.Press{OccurrenceID: "medication-000000000000", Action: notify.ActionDone, Nonce: "medication-000000000000"})
	for _, body := range []string{
		strings.Replace(taken.Body, " done ", " skip ", 1), // another answer, same MAC
		"Taken",
		unknown,
	} {
		if code := p.srv.Publish("crampd-replies", p.Button, body); code != http.StatusOK {
			t.Fatalf("publish: %d", code)
		}
	}
	p.repliesHandled()
	waitLog(t, p.harness, "reply ignored")
	waitLog(t, p.harness, "button press had no effect")
	if rec, _ := p.d.Store().Record(context.Background(), dose.ID); rec.Status != domain.StatusFired {
		t.Fatalf("a forged reply changed the dose: %s", rec.Status)
	}
	// The dose repeats, as nobody took it.
	p.advanceTo(time.Date(2027, 6, 1, 10, 10, 0, 0, time.UTC))
	p.waitSettled(1)
	p.messages(2)
}

// The server restarts while crampd runs, and Taken is pressed before crampd
// reconnects: handled once when it does. crampd stops, Done is pressed,
// crampd starts: handled once, and not again on the next start.
func TestPhonePressesSurviveRestarts(t *testing.T) {
	p := newPhone(t, doseWalkProfile, time.Date(2027, 6, 1, 9, 59, 0, 0, time.UTC))
	p.started()
	ctx := context.Background()
	p.advanceTo(time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	dose := p.waitFired(1)[0]
	p.waitSettled(1)
	m := p.messages(1)[0]

	p.srv.Restart()
	p.waitReplies(app.ReplyReconnecting)
	p.press(m, "Taken")
	p.clock.Advance(replies.MinBackoff)
	p.waitReplies(app.ReplyConnected)
	p.repliesHandled()
	waitStatus(t, p.harness, dose.ID, domain.StatusAcked)
	// No repeats at 10:10, 10:20 and 10:30's walk is the only message.
	p.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	walk := p.waitFired(1)[0]
	p.waitSettled(1)
	msgs := p.messages(2)
	if len(msgs) != 2 || msgs[1].Title != "Walk" {
		t.Fatalf("after Taken the phone got %d messages, the last %q\n%s", len(msgs), msgs[len(msgs)-1].Title, p.logs.String())
	}

	p.stop()
	p.press(msgs[1], "Done")
	p.started()
	p.repliesHandled()
	waitStatus(t, p.harness, walk.ID, domain.StatusAcked)
	p.stop()
	p.started()
	p.settle()
	// Each reply was read once: none came back after a reconnect or a
	// restart.
	if n := strings.Count(p.logs.String(), `msg="reply handled"`); n != 2 {
		t.Fatalf("%d replies handled, want Taken and Done once each:\n%s", n, p.logs.String())
	}
	if n := strings.Count(p.logs.String(), `msg="reminder acknowledged"`); n != 2 {
		t.Fatalf("%d acknowledgements logged, want the dose and the walk once each:\n%s", n, p.logs.String())
	}
	if rec, _ := p.d.Store().Record(ctx, dose.ID); rec.Deliveries[domain.StatusCancelled] != 3 {
		t.Fatalf("dose deliveries %v, want its three repeats cancelled", rec.Deliveries)
	}
}

// A subscription the server refuses shows in status with what to fix, and
// every reminder still goes out.
func TestPhoneRefusedKeepsFiring(t *testing.T) {
	p := newPhone(t, walkProfile, time.Date(2027, 6, 1, 10, 29, 0, 0, time.UTC))
	// The read token loses its access to the reply topic.
	p.srv.Grant("crampd-reader", "crampd-replies", "deny")
	p.start()
	st := p.waitReplies(app.ReplyRefused)
	if !strings.Contains(st.Error, "403") || !strings.Contains(st.Fix, "ntfy access USER TOPIC ro") {
		t.Fatalf("status %+v", st)
	}
	full, err := p.d.Service().Status(context.Background())
	if err != nil || len(full.Replies) != 1 || full.Replies[0].State != app.ReplyRefused {
		t.Fatalf("status %+v, %v", full.Replies, err)
	}
	p.advanceTo(time.Date(2027, 6, 1, 10, 30, 0, 0, time.UTC))
	p.waitFired(1)
	if d := p.waitSettled(1)[0]; d.Status != domain.StatusDelivered {
		t.Fatalf("the walk was not delivered while replies were refused: %+v", d)
	}
	p.messages(1)
}

// A reload follows the channels: a channel that no longer offers buttons
// closes its subscription, and one that offers them again opens one.
func TestPhoneRepliesFollowReload(t *testing.T) {
	p := newPhone(t, walkProfile, time.Date(2027, 6, 1, 10, 0, 0, 0, time.UTC))
	p.started()
	withReplies, err := os.ReadFile(p.path)
	if err != nil {
		t.Fatal(err)
	}
	without, _, _ := strings.Cut(string(withReplies), "[channel.replies]")
	writeFile(t, p.path, without)
	if err := p.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := p.d.Info().Replies; len(st) != 0 {
		t.Fatalf("after a reload without replies the subscriptions are %+v", st)
	}
	writeFile(t, p.path, string(withReplies))
	if err := p.d.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.waitReplies(app.ReplyConnected)
}
