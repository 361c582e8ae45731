// Package notify defines the one small interface every delivery channel
// implements, and the error values a channel uses to tell the outbox whether
// an attempt is worth repeating. Retry policy lives here too, so that no
// channel package carries its own.
package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/crampd/crampd/internal/domain"
)

// Message is one delivery of an occurrence to one channel.
type Message struct {
	// ID identifies the message to the receiver and stays the same on every
	// retry of this delivery, so receivers can de-duplicate (it is the
	// Standard Webhooks "webhook-id").
	ID string
	// Occurrence is the reminder being delivered.
	Occurrence domain.Occurrence
	// Attempt counts delivery attempts, starting at 1.
	Attempt int
}

// Notifier delivers messages through one channel.
//
// Notify returns nil when the channel accepted the message. Any other error
// is retried by the outbox unless it is marked with Permanent; a channel may
// attach a server's requested delay with RetryAfter.
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// Action is the user's answer to a reminder, whichever channel carried it
// (a button on a desktop notification, a reply from a phone).
type Action string

// The answers a user can give.
const (
	// ActionDone acknowledges the reminder.
	ActionDone Action = "done"
	// ActionSnooze asks for the reminder again later.
	ActionSnooze Action = "snooze"
	// ActionSkip says a dose will not be taken: its repeats stop, and it
	// does not count as taken.
	ActionSkip Action = "skip"
	// ActionNone, ActionCramp and ActionSevere answer the morning
	// check-in (see domain.Answer).
	ActionNone   Action = Action(domain.AnswerNone)
	ActionCramp  Action = Action(domain.AnswerCramp)
	ActionSevere Action = Action(domain.AnswerSevere)
)

// Button is one answer a reminder offers as a button.
type Button struct {
	Action Action
	Label  string
	// Clear removes the notification once the answer is sent: every
	// answer but a snooze, which asks to see the reminder again.
	Clear bool
}

// MaxButtons is how many buttons one reminder offers at most: ntfy's limit
// for one message.
const MaxButtons = 3

// The buttons each kind offers, in the order they are shown. The snooze
// label has to agree with rules.ButtonSnooze, which a test checks.
var (
	done    = Button{Action: ActionDone, Label: "Done", Clear: true}
	snooze  = Button{Action: ActionSnooze, Label: "Snooze 10 min"}
	dose    = []Button{{Action: ActionDone, Label: "Taken", Clear: true}, snooze, {Action: ActionSkip, Label: "Skip", Clear: true}}
	noted   = []Button{{Action: ActionDone, Label: "Noted", Clear: true}}
	checkin = []Button{
		{Action: ActionNone, Label: "No cramps", Clear: true},
		{Action: ActionCramp, Label: "Cramp", Clear: true},
		{Action: ActionSevere, Label: "Severe cramp", Clear: true},
	}
	doneSnooze = []Button{done, snooze}
)

// Buttons returns the answers a reminder of kind k offers: Taken, Snooze
// and Skip for a dose; Noted for the doctor nudge; No cramps, Cramp and
// Severe cramp for the check-in; Done and Snooze for the rest.
func Buttons(k domain.Kind) []Button {
	switch k {
	case domain.KindMedication:
		return slices.Clone(dose)
	case domain.KindDoctor:
		return slices.Clone(noted)
	case domain.KindCheckin:
		return slices.Clone(checkin)
	}
	return slices.Clone(doneSnooze)
}

// Offers reports whether a reminder of kind k offers action a.
func Offers(k domain.Kind, a Action) bool {
	return slices.ContainsFunc(Buttons(k), func(b Button) bool { return b.Action == a })
}

// strong matches Markdown's strong emphasis, **like this**: the one piece of
// Markdown a reminder's text uses (the check-in names its answers so).
var strong = regexp.MustCompile(`\*\*([^*\s][^*\n]*)\*\*`)

// HasEmphasis reports whether text uses strong emphasis, so that a channel
// that renders Markdown (ntfy) can say it is Markdown.
func HasEmphasis(text string) bool { return strong.MatchString(text) }

// StripEmphasis removes the emphasis markers from text, for a channel that
// shows plain text (the desktop).
func StripEmphasis(text string) string { return strong.ReplaceAllString(text, "$1") }

// Error carries a failed attempt's retry hints.
type Error struct {
	Err error
	// Permanent means another attempt cannot succeed (a 4xx other than 408
	// or 429, a malformed request).
	Permanent bool
	// After, when positive, is the delay the receiver asked for.
	After time.Duration
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, Permanent: true}
}

// RetryAfter marks err as retryable no sooner than d from now.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Err: err, After: d}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

// RetryAfterHint returns the delay a receiver asked for, if any.
func RetryAfterHint(err error) (time.Duration, bool) {
	var e *Error
	if errors.As(err, &e) && e.After > 0 {
		return e.After, true
	}
	return 0, false
}

// ErrUnavailable is wrapped by channels whose backend is not there at all
// right now (no session bus, no notification server). The outbox retries it
// like any transient error, but logs it once rather than on every attempt.
var ErrUnavailable = errors.New("channel unavailable")

// Unavailable wraps err so that errors.Is(err, ErrUnavailable) holds.
func Unavailable(err error) error {
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}
