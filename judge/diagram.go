package judge

import (
	"fmt"

	"github.com/tcpbed/tcpbed/harness"
)

// edge is one transition a connection may make.
type edge struct{ from, to harness.State }

// DiagramEdges are the transitions of RFC 9293's state diagram (figure 5,
// section 3.3.2) as a peer reports one connection's changes, each with its
// reason, plus the ones section 3.10 adds that the figure leaves out.
//
// A peer reports a state change once per event (ourstack: a segment, a
// timer, a user call; gVisor: polled after each packet and call), comparing
// the state before and after. One segment can carry two events of the
// diagram (a SYN-ACK with a FIN, an ACK of our FIN with the peer's FIN),
// and then the report skips the state between: those compound edges are
// listed too, each naming the two it is made of.
//
// A connection born at a listener starts at LISTEN (the listener's state;
// per connection, CLOSED -> LISTEN is the passive OPEN and is not
// reported). SYN-RECEIVED -> LISTEN (an RST for a passively opened
// connection, 3.10.7.4 first "return this connection to LISTEN") is the
// connection ending while its listener goes on: per connection it reads
// SYN-RECEIVED -> CLOSED.
var DiagramEdges = map[edge]string{
	// Figure 5.
	{harness.Closed, harness.SynSent}:          "active OPEN: create TCB, snd SYN",
	{harness.Listen, harness.SynReceived}:      "rcv SYN: snd SYN,ACK",
	{harness.Listen, harness.SynSent}:          "SEND on a LISTEN: snd SYN (3.10.2)",
	{harness.SynSent, harness.SynReceived}:     "rcv SYN (simultaneous open): snd SYN,ACK (figure 7)",
	{harness.SynSent, harness.Established}:     "rcv SYN,ACK: snd ACK",
	{harness.SynReceived, harness.Established}: "rcv ACK of SYN",
	{harness.SynReceived, harness.FinWait1}:    "CLOSE: snd FIN",
	{harness.Established, harness.FinWait1}:    "CLOSE: snd FIN",
	{harness.Established, harness.CloseWait}:   "rcv FIN: snd ACK",
	{harness.FinWait1, harness.FinWait2}:       "rcv ACK of FIN",
	{harness.FinWait1, harness.Closing}:        "rcv FIN: snd ACK (simultaneous close, figure 13)",
	{harness.FinWait2, harness.TimeWait}:       "rcv FIN: snd ACK",
	{harness.Closing, harness.TimeWait}:        "rcv ACK of FIN",
	{harness.CloseWait, harness.LastAck}:       "CLOSE: snd FIN",
	{harness.LastAck, harness.Closed}:          "rcv ACK of FIN: delete TCB",
	{harness.TimeWait, harness.Closed}:         "timeout=2MSL: delete TCB",
	{harness.SynSent, harness.Closed}:          "CLOSE: delete TCB",
	{harness.SynReceived, harness.Closed}:      "rcv RST (figure 5's SYN-RECEIVED -> LISTEN, per connection)",
	{harness.Listen, harness.Closed}:           "CLOSE of the listener: delete TCB",
	// Section 3.10: any state goes to CLOSED on an acceptable RST (3.10.7.4
	// second), ABORT (3.10.5), a user timeout or too many retransmissions
	// (3.10.8, RFC 1122 4.2.3.5), or CLOSE with unread data (RFC 1122
	// 4.2.2.13, RFC 2525 2.17). (SYN-SENT, SYN-RECEIVED, LAST-ACK and
	// TIME-WAIT -> CLOSED are already above.)
	{harness.Established, harness.Closed}: "RST, ABORT, timeout or CLOSE with unread data (3.10.5, 3.10.7.4, 3.10.8)",
	{harness.FinWait1, harness.Closed}:    "RST, ABORT, timeout or CLOSE with unread data (3.10.5, 3.10.7.4, 3.10.8)",
	{harness.FinWait2, harness.Closed}:    "RST, ABORT, or the FIN-WAIT-2 timeout Linux adds (tcp_fin_timeout; RFC 9293 leaves it open)",
	{harness.CloseWait, harness.Closed}:   "RST, ABORT, timeout or CLOSE with unread data (3.10.5, 3.10.7.4, 3.10.8)",
	{harness.Closing, harness.Closed}:     "RST, ABORT or timeout (3.10.5, 3.10.7.4, 3.10.8)",
	// 3.10.7.4 eighth, FIN-WAIT-1: "If our FIN has been ACKed (perhaps in
	// this segment), then enter TIME-WAIT": figure 5 draws it as two
	// arrows through FIN-WAIT-2 or CLOSING, one segment takes both.
	{harness.FinWait1, harness.TimeWait}: "rcv FIN with the ACK of our FIN (3.10.7.4 eighth)",
	// RFC 4987 SYN cookies: the connection is born from the returning ACK,
	// so it goes from the listener straight to ESTABLISHED.
	{harness.Listen, harness.Established}: "rcv ACK carrying a valid SYN cookie (RFC 4987 3.6)",
	// Compound edges: one segment, two events of figure 5.
	{harness.SynSent, harness.CloseWait}:     "rcv SYN,ACK,FIN: SYN-SENT -> ESTABLISHED -> CLOSE-WAIT (3.10.7.3 then eighth)",
	{harness.SynReceived, harness.CloseWait}: "rcv ACK of SYN with FIN: SYN-RECEIVED -> ESTABLISHED -> CLOSE-WAIT (3.10.7.4 fifth then eighth)",
	// A half-close (CloseWrite) before ESTABLISHED queues the FIN "for
	// processing after entering ESTABLISHED state" (3.10.4, SYN-RECEIVED;
	// ourstack does the same in SYN-SENT, as for SEND in 3.10.2); the
	// segment that establishes the connection then also releases it.
	{harness.SynSent, harness.FinWait1}:    "queued FIN, rcv SYN,ACK: -> ESTABLISHED -> FIN-WAIT-1",
	{harness.SynSent, harness.Closing}:     "queued FIN, rcv SYN,ACK,FIN: -> ESTABLISHED -> FIN-WAIT-1 -> CLOSING",
	{harness.SynSent, harness.LastAck}:     "queued FIN, rcv SYN,ACK,FIN: -> ESTABLISHED -> CLOSE-WAIT -> LAST-ACK",
	{harness.SynReceived, harness.Closing}: "queued FIN, rcv ACK of SYN with FIN: -> ESTABLISHED -> FIN-WAIT-1 -> CLOSING",
	{harness.SynReceived, harness.LastAck}: "queued FIN, rcv ACK of SYN with FIN: -> ESTABLISHED -> CLOSE-WAIT -> LAST-ACK",
}

// StatePaths checks side's state changes of every connection (listeners
// aside): each must be an edge of DiagramEdges, and each must start where
// the one before it on the same four-tuple ended, unless that one ended in
// CLOSED (a new incarnation of the four-tuple starts over, from LISTEN or
// CLOSED). It returns the first that is not, or "".
func StatePaths(changes []harness.StateChange, side harness.Side) string {
	last := map[harness.FourTuple]harness.State{}
	for _, c := range changes {
		if c.Side != side || c.ID.RemotePort == 0 {
			continue
		}
		if prev, ok := last[c.ID]; ok && prev != harness.Closed && prev != c.From {
			return fmt.Sprintf("%v:%d went %v -> %v at %v, but it was in %v", c.ID.RemoteAddr, c.ID.RemotePort, c.From, c.To, c.At, prev)
		}
		last[c.ID] = c.To
		if _, ok := DiagramEdges[edge{c.From, c.To}]; !ok {
			return fmt.Sprintf("%v:%d went %v -> %v at %v: not an edge of RFC 9293's state diagram", c.ID.RemoteAddr, c.ID.RemotePort, c.From, c.To, c.At)
		}
	}
	return ""
}
