package daemon

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// The realtime alarm is a kernel timer on the wall clock; this checks that
// it fires for a deadline already past and for one just ahead, and that it
// can be re-armed.
func TestRealtimeAlarmFires(t *testing.T) {
	a := newAlarm(clockwork.NewRealClock())
	defer a.Close()
	if _, ok := a.(*clockAlarm); ok {
		t.Skip("no timerfd on this system")
	}
	if a.MaxSleep() != idleSleep {
		t.Fatalf("max sleep %s", a.MaxSleep())
	}
	a.Set(time.Now().Add(-time.Hour))
	select {
	case <-a.C():
	case <-time.After(5 * time.Second):
		t.Fatal("a past deadline did not fire")
	}
	start := time.Now()
	a.Set(start.Add(30 * time.Millisecond))
	select {
	case <-a.C():
		if time.Since(start) < 30*time.Millisecond {
			t.Fatal("fired before its deadline")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the alarm did not fire")
	}
	// Replacing a deadline moves it.
	a.Set(time.Now().Add(time.Hour))
	a.Set(time.Now().Add(10 * time.Millisecond))
	select {
	case <-a.C():
	case <-time.After(5 * time.Second):
		t.Fatal("a replaced deadline did not fire")
	}
}

func TestFakeClockAlarm(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	a := newAlarm(clock)
	defer a.Close()
	a.Set(clock.Now().Add(time.Hour))
	clock.Advance(59 * time.Minute)
	select {
	case <-a.C():
		t.Fatal("fired early")
	default:
	}
	clock.Advance(time.Minute)
	select {
	case <-a.C():
	case <-time.After(5 * time.Second):
		t.Fatal("did not fire at its deadline")
	}
}
