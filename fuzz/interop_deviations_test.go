package fuzz

import (
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Known gVisor deviations the oracle excuses, each named, with the RFC it
// departs from. A run that shows one is not a failure; the fuzz target logs
// it, and the differential skips the input (the control is no control).

// gvisor-time-wait-ignores-fin-with-data: in TIME-WAIT gVisor restarts the
// 2MSL wait only for a bare FIN (SEG.SEQ+1 = RCV.NXT), not for the peer's
// FIN retransmitted together with the data before it, which RFC 9293
// 3.10.7.4 ("a retransmission of the remote FIN. Acknowledge it, and
// restart the 2 MSL timeout") covers too. checkTimeWait counts only bare
// FINs for gVisor (input testdata/fuzz/FuzzInterop/47edbe5a99dd6a05).

// gvisorStuckWithoutTimer: the run ended with nothing left to happen (no
// packet on the wire, no timer armed anywhere) while a gVisor end was in a
// state that waits for an ACK of its SYN or FIN (SYN-SENT, SYN-RECEIVED,
// FIN-WAIT-1, CLOSING, LAST-ACK): it will never leave it. RFC 6298 5.1 and
// RFC 9293 3.8.1: while a SYN or FIN is unacknowledged it is retransmitted;
// RFC 9293 3.10.7.4 CLOSING: an ACK of our FIN moves to TIME-WAIT.
// Seen twice:
//   - testdata/fuzz/FuzzInterop/c3916cb4b5f44c9e: in a simultaneous close
//     the peer's ACK of gVisor's FIN overtakes the peer's FIN; gVisor takes
//     the ACK (snd.una moves, its retransmission timer stops) but changes
//     state only on in-order segments, so the FIN then moves it to CLOSING,
//     where it stays: its FIN is ACKed, no timer runs, nothing more comes;
//   - testdata/fuzz/FuzzInterop/c97bd82493c6ce0d: gVisor's FIN goes out
//     once, is lost, and is never retransmitted: gVisor sits in CLOSING.
const gvisorStuckWithoutTimer = "gvisor-stuck-without-timer"

// needsTimer: in these states an end waits for the ACK of a SYN or a FIN
// it sent, and must keep a retransmission timer running until it comes.
func needsTimer(st tcp.State) bool {
	switch st {
	case tcp.SynSent, tcp.SynReceived, tcp.FinWait1, tcp.Closing, tcp.LastAck:
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
