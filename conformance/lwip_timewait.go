package conformance

import (
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// LwIPSlowTick is lwIP's slow timer's period (TCP_SLOW_INTERVAL, 500 ms):
// lwIP ends TIME-WAIT on one of its ticks, timed from the last segment it
// took with its receive side open (LwIPTimeWaitFromLastSegment).
const LwIPSlowTick = 500 * time.Millisecond

// LwIPTimeWaitEndedEarly reports whether c's end is lwIP's and left
// TIME-WAIT for CLOSED before its 2MSL ran out at end, as lwIP does after
// a CLOSE, and records the deviation if so.
func (e *Env) LwIPTimeWaitEndedEarly(c harness.Conn, end time.Duration) bool {
	if e.PeerKind(e.Side(c)) != LwIP || c.State() != harness.Closed || e.EnteredAt(c, harness.Closed) >= end-judge.TimerSlack {
		return false
	}
	e.Deviates(LwIPTimeWaitFromLastSegment)
	return true
}

// LwIPTimeWaitEndsLate reports whether c's end is lwIP's and, still in
// TIME-WAIT when its 2MSL has run, leaves it by the next slow-timer tick;
// it then records the deviation (having run the Net past that tick). It
// fails the scenario if the end holds TIME-WAIT past the tick.
func (e *Env) LwIPTimeWaitEndsLate(c harness.Conn) bool {
	side := e.Side(c)
	if e.PeerKind(side) != LwIP || c.State() != harness.TimeWait {
		return false
	}
	e.Advance(LwIPSlowTick + judge.TimerSlack)
	if st := c.State(); st != harness.Closed {
		e.Fatalf(side.String()+" (lwip) CLOSED within one slow-timer tick (500 ms) of 2MSL", "%s in %v", side, st)
	}
	e.Deviates(LwIPTimeWaitFromLastSegment)
	return true
}

// lwipTimeWaitStay accepts, at an lwIP end, a stay in TIME-WAIT that
// ended by its timer before its 2MSL or within one slow tick after it
// (lastRestart: when its wait last restarted), and records the deviation.
func (e *Env) lwipTimeWaitStay(stay judge.TimeWaitStay, lastRestart time.Duration) bool {
	if e.PeerKind(stay.Side) != LwIP || stay.Exit == nil || stay.Exit.At > lastRestart+2*e.MSL+LwIPSlowTick+judge.TimerSlack {
		return false
	}
	e.Deviates(LwIPTimeWaitFromLastSegment)
	return true
}

// TimerTick is the period of the tick on which side's stack checks its
// keep-alive timer, or 0 for a stack whose timers fire when due: lwIP
// checks it in tcp_slowtmr, every TCP_SLOW_INTERVAL (LwIPSlowTick), so a
// probe goes at the first tick after its time (judge.OnTick).
func (e *Env) TimerTick(side harness.Side) time.Duration {
	if e.PeerKind(side) == LwIP {
		return LwIPSlowTick
	}
	return 0
}
