package rig

import (
	"fmt"
	"time"
)

// Stream is a run of one-shot custom reminders, perSecond of them due at
// each whole second from First on.
type Stream struct {
	Customs []Custom
	// At maps each reminder's name (and title) to its instant.
	At    map[string]time.Time
	First time.Time
	Last  time.Time
}

// NewStream returns n reminders named prefix-0000..., perSecond a second,
// the first due at first.
func NewStream(prefix string, n, perSecond int, first time.Time) Stream {
	s := Stream{At: map[string]time.Time{}, First: first}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s-%04d", prefix, i)
		t := first.Add(time.Duration(i/perSecond) * time.Second)
		s.Customs = append(s.Customs, At(name, t))
		s.At[name] = t
		s.Last = t
	}
	return s
}

// Tally sums up what a receiver got for a stream.
type Tally struct {
	Expected  int
	Delivered int // reminders received at least once (accepted)
	Lost      []string
	// Duplicates counts accepted receipts beyond the first per reminder.
	Duplicates int
	// DupIDMismatch counts reminders whose receipts carry more than one
	// webhook-id, or an id other than the first receipt's.
	DupIDMismatch int
	// Unexpected counts receipts of reminders not in the stream.
	Unexpected int
	BadSig     int
	// Early counts receipts that arrived before their instant.
	Early int
	// DupAt lists when each duplicate arrived.
	DupAt []time.Time
}

// Tally checks the receiver's accepted receipts against the stream.
func (s Stream) Tally(reqs []Receipt) Tally {
	t := Tally{Expected: len(s.At)}
	first := map[string]Receipt{}
	for _, rc := range reqs {
		if !rc.SigOK {
			t.BadSig++
		}
		if rc.Status < 200 || rc.Status >= 300 {
			continue
		}
		at, ok := s.At[rc.Title]
		if !ok || !rc.Scheduled.Equal(at) {
			t.Unexpected++
			continue
		}
		if rc.At.Before(at) {
			t.Early++
		}
		f, seen := first[rc.Title]
		if !seen {
			first[rc.Title] = rc
			continue
		}
		t.Duplicates++
		t.DupAt = append(t.DupAt, rc.At)
		if rc.WebhookID != f.WebhookID || rc.ID != f.ID {
			t.DupIDMismatch++
		}
	}
	t.Delivered = len(first)
	for _, c := range s.Customs {
		if _, ok := first[c.Name]; !ok {
			t.Lost = append(t.Lost, c.Name)
		}
	}
	return t
}

// String summarizes the tally in one line.
func (t Tally) String() string {
	s := fmt.Sprintf("delivered %d/%d, lost %d, duplicates %d", t.Delivered, t.Expected, len(t.Lost), t.Duplicates)
	if t.DupIDMismatch > 0 {
		s += fmt.Sprintf(" (%d with a different webhook-id)", t.DupIDMismatch)
	}
	if t.Unexpected > 0 {
		s += fmt.Sprintf(", %d unexpected", t.Unexpected)
	}
	if t.BadSig > 0 {
		s += fmt.Sprintf(", %d bad signatures", t.BadSig)
	}
	if t.Early > 0 {
		s += fmt.Sprintf(", %d early", t.Early)
	}
	return s
}
