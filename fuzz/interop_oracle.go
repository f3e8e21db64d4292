package fuzz

import (
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// The oracle of the interop target (interop_test.go). While the program
// runs, every Read is checked as it returns (interopEnd.check and ended):
// what a side reads is a prefix of what the other side wrote, nothing comes
// after EOF or a reset, and an EOF comes only after the other side
// half-closed and every byte it wrote was read. After the run:
//
//   - checkFinalStates: with the faults lifted, both applications read to
//     the end and closed, and every timer ran out, every connection either
//     end ever had is CLOSED: nothing is stuck (TIME-WAIT has ended too);
//   - checkTimeWait: TIME-WAIT lasted 2MSL, counted from entering it or
//     from the last retransmitted FIN it re-ACKed (RFC 9293 3.10.7.4:
//     "restart the 2 MSL timeout");
//   - checkOurPaths: ourstack's states followed RFC 9293's diagram;
//   - runInterop itself: no goroutine outlives Net.Close.

// checkFinalStates: every connection of the trace ends CLOSED at both ends.
func (r *interopRun) checkFinalStates() {
	last := map[[2]any]harness.StateChange{}
	for _, c := range r.net.Trace().Changes {
		if c.ID.RemotePort == 0 {
			continue // a listener
		}
		last[[2]any{c.Side, c.ID}] = c
	}
	for _, c := range last {
		if c.To != harness.Closed {
			r.violate("stuck: the %s's connection %v:%d ended the run in %v (since %v), not CLOSED",
				c.Side, c.ID.RemoteAddr, c.ID.RemotePort, c.To, c.At)
		}
	}
}

// checkTimeWait: each stay in TIME-WAIT, at either end, lasted 2MSL from
// its last restart. The exceptions: an application's ABORT in TIME-WAIT
// deletes the TCB at once (RFC 9293 3.10.5), and so may a CLOSE with
// unread data (TimeWaitStay.ResetAsItLeft).
func (r *interopRun) checkTimeWait() {
	t := r.net.Trace()
	for _, stay := range judge.TimeWaitStays(t) {
		if stay.Exit == nil {
			continue // checkFinalStates reports it
		}
		if at := r.abortAt[stay.Side]; at >= stay.Entered && at <= stay.Exit.At {
			continue
		}
		if stay.ResetAsItLeft(t) {
			// The application closed with unread data and the end reset
			// the connection as it left TIME-WAIT (RFC 1122 4.2.2.13:
			// "SHOULD send a RST to show that data was lost"). gVisor does,
			// as Linux does; ourstack flushes the data and keeps waiting.
			continue
		}
		kind := r.ends[stay.Side].kind
		rule := func(fin *harness.Record, older bool) judge.Restart {
			switch {
			case kind == "gvisor" && fin.PayloadLen > 0:
				// gVisor restarts the wait only for a bare FIN
				// (rcv.go handleTimeWaitSegment: SEG.SEQ+1 = RCV.NXT),
				// not for a FIN retransmitted with the data before it
				// (gvisor-time-wait-ignores-fin-with-data).
				return judge.NoRestart
			case older && kind == "ours":
				// An old duplicate of the FIN, overtaken by its
				// retransmission: PAWS rejects it before the TIME-WAIT
				// processing (RFC 7323 5.3 R1: ACK and drop) if
				// TS.Recent took the newer TSval, which it did only if
				// that segment covered Last.ACK.sent (4.3): it may or may
				// not restart the wait. gVisor has no PAWS.
				return judge.MayRestart
			}
			return judge.Restarts
		}
		if bad := stay.Lasted2MSL(t, interopMSL, rule); bad != "" {
			r.violate("%s (%s)", bad, kind)
		}
	}
}

// checkOurPaths: every connection ourstack had went along the diagram's
// edges.
func (r *interopRun) checkOurPaths() {
	for _, s := range []harness.Side{harness.Client, harness.Server} {
		if r.ends[s].kind != "ours" {
			continue
		}
		if bad := judge.StatePaths(r.net.Trace().Changes, s); bad != "" {
			r.violate("ourstack (%s): %s", s, bad)
		}
	}
}
