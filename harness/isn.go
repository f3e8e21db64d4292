package harness

import (
	"net/netip"

	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// isnTable remembers each direction's initial sequence number, so that
// records can carry relative numbers: the sequence number of the last SYN a
// direction sent, or its first sequence number seen if it sent none.
type isnTable map[dirKey]seqnum.Value

// learnISN says whether a packet's SYN may teach the table its ISN.
type learnISN int

const (
	// neverLearn: a corrupted packet (its SYN bit may be a flipped one),
	// or one not yet on the wire; a SYN still reads as 0.
	neverLearn learnISN = iota
	// learnIfNew: an injected packet teaches only a four-tuple the table
	// does not know yet (a spoofed SYN) and never rebases a live
	// connection: a SYN forged into one reads relative to its ISN.
	learnIfNew
	// alwaysLearn: a stack's own SYN starts a new incarnation.
	alwaysLearn
)

// relative returns p's sequence and acknowledgment numbers relative to the
// ISNs of its direction and of the reverse one; learn says whether p may
// teach the table its direction's ISN.
func (t *isnTable) relative(p *packet.Packet, learn learnISN) (seq, ack uint32) {
	if *t == nil {
		*t = isnTable{}
	}
	fwd := dirKey{netip.AddrPortFrom(p.IP.Src, p.TCP.SrcPort), netip.AddrPortFrom(p.IP.Dst, p.TCP.DstPort)}
	back := dirKey{fwd.dst, fwd.src}
	isn, ok := (*t)[fwd]
	if !ok || (p.TCP.Flags.Has(packet.SYN) && learn != learnIfNew) {
		isn = p.TCP.Seq
		if learn == alwaysLearn || (learn == learnIfNew && !ok) {
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
