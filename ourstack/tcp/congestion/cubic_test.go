package congestion

import (
	"math"
	"testing"
	"time"
)

// CUBIC's figures below come from RFC 9438's formulas with SMSS = 1000:
// C = 0.4, β = 0.7, α = 3(1-β)/(1+β) ≈ 0.529.

var t0 = time.Unix(1_000_000, 0)

// cubicAt100 is a CUBIC controller that has slow-started to 100 segments
// and then lost one: ssthresh 70 segments, cwnd 70 once recovery ended.
func cubicAt100(t *testing.T) *cubic {
	t.Helper()
	c := Cubic(1000).(*cubic)
	for range 45 { // slow start, 2 segments an ACK (RFC 3465 L = 2)
		c.OnAck(2000)
	}
	c.OnEnterRecovery(100_000)
	c.OnExitRecovery()
	if c.Cwnd() != 70_000 || c.Ssthresh() != 70_000 {
		t.Fatalf("after a loss at 100 segments: cwnd %d, ssthresh %d; want 70000 each (RFC 9438 4.6: x0.7)", c.Cwnd(), c.Ssthresh())
	}
	if c.wMax != 100 {
		t.Fatalf("W_max %v, want 100 (the window at the loss)", c.wMax)
	}
	return c
}

// ackClock runs a steady ACK clock: each RTT the whole window is acknowledged
// one segment at a time, until virtual time d after t0 has passed.
func ackClock(c *cubic, rtt, d time.Duration) {
	for now := t0; now.Before(t0.Add(d)); now = now.Add(rtt) {
		c.Tick(now, rtt)
		for range c.Cwnd() / c.mss {
			c.OnAck(c.mss)
		}
	}
}

// On a long RTT the cubic curve rules: the window climbs fast, then flattens
// out near W_max = 100 around K = cbrt(100 x 0.3 / 0.4) = 4.22 s.
func TestCubicCurve(t *testing.T) {
	k := math.Cbrt(100 * (1 - cubicBeta) / cubicC)
	c := cubicAt100(t)
	ackClock(c, 100*time.Millisecond, time.Duration(k/2*float64(time.Second)))
	// W_cubic(K/2 + RTT) = 100 - 0.4 x (K/2 - 0.1)^3 ≈ 96.9.
	if w := c.segs(c.Cwnd()); w < 94 || w > 99 {
		t.Errorf("at K/2 = %.2f s: cwnd %.1f segments, want about 96.9", k/2, w)
	}
	c = cubicAt100(t)
	ackClock(c, 100*time.Millisecond, time.Duration(k*float64(time.Second)))
	if w := c.segs(c.Cwnd()); w < 99 || w > 102 {
		t.Errorf("at K = %.2f s: cwnd %.1f segments, want about W_max = 100", k, w)
	}
	c = cubicAt100(t)
	ackClock(c, 100*time.Millisecond, time.Duration((k+2)*float64(time.Second)))
	// Convex beyond K: W_cubic(K + 2 + RTT) = 100 + 0.4 x 2.1^3 ≈ 103.7.
	if w := c.segs(c.Cwnd()); w < 102.5 || w > 106 {
		t.Errorf("at K + 2 s: cwnd %.1f segments, want about 103.7", w)
	}
}

// On a short RTT the Reno-friendly estimate rules (RFC 9438 4.3): α ≈ 0.53
// segments per RTT up to W_max (57 RTTs from 70), then 1 per RTT: about 143
// segments after 100 RTTs of 10 ms, where the cubic curve alone would give
// W_cubic(1 s) ≈ 86.7.
func TestCubicRenoFriendly(t *testing.T) {
	c := cubicAt100(t)
	ackClock(c, 10*time.Millisecond, time.Second)
	if w := c.segs(c.Cwnd()); w < 135 || w > 150 {
		t.Errorf("after 1 s at 10 ms RTT: cwnd %.1f segments, want about 143", w)
	}
}

// Fast convergence (RFC 9438 4.7): a loss before the window regained W_max
// sets W_max to (1 + β) / 2 of the window, not the window.
func TestCubicFastConvergence(t *testing.T) {
	c := cubicAt100(t)
	for i := 0; c.Cwnd() < 80_000; i++ {
		if i > 100_000 {
			t.Fatalf("the window never grew from 70 to 80 segments: %d", c.Cwnd())
		}
		c.Tick(t0.Add(time.Duration(i)*time.Millisecond), 100*time.Millisecond)
		c.OnAck(1000)
	}
	w := c.segs(c.Cwnd())
	c.OnEnterRecovery(c.Cwnd())
	if want := w * (1 + cubicBeta) / 2; math.Abs(c.wMax-want) > 1e-9 {
		t.Errorf("W_max after a second loss at %.1f segments: %.2f, want %.2f", w, c.wMax, want)
	}
	if want := int(float64(int(w*1000)) * cubicBeta); c.Ssthresh() != want {
		t.Errorf("ssthresh %d, want %d", c.Ssthresh(), want)
	}
}

// A timeout (RFC 9438 4.8): Reno's one-segment loss window, ssthresh from
// β, and after slow start the curve starts at the window (K = 0).
func TestCubicTimeout(t *testing.T) {
	c := cubicAt100(t)
	c.OnRetransmitTimeout(70_000)
	if c.Cwnd() != 1000 || c.Ssthresh() != 49_000 {
		t.Fatalf("after a timeout: cwnd %d, ssthresh %d; want 1000, 49000", c.Cwnd(), c.Ssthresh())
	}
	for range 48 { // slow start back to ssthresh
		c.OnAck(1000)
	}
	c.Tick(t0, 100*time.Millisecond)
	c.OnAck(1000)
	if c.k != 0 || c.wMax != c.origin || c.origin != 49 {
		t.Errorf("first epoch after a timeout: K %.2f, W_max %.1f, origin %.1f; want 0, 49, 49", c.k, c.wMax, c.origin)
	}
}

// Undo (RFC 9438 4.9) puts back the window and W_max; ssthresh never goes
// below what the reduction set (NewReno's Undo).
func TestCubicUndo(t *testing.T) {
	c := cubicAt100(t)
	ackClock(c, 100*time.Millisecond, 5*time.Second)
	cwnd, ssthresh, wMax := c.Cwnd(), c.Ssthresh(), c.wMax
	c.OnEnterRecovery(cwnd)
	c.OnExitRecovery()
	c.Undo(cwnd, ssthresh)
	if c.Cwnd() != cwnd || c.Ssthresh() < ssthresh || c.wMax != wMax {
		t.Errorf("after Undo: cwnd %d ssthresh %d W_max %.1f; want %d, at least %d, %.1f", c.Cwnd(), c.Ssthresh(), c.wMax, cwnd, ssthresh, wMax)
	}
}
