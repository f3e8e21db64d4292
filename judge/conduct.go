package judge

import (
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// CleanWire reports whether the wire did nothing to recs but carry them:
// every packet delivered as sent (or still on its way when the run ended),
// and no fault rule touched one (a delay or a hold is a fault too: it
// reorders), and no ICMP error crossed it.
func CleanWire(recs []*harness.Record) bool {
	for _, r := range recs {
		// An ICMP error says a packet was lost or refused, whoever sent it.
		if (r.Fate != harness.Delivered && r.Fate != harness.InFlight) || len(r.Notes) > 0 || r.ICMP != nil {
			return false
		}
	}
	return true
}

// Resend is a data segment whose every byte its sender had sent before on
// that connection.
type Resend struct {
	Rec *harness.Record
	// Delivered: an earlier copy of every byte had reached the receiver,
	// and the receiver held the connection synchronized (ESTABLISHED or
	// later) when it took it; a segment a stack itself dropped (a full
	// accept queue) does not count.
	Delivered bool
	// Acked: the sender had heard an ACK of every byte before it resent
	// them (on a clean wire, then no timer of its own can explain it).
	Acked bool
	// Previous is the latest earlier copy of its first byte.
	Previous *harness.Record
}

// Since is how long after its previous copy the resend left: the timer
// that fired, if one did.
func (r Resend) Since() time.Duration { return r.Rec.At - r.Previous.At }

// Resends are the resends in recs, other than the probes that must repeat
// data: a zero-window probe (RFC 9293 3.8.6.1), sent while the last window
// that had reached the sender was zero, and a keepalive (RFC 1122
// 4.2.3.6), at most one octet the receiver had already acknowledged. On a
// wire that lost nothing (CleanWire), every resend is a timer that fired,
// or a loss guessed, when nothing was lost: conduct to explain. lost counts
// the data segments the wire lost.
//
// Sequence numbers are the records' relative ones; a SYN starts a new
// incarnation of the connection and forgets what was sent before it.
func Resends(recs []*harness.Record) (resends []Resend, lost int) {
	type flow struct {
		conn harness.FourTuple // seen from the client
		dir  harness.Dir
	}
	type sender struct {
		sent, delivered RangeSet
		sends           []*harness.Record // data segments, as sent
		acked           seqnum.Value
		heard           bool // acked is set
		windowZero      bool // the last window that reached it was 0
	}
	senders := map[flow]*sender{}
	get := func(f flow) *sender {
		s := senders[f]
		if s == nil {
			s = &sender{}
			senders[f] = s
		}
		return s
	}
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		if r.ParseErr != nil && r.Fate != harness.Corrupted {
			continue // no segment to speak of
		}
		if r.Injected {
			continue // a test's forgery, no stack's sending
		}
		seg := &r.Packet.TCP
		conn := r.ConnID(harness.Client)
		if ev.Arrival {
			if r.Fate == harness.Corrupted {
				continue // the receiver dropped it
			}
			if r.PayloadLen > 0 && synchronized(r.States[r.Dir.To()]) {
				get(flow{conn, r.Dir}).delivered.Add(SeqRange{Left: r.RelSeq, Right: r.RelSeq + uint32(r.PayloadLen)})
			}
			// What the receiving end, as a sender, now knows of its peer.
			s := get(flow{conn, 1 - r.Dir})
			if seg.Flags.Has(packet.ACK) {
				if ack := seqnum.Value(r.RelAck); !s.heard || s.acked.LessThan(ack) {
					s.acked, s.heard = ack, true
				}
				s.windowZero = seg.Window == 0
			}
			continue
		}
		s := get(flow{conn, r.Dir})
		if seg.Flags.Has(packet.SYN) {
			*s = sender{}
		}
		if r.PayloadLen == 0 || r.Fate == harness.Duplicated {
			continue // no data, or the wire's extra copy, not the sender's
		}
		if r.Fate.Lost() {
			lost++
		}
		bytes := SeqRange{Left: r.RelSeq, Right: r.RelSeq + uint32(r.PayloadLen)}
		again := s.sent.RunFrom(bytes.Left) >= bytes.Right
		s.sent.Add(bytes)
		s.sends = append(s.sends, r)
		if !again {
			continue
		}
		acked := s.heard && !s.acked.LessThan(seqnum.Value(bytes.Right))
		probe := s.windowZero
		keepalive := r.PayloadLen <= 1 && acked
		if !probe && !keepalive {
			resends = append(resends, Resend{
				Rec:       r,
				Delivered: s.delivered.RunFrom(bytes.Left) >= bytes.Right,
				Acked:     acked,
				Previous:  lastCopy(s.sends[:len(s.sends)-1], bytes.Left),
			})
		}
	}
	return resends, lost
}

// lastCopy is the latest of sends that carried seq (one did: the caller
// found seq sent before). Searching back from the end finds it within a
// window's worth of segments.
func lastCopy(sends []*harness.Record, seq uint32) *harness.Record {
	for i := len(sends) - 1; i >= 0; i-- {
		r := sends[i]
		if seqnum.Value(seq).InRange(seqnum.Value(r.RelSeq), seqnum.Value(r.RelSeq+uint32(r.PayloadLen))) {
			return r
		}
	}
	return sends[0]
}

// synchronized reports whether st is a state that takes data (RFC 9293
// 3.3.2: ESTABLISHED and the closing states), or unknown (a peer that
// reports none): a segment that reached a connection in any other state
// did not reach one that could take it.
func synchronized(st harness.State) bool {
	switch st {
	case harness.Established, harness.FinWait1, harness.FinWait2, harness.CloseWait, harness.Closing, harness.LastAck, harness.TimeWait, harness.NoState:
		return true
	}
	return false
}
