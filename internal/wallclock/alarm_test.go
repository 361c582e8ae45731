package wallclock

import (
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
)

// The realtime alarm is a kernel timer on the wall clock; this checks that
// it fires for a deadline already past and for one just ahead, and that it
// can be re-armed.
func TestRealtimeAlarmFires(t *testing.T) {
	a := New(clockwork.NewRealClock())
	defer a.Close()
	if _, ok := a.(*clockAlarm); ok {
		t.Skip("no timerfd on this system")
	}
	if !a.Wall() {
		t.Fatal("a timerfd alarm does not say it follows the wall clock")
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
	// A stopped alarm stays quiet past its deadline.
	a.Set(time.Now().Add(20 * time.Millisecond))
	a.Stop()
	select {
	case <-a.C():
		t.Fatal("a stopped alarm fired")
	case <-time.After(200 * time.Millisecond):
	}
}

func TestFakeClockAlarm(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2027, 6, 1, 9, 0, 0, 0, time.UTC))
	a := New(clock)
	defer a.Close()
	if !a.Wall() {
		t.Fatal("a fake clock's alarm does not say it follows the wall clock")
	}
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
	a.Set(clock.Now().Add(time.Minute))
	a.Stop()
	clock.Advance(time.Hour)
	select {
	case <-a.C():
		t.Fatal("a stopped alarm fired")
	default:
	}
}
