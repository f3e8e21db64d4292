package judge

import (
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// CleanWire reports whether the wire did nothing to recs but carry them:
// every packet delivered as sent, and no fault rule touched one (a delay
// or a hold is a fault too: it reorders).
func CleanWire(recs []*harness.Record) bool {
	for _, r := range recs {
		if r.Fate != harness.Delivered || len(r.Notes) > 0 {
			return false
		}
	}
	return true
}

// Resends are the data segments in recs whose every byte their sender had
// sent before on that connection, other than the probes that must repeat
// data: a zero-window probe (RFC 9293 3.8.6.1), sent while the last window
// that had reached the sender was zero, and a keepalive (RFC 1122
// 4.2.3.6), at most one octet the receiver had already acknowledged. On a
// wire that lost nothing (CleanWire), every other resend is a timer that
// fired, or a loss guessed, when nothing was lost: conduct to explain.
//
// Sequence numbers are the records' relative ones; a SYN starts a new
// incarnation of the connection and forgets what was sent before it.
func Resends(recs []*harness.Record) []*harness.Record {
	type flow struct {
		conn tcp.FourTuple // seen from the client
		dir  harness.Dir
	}
	type sender struct {
		high, acked seqnum.Value
		sent, heard bool // high and acked are set
		windowZero  bool // the last window that reached it was 0
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
	var out []*harness.Record
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		if r.ParseErr != nil {
			continue
		}
		seg := &r.Packet.TCP
		conn := r.ConnID(harness.Client)
		if ev.Arrival {
			if r.Fate == harness.Corrupted {
				continue // the receiver dropped it
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
		f := flow{conn, r.Dir}
		s := get(f)
		if seg.Flags.Has(packet.SYN) {
			*s = sender{}
		}
		if r.PayloadLen == 0 {
			continue
		}
		start := seqnum.Value(r.RelSeq)
		end := start.Add(seqnum.Size(r.PayloadLen))
		if s.sent && !s.high.LessThan(end) && r.Fate != harness.Duplicated {
			probe := s.windowZero
			keepalive := r.PayloadLen <= 1 && s.heard && !s.acked.LessThan(end)
			if !probe && !keepalive {
				out = append(out, r)
			}
		}
		if !s.sent || s.high.LessThan(end) {
			s.high, s.sent = end, true
		}
	}
	return out
}
