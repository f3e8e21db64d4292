package catalogue

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// fragmented-segments: TCP segments reach the server in IPv4 fragments
	// (injected from an address of its own). A host MUST reassemble (RFC
	// 1122 3.3.2, RFC 791 3.2). Expected: a SYN in two fragments, the second
	// first, is answered with one SYN-ACK; a third ACK carrying 1200 bytes
	// in four fragments, out of order and one twice, delivers the bytes
	// once; a segment whose fragments are overlapped by a forged fragment
	// with other bytes is discarded whole (RFC 5722's rule, which Linux and
	// gVisor apply to IPv4 too), so the forged bytes never reach the
	// application: the same segment sent again unfragmented delivers the
	// genuine bytes.
	Scenario{
		Name:    "fragmented-segments",
		Section: "data",
		Summary: "segments in IPv4 fragments, reordered and duplicated, arrive once; overlaps are refused",
		RFCs:    []string{"RFC 1122 3.3.2", "RFC 791 3.2", "RFC 5722 4"},
		Run:     runFragmentedSegments,
	},
)

// fragSource is where fragmented-segments' segments come from: not the
// client's address, so the client's stack stays out of it.
var fragSource = netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 51, 100, 9}), 40002)

// fragmentsOf encodes seg from fragSource to the server as one datagram
// with identification id, and cuts it at cuts (offsets into the IP payload).
func fragmentsOf(e *Env, id uint16, seg packet.Segment, cuts ...int) [][]byte {
	pkt := packet.Packet{IP: packet.IPv4{ID: id, TTL: 64, Src: fragSource.Addr(), Dst: e.Net.Addr(harness.Server)}, TCP: seg}
	frags, err := packet.Fragment(pkt.Encode(packet.Illegal{}), cuts...)
	e.NoError("fragment a segment", err)
	return frags
}

func runFragmentedSegments(e *Env) error {
	l := e.Listen()
	const x = seqnum.Value(9000)
	inject := func(frags ...[]byte) {
		for _, f := range frags {
			e.Net.Inject(harness.Server, f)
		}
		e.Settle()
	}

	// A SYN in two fragments, the second first: the TCP header is cut
	// after its first 16 bytes.
	mark := e.Mark()
	syn := fragmentsOf(e, 101, packet.Segment{SrcPort: fragSource.Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535,
		Options: packet.Options{HasMSS: true, MSS: 1460}}, 16)
	inject(syn[1], syn[0])
	synAck := e.ExpectOneReply(mark, harness.Server, fragSource, "one SYN-ACK to a SYN that came in two fragments", Flags(SYN|ACK), harness.AbsAck(uint32(x)+1))
	y := synAck.Packet.TCP.Seq

	// The third ACK with 1200 bytes in four fragments, out of order, the
	// first one twice.
	first := bytes.Repeat([]byte("fragmented "), 110)[:1200]
	third := fragmentsOf(e, 102, packet.Segment{SrcPort: fragSource.Port(), DstPort: e.Port, Seq: x + 1, Ack: y + 1,
		Flags: ACK | PSH, Window: 65535, Payload: first}, 8, 400, 800)
	inject(third[2], third[0], third[3], third[0], third[1])
	s := e.Accept(l)
	e.ExpectRead(s, first)

	// The next 800 bytes in two fragments, with a forged fragment that
	// overlaps both and carries other bytes: the datagram is discarded.
	next := x + 1 + seqnum.Value(len(first))
	second := bytes.Repeat([]byte("genuine "), 100)
	seg := packet.Segment{SrcPort: fragSource.Port(), DstPort: e.Port, Seq: next, Ack: y + 1, Flags: ACK | PSH, Window: 65535, Payload: second}
	genuine := fragmentsOf(e, 103, seg, 400)
	forgedSeg := seg
	forgedSeg.Payload = bytes.Repeat([]byte("FORGED! "), 100)
	forged := fragmentsOf(e, 103, forgedSeg, 392, 600)[1] // payload bytes 392..599
	mark = e.Mark()
	inject(genuine[0], forged, genuine[1])
	e.Advance(200 * time.Millisecond)
	buf := make([]byte, 2000)
	if k, err := s.Read(buf); k > 0 || !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("nothing delivered from a datagram whose fragments overlap (RFC 5722)", "Read gave %d bytes %q, %v", k, buf[:min(k, 40)], err)
	}
	for _, r := range e.RepliesTo(mark, harness.Server, fragSource) {
		if next.LessThan(r.Packet.TCP.Ack) {
			e.Fatalf(fmt.Sprintf("no acknowledgment past %d for the overlapped datagram", uint32(next)), "#%d ack=%d", r.Index, uint32(r.Packet.TCP.Ack))
		}
	}
	// Sent again whole, the genuine bytes arrive.
	e.InjectTo(harness.Server, fragSource.Addr(), seg)
	e.ExpectRead(s, second)
	return nil
}
