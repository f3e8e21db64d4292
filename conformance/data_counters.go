package conformance

import (
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack"
)

// malformedDropped is how many inbound packets side's stack threw away as
// malformed (a bad checksum or a header that does not hold together), read
// from the stack's own counters; ok is false for a peer that keeps none.
func (e *Env) malformedDropped(side harness.Side) (n uint64, ok bool) {
	switch p := e.Net.Peer(side).(type) {
	case interface{ Stack() *ourstack.Stack }:
		return p.Stack().Stats().MalformedPackets, true
	case interface{ Stack() *stack.Stack }:
		st := p.Stack().Stats()
		// A bad checksum on a segment for a connection; a header gVisor
		// could not parse; and a segment whose flipped bit sent it to no
		// endpoint at all, which gVisor checksums before it would answer.
		return st.TCP.ChecksumErrors.Value() + st.TCP.InvalidSegmentsReceived.Value() +
			st.NICs.MalformedL4RcvdPackets.Value(), true
	}
	return 0, false
}

// corruptedArrivals counts the packets the wire delivered to side with a
// bit flipped (they fail to parse: Record.ParseErr is set). A duplicate of
// a corrupted packet is corrupted too.
func corruptedArrivals(recs []*harness.Record, side harness.Side) int {
	n := 0
	for _, r := range recs {
		// Corrupted and Duplicated are set when the packet is sent; only
		// an arrival time says it has reached the far end.
		reached := (r.Fate == harness.Corrupted || r.Fate == harness.Duplicated || r.Fate == harness.Delivered) && r.Arrived != 0
		if r.Dir.To() == side && r.ParseErr != nil && reached {
			n++
		}
	}
	return n
}
