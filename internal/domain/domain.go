// Package domain holds crampd's shared vocabulary: the kinds of reminder, one
// planned occurrence of a reminder, and the states a delivery moves through.
// It imports nothing else from crampd, so every other package can depend on it.
package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors shared by the daemon, its control API and the store.
var (
	// ErrNotFound means no reminder has the given ID.
	ErrNotFound = errors.New("no such reminder")
	// ErrInvalid wraps a request that makes no sense (a bad duration, an
	// unknown kind).
	ErrInvalid = errors.New("invalid request")
)

// Kind names a family of reminders. Channels filter on it, the catch-up rule
// uses it to choose a grace window, and stats group by it.
type Kind string

// The reminder kinds crampd knows.
const (
	KindHydration        Kind = "hydration"
	KindStretch          Kind = "stretch"
	KindFood             Kind = "food"
	KindElectrolytes     Kind = "electrolytes"
	KindMedication       Kind = "medication"
	KindMedicationReview Kind = "medication-review"
	KindCustom           Kind = "custom"
	KindDoctor           Kind = "doctor"
	// KindCheckin is the morning question "How was your night?", whose
	// answer goes into the cramp journal.
	KindCheckin Kind = "checkin"
)

// Kinds returns every kind in a fixed order, used for stable output.
func Kinds() []Kind {
	return []Kind{
		KindHydration, KindStretch, KindFood, KindElectrolytes,
		KindMedication, KindMedicationReview, KindCustom, KindDoctor,
		KindCheckin,
	}
}

// ParseKind returns the Kind named s, or an error naming the valid kinds.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown kind %q (want one of %s)", s, KindList())
}

// KindList returns the kinds as a comma-separated list for messages.
func KindList() string {
	names := make([]string, 0, len(Kinds()))
	for _, k := range Kinds() {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// Order returns k's position in Kinds, used to break ties between reminders
// due at the same instant so that output is deterministic.
func (k Kind) Order() int {
	if i, ok := kindOrder[k]; ok {
		return i
	}
	return len(kindOrder)
}

// kindOrder indexes Kinds; plans sort by it often.
var kindOrder = func() map[Kind]int {
	m := map[Kind]int{}
	for i, k := range Kinds() {
		m[k] = i
	}
	return m
}()

// Occurrence is one planned firing of a reminder. The plan produces them;
// the daemon records, delivers, acknowledges and snoozes them by ID.
type Occurrence struct {
	// ID is stable: the same kind, rule and instant always give the same ID,
	// so it serves as the idempotency key across restarts and reloads.
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Rule names the profile entry that produced the occurrence, for
	// example "medication/Hydrochlorothiazide/09:00".
	Rule string `json:"rule"`
	// At is the instant the reminder is due, in the profile's time zone.
	At    time.Time `json:"at"`
	Title string    `json:"title"`
	Body  string    `json:"body"`
	// Why is the one-sentence rationale behind the reminder.
	Why string `json:"why"`
}

// OccurrenceID derives the stable ID of the occurrence of rule (of kind k) at
// instant at. The zone of at does not matter, only the instant.
func OccurrenceID(k Kind, rule string, at time.Time) string {
	buf := make([]byte, 0, len(k)+len(rule)+40)
	buf = append(buf, k...)
	buf = append(buf, 0)
	buf = append(buf, rule...)
	buf = append(buf, 0)
	buf = at.UTC().AppendFormat(buf, time.RFC3339Nano)
	sum := sha256.Sum256(buf)
	return string(k) + "-" + hex.EncodeToString(sum[:6])
}

// Status is where an occurrence or a delivery stands.
type Status string

// Occurrence statuses.
const (
	// StatusFired means the occurrence came due and was handed to its
	// channels.
	StatusFired Status = "fired"
	// StatusMissed means the occurrence came due while crampd could not
	// fire it (down, suspended) and its grace window had passed.
	StatusMissed Status = "missed"
	// StatusSkipped means the occurrence came due during a pause.
	StatusSkipped Status = "skipped"
	// StatusAcked means the user acknowledged the reminder.
	StatusAcked Status = "acked"
)

// ReasonByYou is the reason of an occurrence the person skipped (a dose
// not taken), as opposed to one a pause skipped: it was sent, and counts as
// sent and not done.
const ReasonByYou = "by you"

// Delivery statuses.
const (
	// StatusPending means the delivery waits in the outbox for its next
	// attempt.
	StatusPending Status = "pending"
	// StatusDelivered means the channel accepted the delivery.
	StatusDelivered Status = "delivered"
	// StatusFailed means the channel refused it for good.
	StatusFailed Status = "failed"
	// StatusExpired means retries ran out of time before it was accepted.
	StatusExpired Status = "expired"
	// StatusCancelled means the reminder was acknowledged before this
	// delivery (a repeat or a snooze) went out.
	StatusCancelled Status = "cancelled"
)

// Cramp is one entry in the cramp journal.
type Cramp struct {
	ID int64 `json:"id"`
	// At is when the cramp happened.
	At time.Time `json:"at"`
	// Leg is left, right or both; empty when not given.
	Leg string `json:"leg,omitempty"`
	// Muscle is calf, foot, thigh or hamstring; empty when not given.
	Muscle string `json:"muscle,omitempty"`
	// Severity runs from 1 to 10; 0 when not given.
	Severity int `json:"severity,omitempty"`
	// Symptoms lists swelling, numbness or weakness that came with it.
	Symptoms []string `json:"symptoms,omitempty"`
	Note     string   `json:"note,omitempty"`
	// Weather is the weather of the hour the cramp was logged for, when a
	// forecast for it was stored.
	Weather *Weather `json:"weather,omitempty"`
	// Source says where the entry came from when not from `cramp log`:
	// SourceCheckin for a cramp the morning check-in recorded.
	Source string `json:"source,omitempty"`
}

// SourceCheckin marks a cramp the morning check-in recorded.
const SourceCheckin = "checkin"

// The values a cramp entry accepts.
var (
	Legs     = []string{"left", "right", "both"}
	Muscles  = []string{"calf", "foot", "thigh", "hamstring"}
	Symptoms = []string{"swelling", "numbness", "weakness"}
)

// MaxNote is the longest note a cramp entry takes, in characters.
const MaxNote = 2000

// Validate checks a cramp entry's fields.
func (c Cramp) Validate() error {
	if c.Leg != "" && !slices.Contains(Legs, c.Leg) {
		return fmt.Errorf("leg %q: want one of %s", c.Leg, strings.Join(Legs, ", "))
	}
	if c.Muscle != "" && !slices.Contains(Muscles, c.Muscle) {
		return fmt.Errorf("muscle %q: want one of %s", c.Muscle, strings.Join(Muscles, ", "))
	}
	if c.Severity != 0 && (c.Severity < 1 || c.Severity > 10) {
		return fmt.Errorf("severity %d: want 1 to 10", c.Severity)
	}
	for i, s := range c.Symptoms {
		if !slices.Contains(Symptoms, s) {
			return fmt.Errorf("symptom %q: want one of %s", s, strings.Join(Symptoms, ", "))
		}
		if slices.Contains(c.Symptoms[:i], s) {
			return fmt.Errorf("symptom %q is given twice", s)
		}
	}
	if !utf8.ValidString(c.Note) {
		return errors.New("note: not valid UTF-8 text")
	}
	if n := utf8.RuneCountInString(c.Note); n > MaxNote {
		return fmt.Errorf("note: %d characters, at most %d", n, MaxNote)
	}
	if StripControl(c.Note) != c.Note {
		return errors.New("note: contains control characters")
	}
	if c.Source != "" && c.Source != SourceCheckin {
		return fmt.Errorf("source %q: want none or %s", c.Source, SourceCheckin)
	}
	return nil
}

// StripControl removes control characters (terminal escapes, NUL, line
// breaks) from s, keeping tabs as spaces: a note is one line of text, and
// must not be able to move a terminal's cursor or forge a line of output.
func StripControl(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\u2028', r == '\u2029':
			return -1
		}
		return r
	}, s)
}

// Answer is a person's answer to the morning check-in.
type Answer string

// The answers to "How was your night?".
const (
	// AnswerNone records a night without cramps, so that the journal can
	// tell "no cramp" from "no answer".
	AnswerNone Answer = "none"
	// AnswerCramp records a night with a cramp.
	AnswerCramp Answer = "cramp"
	// AnswerSevere records a night with a severe cramp, logged with
	// SevereSeverity so that the doctor nudge weighs it as `cramp log
	// --severity 8` would be.
	AnswerSevere Answer = "severe"
)

// SevereSeverity is the severity a "Severe cramp" answer logs.
const SevereSeverity = 8

// Answers returns every answer in a fixed order.
func Answers() []Answer { return []Answer{AnswerNone, AnswerCramp, AnswerSevere} }

// ParseAnswer returns the Answer named s, or an error naming the answers.
func ParseAnswer(s string) (Answer, error) {
	for _, a := range Answers() {
		if string(a) == s {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown answer %q (want none, cramp or severe)", s)
}

// Cramped reports whether the answer says a cramp came in the night.
func (a Answer) Cramped() bool { return a == AnswerCramp || a == AnswerSevere }

// Night is one night's answer to the check-in, as the journal holds it.
type Night struct {
	// Date names the night by its evening's date (YYYY-MM-DD in the
	// profile's zone): the night of June 1 ends on the morning of June 2.
	Date   string `json:"night"`
	Answer Answer `json:"answer"`
	// CrampID is the journal entry the answer logged, for cramp and
	// severe; 0 for none.
	CrampID int64 `json:"cramp_id,omitempty"`
	// Source is the way in the answer came from (cli, desktop, ntfy).
	Source     string    `json:"source"`
	AnsweredAt time.Time `json:"answered_at"`
}

// Delivery is one occurrence's dispatch to one channel, as the outbox holds
// it.
type Delivery struct {
	// ID is the outbox row.
	ID int64
	// Dispatch counts sendings of the occurrence: 0 is the first, repeats
	// and snoozes add more.
	Dispatch int
	Channel  string
	// MessageID stays the same on every retry, so receivers can drop
	// duplicates.
	MessageID     string
	Status        Status
	Attempts      int
	NextAttemptAt time.Time
	// ExpiresAt is when retrying stops: a reminder that arrives too late is
	// no use.
	ExpiresAt  time.Time
	LastError  string
	Occurrence Occurrence
}

// MessageID names dispatch n of occurrence id: the id itself for the first,
// with a suffix for repeats and snoozes, which are new messages.
func MessageID(id string, n int) string {
	if n == 0 {
		return id
	}
	return fmt.Sprintf("%s.%d", id, n)
}

// Followup is a later sending of a recorded occurrence: a medication repeat
// or a snooze.
type Followup struct {
	At time.Time
	// Expires is when retrying this sending stops.
	Expires time.Time
}

// ManualRule prefixes the rule of an occurrence a person fired by hand to
// try their channels. Such test fires never count as the real thing: they
// pass a pause, and they start no cooldown.
const ManualRule = "manual/"

// IsManual reports whether the occurrence was fired by hand.
func (o Occurrence) IsManual() bool { return strings.HasPrefix(o.Rule, ManualRule) }

// Record is an occurrence as the log holds it, with what became of it.
type Record struct {
	Occurrence
	Status     Status     `json:"status"`
	Reason     string     `json:"reason,omitempty"`
	RecordedAt time.Time  `json:"recorded_at"`
	AckedAt    *time.Time `json:"acked_at,omitempty"`
	// Deliveries counts the occurrence's deliveries by status.
	Deliveries map[Status]int `json:"deliveries,omitempty"`
}

// Sent reports whether the occurrence went out to its channels: fired,
// acknowledged, or skipped by the person after it arrived.
func (r Record) Sent() bool {
	return r.Status == StatusFired || r.Status == StatusAcked || (r.Status == StatusSkipped && r.Reason == ReasonByYou)
}
