package judge

import "time"

// TimerSlack is how far from its deadline a timer may be seen to fire. Each
// clock reading a peer takes is a tick past the one before
// (harness.PeerClock), and a timer counts from the peer's last reading, so a
// timer armed after a few readings at one instant fires those few
// nanoseconds after the instant: late, as on any real host, never early.
const TimerSlack = 10 * time.Microsecond

// RealTimeSlack is TimerSlack for a peer whose timers run on real time
// (Linux): the harness mirrors a kernel timer onto virtual time from
// sock_diag, which counts in jiffies (4 ms at HZ=250), and reads it a
// scheduling delay after the event that armed it.
const RealTimeSlack = 20 * time.Millisecond

// OnTime reports whether got is want, to within TimerSlack either way (a
// gap between two timer firings may be a few ticks short when the first
// fired late).
func OnTime(got, want time.Duration) bool { return Within(got, want, TimerSlack) }

// Within reports whether got is want, to within slack either way.
func Within(got, want, slack time.Duration) bool {
	d := got - want
	return -slack <= d && d <= slack
}

// OnTick reports whether a timer due at want that a stack checks only on
// a periodic tick of period tick fired at got: at the first tick at or
// after want, so no earlier than want and at most one tick later (to
// within TimerSlack). A tick of 0 is a timer that fires when due: OnTime.
func OnTick(got, want, tick time.Duration) bool {
	d := got - want
	return -TimerSlack <= d && d <= tick+TimerSlack
}
