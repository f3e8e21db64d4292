package tcp

import "github.com/tcpbed/tcpbed/ourstack/wire"

// RespondClosed returns the RST RFC 9293 3.10.7.1 requires for a segment that
// arrives where no connection exists (and ok=false when none is to be sent:
// the segment was itself an RST).
//
//	If the ACK bit is off, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>
//	If the ACK bit is on,  <SEQ=SEG.ACK><CTL=RST>
//
// The ports are swapped; the Stack fills in the addresses.
func RespondClosed(seg *wire.Segment) (rst wire.Segment, ok bool) {
	if seg.Flags.Has(wire.FlagRST) {
		return wire.Segment{}, false
	}
	rst = wire.Segment{SrcPort: seg.DstPort, DstPort: seg.SrcPort}
	if seg.Flags.Has(wire.FlagACK) {
		rst.Seq = seg.Ack
		rst.Flags = wire.FlagRST
	} else {
		rst.Ack = seg.Seq.Add(seg.Len())
		rst.Flags = wire.FlagRST | wire.FlagACK
	}
	return rst, true
}
