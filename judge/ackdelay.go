package judge

import (
	"cmp"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// MaxACKDelay is how long a receiver may hold the ACK of a segment that
// took sequence space: RFC 9293 3.8.6.3 (MUST-40, from RFC 1122 4.2.3.2)
// "the delay MUST be less than 0.5 seconds"; RFC 5681 4.2 the same.
const MaxACKDelay = 500 * time.Millisecond

// LateACK is a segment that took sequence space (data or a FIN) and
// reached a synchronized connection, which sent nothing with an ACK on it
// within MaxACKDelay.
type LateACK struct {
	Rec *harness.Record
	// Next is the receiver's next segment with ACK set on that
	// connection, nil if it sent none before the run ended.
	Next *harness.Record
}

// Delay is how long the ACK was held: to Next, or to end if none came.
func (l LateACK) Delay(end time.Duration) time.Duration {
	if l.Next != nil {
		return l.Next.At - l.Rec.Arrived
	}
	return end - l.Rec.Arrived
}

// LateACKs are the segments in recs whose receiver held its ACK
// MaxACKDelay or longer, for every receiver judged accepts; end is when
// the run ended (a segment that arrived within MaxACKDelay of it is not
// judged). Any segment with ACK set answers every arrival before it: an
// ACK of new data, a duplicate ACK for a segment beyond a hole or one
// already had, a RST that ends the connection. A test's forgery
// (Injected) is its scenario's to judge: RFC 5961 lets a receiver
// rate-limit the ACKs some forgeries draw. A SYN's answer is the
// handshake's, not this rule's.
func LateACKs(recs []*harness.Record, end time.Duration, judged func(receiver harness.Side) bool) []LateACK {
	type flow struct {
		conn harness.FourTuple // seen from the client
		to   harness.Side
	}
	pending := map[flow][]*harness.Record{}
	var late []LateACK
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		if r.ParseErr != nil && r.Fate != harness.Corrupted {
			continue // no segment to speak of
		}
		seg := &r.Packet.TCP
		conn := r.ConnID(harness.Client)
		if ev.Arrival {
			to := r.Dir.To()
			if r.Fate == harness.Corrupted || r.Injected || seg.Flags.Has(packet.SYN) || seg.Flags.Has(packet.RST) || (r.PayloadLen == 0 && !seg.Flags.Has(packet.FIN)) {
				continue
			}
			if st := r.States[to]; st == harness.NoState || !synchronized(st) || !judged(to) {
				continue
			}
			f := flow{conn, to}
			pending[f] = append(pending[f], r)
			continue
		}
		// Sent is what counts, whatever the wire then did to it.
		settle := func(f flow) {
			for _, in := range pending[f] {
				if r.At-in.Arrived >= MaxACKDelay {
					late = append(late, LateACK{Rec: in, Next: r})
				}
			}
			delete(pending, f)
		}
		switch from := r.Dir.From(); {
		case r.Fate == harness.Corrupted:
			// Its headers are not to be trusted (its ports, its flags):
			// it answers whatever its sender owed.
			for f := range pending {
				if f.to == from {
					settle(f)
				}
			}
		case seg.Flags.Has(packet.ACK) || seg.Flags.Has(packet.RST):
			settle(flow{conn, from})
		}
	}
	for _, ins := range pending {
		for _, in := range ins {
			if end-in.Arrived >= MaxACKDelay {
				late = append(late, LateACK{Rec: in})
			}
		}
	}
	slices.SortFunc(late, func(a, b LateACK) int { return cmp.Compare(a.Rec.Index, b.Rec.Index) })
	return late
}
