package judge

import (
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// NoReorderingOrCopies reports whether the wire, whatever it lost, kept
// every packet in its order and made no copies: then a segment sent later
// cannot arrive first, and a resend of data that had arrived is a guess
// the ACKs did not call for.
func NoReorderingOrCopies(recs []*harness.Record) bool {
	for _, r := range recs {
		if r.HeldBack || r.Fate == harness.Duplicated {
			return false
		}
	}
	return true
}

// Needless returns the resends in recs (Resends) of data that had been
// delivered, sent by an end judged accepts (nil: every end), with how many
// resends there were in all and how many data segments the wire lost. RFC 6675 4
// lets a SACK sender resend a segment once IsLost() holds for it, and RFC
// 8985 6.2 marks a segment lost only when one sent after it was delivered
// and a reordering window passed; on a wire that neither reorders nor
// copies (NoReorderingOrCopies), a resend of delivered data is then a lost
// ACK hiding its arrival, a timeout's go-back (RFC 6298 5.4) or a tail loss
// probe (RFC 8985 7.3): a few of each at most (NeedlessBound).
func Needless(recs []*harness.Record, judged func(sender harness.Side) bool) (needless []*harness.Record, resent, lost int) {
	resends, lost := Resends(recs)
	for _, r := range resends {
		if r.Delivered && (judged == nil || judged(r.Rec.Dir.From())) {
			needless = append(needless, r.Rec)
		}
	}
	return needless, len(resends), lost
}

// NeedlessBound is how many resends of delivered data a sender may make
// on a wire that lost lost data segments and neither reorders nor copies:
// a quarter of them, at least NeedlessFloor (lost ACKs, a timeout, a tail
// loss probe).
func NeedlessBound(lost int) int { return max(NeedlessFloor, lost/4) }

// NeedlessFloor is NeedlessBound's least.
const NeedlessFloor = 4

// ReceiverWindowClosed reports whether an end ever advertised a zero
// window. A sender the receive window holds back may, by RFC 6675 4
// NextSeg rule (3), resend unSACKed data not yet shown lost rather than
// sit idle, and such resends of delivered data are allowed.
func ReceiverWindowClosed(recs []*harness.Record) bool {
	for _, r := range recs {
		f := r.Packet.TCP.Flags
		if r.ParseErr == nil && f.Has(packet.ACK) && !f.Has(packet.SYN) && !f.Has(packet.RST) && r.Packet.TCP.Window == 0 {
			return true
		}
	}
	return false
}
