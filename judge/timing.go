package judge

import "time"

// TimerSlack is how far from its deadline a timer may be seen to fire. Each
// clock reading a peer takes is a tick past the one before
// (harness.PeerClock), and a timer counts from the peer's last reading, so a
// timer armed after a few readings at one instant fires those few
// nanoseconds after the instant: late, as on any real host, never early.
const TimerSlack = 10 * time.Microsecond

// OnTime reports whether got is want, to within TimerSlack either way (a
// gap between two timer firings may be a few ticks short when the first
// fired late).
func OnTime(got, want time.Duration) bool {
	d := got - want
	return -TimerSlack <= d && d <= TimerSlack
}
