package harness

import (
	"cmp"
	"fmt"
	"net/netip"
)

// State is a connection state of RFC 9293 figure 5, as every peer reports
// it. Each peer translates its own stack's states into these (ourstack's,
// gVisor's endpoint states, Linux's sock_diag states), so that the checks
// speak one vocabulary and import no stack. ourstack has its own State with
// the same names on purpose: the judge keeps nothing of the stack under
// test, as harness/packet keeps none of its codec.
type State int

// The eleven states of RFC 9293 section 3.3.2.
const (
	Closed State = iota
	Listen
	SynSent
	SynReceived
	Established
	FinWait1
	FinWait2
	CloseWait
	Closing
	LastAck
	TimeWait
)

var stateNames = [...]string{
	Closed:      "CLOSED",
	Listen:      "LISTEN",
	SynSent:     "SYN-SENT",
	SynReceived: "SYN-RECEIVED",
	Established: "ESTABLISHED",
	FinWait1:    "FIN-WAIT-1",
	FinWait2:    "FIN-WAIT-2",
	CloseWait:   "CLOSE-WAIT",
	Closing:     "CLOSING",
	LastAck:     "LAST-ACK",
	TimeWait:    "TIME-WAIT",
}

// String returns the state's name as RFC 9293 writes it ("SYN-SENT").
func (s State) String() string {
	if s < 0 || int(s) >= len(stateNames) {
		return fmt.Sprintf("State(%d)", int(s))
	}
	return stateNames[s]
}

// Synchronized reports whether the state is one RFC 9293 calls synchronized
// (ESTABLISHED and every state after it).
func (s State) Synchronized() bool { return s >= Established }

// FourTuple names a connection from one end: its own address and port, then
// the other end's.
type FourTuple struct {
	LocalAddr  netip.Addr
	LocalPort  uint16
	RemoteAddr netip.Addr
	RemotePort uint16
}

// Reverse is the same connection seen from the other end.
func (id FourTuple) Reverse() FourTuple {
	return FourTuple{LocalAddr: id.RemoteAddr, LocalPort: id.RemotePort, RemoteAddr: id.LocalAddr, RemotePort: id.LocalPort}
}

// Compare orders four-tuples (local address, local port, remote address,
// remote port), so that connections are listed in one order every run.
func (id FourTuple) Compare(o FourTuple) int {
	return cmp.Or(
		id.LocalAddr.Compare(o.LocalAddr),
		cmp.Compare(id.LocalPort, o.LocalPort),
		id.RemoteAddr.Compare(o.RemoteAddr),
		cmp.Compare(id.RemotePort, o.RemotePort),
	)
}
