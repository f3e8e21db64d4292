package conformance

import (
	"github.com/tcpbed/tcpbed/harness"
)

// malformedDropped is how many inbound packets side's stack threw away as
// malformed, by its own count (harness.Counters); ok is false for a peer
// that keeps none.
func (e *Env) MalformedDropped(side harness.Side) (n uint64, ok bool) {
	c, ok := e.Net.Peer(side).Counters()
	return c.MalformedDropped, ok
}

// corruptedArrivals counts the packets the wire delivered to side with a
// bit flipped (they fail to parse: Record.ParseErr is set). A duplicate of
// a corrupted packet is corrupted too.
func CorruptedArrivals(recs []*harness.Record, side harness.Side) int {
	n := 0
	for _, r := range recs {
		// Corrupted and Duplicated are set when the packet is sent; only
		// an arrival time says it has reached the far end.
		reached := (r.Fate == harness.Corrupted || r.Fate == harness.Duplicated || r.Fate == harness.Delivered) && r.Arrived != 0
		if r.Dir.To() == side && r.ParseErr != nil && r.ICMP == nil && reached {
			n++
		}
	}
	return n
}
