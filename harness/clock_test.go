package harness

import (
	"slices"
	"testing"
	"time"
)

func TestClockFiresInDeadlineThenArmingOrder(t *testing.T) {
	c := NewClock()
	var got []string
	arm := func(d time.Duration, name string) *Timer {
		return c.AfterFunc(d, func() { got = append(got, name) })
	}
	arm(2*time.Second, "b1")
	arm(time.Second, "a")
	arm(2*time.Second, "b2")
	stopped := arm(2*time.Second, "stopped")
	arm(2*time.Second, "b3")
	if !stopped.Stop() {
		t.Fatal("Stop of an armed timer returned false")
	}
	if stopped.Stop() {
		t.Fatal("second Stop returned true")
	}
	if at, ok := c.NextDeadline(); !ok || at != time.Second {
		t.Fatalf("NextDeadline = %v, %v; want 1s, true", at, ok)
	}
	if n := c.AdvanceTo(1500 * time.Millisecond); n != 1 {
		t.Fatalf("AdvanceTo(1.5s) fired %d timers, want 1", n)
	}
	c.Advance(time.Hour)
	want := []string{"a", "b1", "b2", "b3"}
	if !slices.Equal(got, want) {
		t.Fatalf("fired %v, want %v", got, want)
	}
	if c.Elapsed() != 1500*time.Millisecond+time.Hour {
		t.Fatalf("Elapsed = %v", c.Elapsed())
	}
}

func TestClockCallbackSeesItsDeadlineAndMayRearm(t *testing.T) {
	c := NewClock()
	var at []time.Duration
	var tm *Timer
	runs := 0
	tm = c.AfterFunc(time.Second, func() {
		at = append(at, c.Elapsed())
		if runs++; runs < 3 {
			tm.Reset(time.Second)
		}
	})
	// A zero-delay timer armed from a callback fires in the same Advance.
	c.AfterFunc(500*time.Millisecond, func() {
		c.AfterFunc(0, func() { at = append(at, -c.Elapsed()) })
	})
	c.AdvanceTo(10 * time.Second)
	want := []time.Duration{-500 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second}
	if !slices.Equal(at, want) {
		t.Fatalf("fired at %v, want %v", at, want)
	}
	if _, ok := c.NextDeadline(); ok {
		t.Fatal("timers left armed")
	}
}

func TestClockResetMovesAnArmedTimer(t *testing.T) {
	c := NewClock()
	fired := 0
	tm := c.AfterFunc(time.Second, func() { fired++ })
	tm.Reset(5 * time.Second)
	if c.Pending() != 1 {
		t.Fatalf("Pending = %d after Reset, want 1", c.Pending())
	}
	c.AdvanceTo(4 * time.Second)
	if fired != 0 {
		t.Fatal("timer fired at its old deadline")
	}
	c.AdvanceTo(5 * time.Second)
	if fired != 1 {
		t.Fatalf("fired %d times, want 1", fired)
	}
	if c.Netstack().Now() != Epoch.Add(5*time.Second) || c.Ourstack().Now() != Epoch.Add(5*time.Second) {
		t.Fatal("netstack view disagrees with the clock")
	}
}
