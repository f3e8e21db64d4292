package harness

import (
	"net/netip"

	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// isnTable remembers each direction's initial sequence number, so that
// records can carry relative numbers: the sequence number of the last SYN a
// direction sent, or its first sequence number seen if it sent none.
type isnTable map[dirKey]seqnum.Value

// relative returns p's sequence and acknowledgment numbers relative to the
// ISNs of its direction and of the reverse one. With learn, p may teach the
// table its direction's ISN; a corrupted packet must not (its SYN bit may be
// a flipped one).
func (t *isnTable) relative(p *packet.Packet, learn bool) (seq, ack uint32) {
	if *t == nil {
		*t = isnTable{}
	}
	fwd := dirKey{netip.AddrPortFrom(p.IP.Src, p.TCP.SrcPort), netip.AddrPortFrom(p.IP.Dst, p.TCP.DstPort)}
	back := dirKey{fwd.dst, fwd.src}
	isn, ok := (*t)[fwd]
	if !ok || p.TCP.Flags.Has(packet.SYN) {
		isn = p.TCP.Seq
		if learn {
			(*t)[fwd] = isn
		}
	}
	seq = uint32(p.TCP.Seq - isn)
	if peer, ok := (*t)[back]; ok {
		ack = uint32(p.TCP.Ack - peer)
	} else {
		ack = uint32(p.TCP.Ack)
	}
	return seq, ack
}
