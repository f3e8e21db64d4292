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
	if c.ForPeer().Now() != Epoch.Add(5*time.Second) {
		t.Fatal("a peer's view disagrees with the clock")
	}
}

func TestPeerClockReadingsStrictlyIncrease(t *testing.T) {
	c := NewClock()
	a, b := c.ForPeer(), c.ForPeer()
	var last time.Duration = -1
	for i := range 5 {
		r := a.Elapsed()
		if r <= last {
			t.Fatalf("reading %d = %v, not after the one before (%v)", i, r, last)
		}
		last = r
	}
	if last != 4*Tick {
		t.Fatalf("fifth reading at one instant = %v, want 4 ticks", last)
	}
	// Each peer ticks on its own: b's first reading is the instant itself,
	// whatever a has read, so one peer's readings never depend on the other's.
	if r := b.Elapsed(); r != 0 {
		t.Fatalf("another peer's first reading = %v, want 0", r)
	}
	c.AdvanceTo(time.Millisecond)
	if r := a.Elapsed(); r != time.Millisecond {
		t.Fatalf("first reading after the clock moved = %v, want 1ms", r)
	}
}

func TestPeerClockTimerCountsFromTheLastReading(t *testing.T) {
	c := NewClock()
	p := c.ForPeer()
	p.Elapsed()
	sent := p.Elapsed() // one tick past the instant
	var firedAt time.Duration
	p.AfterFunc(time.Second, func() { firedAt = p.Elapsed() })
	c.AdvanceTo(time.Second)
	if firedAt != 0 {
		t.Fatalf("timer fired at %v, before the second it was armed for had passed since %v", firedAt, sent)
	}
	c.AdvanceTo(2 * time.Second)
	if firedAt != sent+time.Second {
		t.Fatalf("timer fired with the peer reading %v, want %v", firedAt, sent+time.Second)
	}
}

func TestFrozenClockGivesOneReadingPerInstant(t *testing.T) {
	c := NewClock()
	c.Freeze()
	p := c.ForPeer()
	if a, b := p.Elapsed(), p.Elapsed(); a != b {
		t.Fatalf("frozen clock read %v then %v at one instant", a, b)
	}
}

// A timer's callback may run its peer ahead to the instant before the
// next armed timer, and no further than the advance goes; outside a
// callback nothing runs ahead.
func TestLookaheadStopsShortOfTheNextTimer(t *testing.T) {
	c := NewClock()
	if got := c.Lookahead(); got != 0 {
		t.Fatalf("Lookahead outside a callback = %v, want now (0)", got)
	}
	var seen []time.Duration
	c.AfterFunc(time.Second, func() {
		seen = append(seen, c.Lookahead())
		c.SkipTo(4 * time.Second)
		seen = append(seen, c.Elapsed())
	})
	c.AfterFunc(5*time.Second, func() { seen = append(seen, c.Lookahead()) })
	c.AdvanceTo(time.Hour)
	want := []time.Duration{5*time.Second - 1, 4 * time.Second, time.Hour}
	if !slices.Equal(seen, want) {
		t.Fatalf("lookaheads and clock %v, want %v", seen, want)
	}

	// The Net's horizon lets a callback see past AdvanceTo's target,
	// the next event, to where the Net's own advance ends.
	c = NewClock()
	seen = nil
	c.AfterFunc(time.Second, func() { seen = append(seen, c.Lookahead()) })
	c.AdvanceTo(time.Second)
	was := c.setHorizon(time.Minute)
	c.AfterFunc(time.Second, func() { seen = append(seen, c.Lookahead()) })
	c.AdvanceTo(2 * time.Second)
	c.setHorizon(was)
	if want := []time.Duration{time.Second, time.Minute}; !slices.Equal(seen, want) {
		t.Fatalf("lookaheads %v, want %v", seen, want)
	}
}

// A timer that is not the first to fire at its instant may not run ahead:
// the one before it may have done what the Net waits for.
func TestLookaheadOfASecondTimerAtOneInstant(t *testing.T) {
	c := NewClock()
	var seen []time.Duration
	c.AfterFunc(time.Second, func() {})
	c.AfterFunc(time.Second, func() { seen = append(seen, c.Lookahead()) })
	c.AfterFunc(2*time.Second, func() { seen = append(seen, c.Lookahead()) })
	c.AdvanceTo(time.Minute)
	if want := []time.Duration{time.Second, time.Minute}; !slices.Equal(seen, want) {
		t.Fatalf("lookaheads %v, want %v", seen, want)
	}
}

func TestSkipToPastTheNextTimerPanics(t *testing.T) {
	c := NewClock()
	c.AfterFunc(2*time.Second, func() {})
	defer func() {
		if recover() == nil {
			t.Fatal("SkipTo past the next timer did not panic")
		}
	}()
	c.AfterFunc(time.Second, func() { c.SkipTo(2 * time.Second) })
	c.AdvanceTo(time.Hour)
}
