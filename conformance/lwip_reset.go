package conformance

import (
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// ResetFlags checks a reset's flags as RFC 9293 3.10.7 forms a RST for a
// segment that carries an ACK, <SEQ=SEG.ACK><CTL=RST>: RST alone. From an
// lwIP end it also takes RST|ACK, which is all lwIP sends
// (LwIPRSTCarriesACK), and records the deviation when it sees one.
func (e *Env) ResetFlags(from harness.Side) harness.SegCheck {
	plain := harness.Flags(packet.RST)
	if e.PeerKind(from) != LwIP {
		return plain
	}
	return harness.SegCheck{Field: plain.Field, Want: plain.Want, Got: func(r *harness.Record) (string, bool) {
		got, ok := plain.Got(r)
		if !ok && r.Packet.TCP.Flags == packet.RST|packet.ACK {
			e.Deviates(LwIPRSTCarriesACK)
			return got, true
		}
		return got, ok
	}}
}
