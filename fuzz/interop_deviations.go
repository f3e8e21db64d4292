package fuzz

import (
	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// Known gVisor deviations the oracle excuses, registered with the others
// (conformance/deviations_gvisor.go; tcpbed deviations lists them). A run
// that shows one is not a failure; the fuzz target logs it, and the
// differential skips the input (the control is no control).
//   - conformance.GVisorTimeWaitIgnoresFINWithData: checkTimeWait counts
//     only bare FINs for gVisor (input 47edbe5a99dd6a05);
//   - conformance.GVisorStuckWithoutTimer: a gVisor end left waiting for an
//     ACK of its SYN or FIN with no timer armed (inputs c3916cb4b5f44c9e,
//     c97bd82493c6ce0d); excusedStall names it.
var gvisorStuckWithoutTimer = conformance.GVisorStuckWithoutTimer.Name

// needsTimer: in these states an end waits for the ACK of a SYN or a FIN
// it sent, and must keep a retransmission timer running until it comes.
func needsTimer(st harness.State) bool {
	switch st {
	case harness.SynSent, harness.SynReceived, harness.FinWait1, harness.Closing, harness.LastAck:
		return true
	}
	return false
}

// excusedStall names the gVisor deviation that explains why the run did not
// end with both ends CLOSED, or "". ourstack is never excused: an ourstack
// end stuck the same way fails the run.
func (r *interopRun) excusedStall() string {
	if r.timersLeft {
		return ""
	}
	excused := false
	for s, st := range r.finalStates {
		if !needsTimer(st) {
			continue
		}
		if r.ends[s].kind != "gvisor" {
			return ""
		}
		excused = true
	}
	if excused {
		return gvisorStuckWithoutTimer
	}
	return ""
}
