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
	// fragmented-segments: TCP segments reach the server in fragments
	// (injected from an address of its own): IPv4's, or over IPv6 the
	// source's with a Fragment header. A host MUST reassemble (RFC 1122
	// 3.3.2, RFC 791 3.2, RFC 8200 4.5). Expected: a SYN in two fragments, the second
	// first, is answered with one SYN-ACK; a third ACK carrying 1200 bytes
	// in four fragments, out of order and one twice, delivers the bytes
	// once; a segment whose fragments are overlapped by a forged fragment
	// with other bytes never delivers the forged bytes: over IPv6 it is
	// discarded whole (RFC 5722), and the same segment sent again
	// unfragmented delivers the genuine bytes; over IPv4, where RFC 791 3.2
	// leaves overlaps to the host, it is either discarded whole (Linux and
	// gVisor apply RFC 5722 there too) or reassembled from the genuine
	// fragments alone (lwIP drops the overlapping one). Over IPv6 the SYN cut inside its TCP header is not
	// answered (RFC 7112 5: the first fragment must hold the whole header
	// chain), and is then sent whole.
	Scenario{
		Name:    "fragmented-segments",
		Section: "data",
		Summary: "segments in IP fragments, reordered and duplicated, arrive once; overlaps are refused",
		RFCs:    []string{"RFC 1122 3.3.2", "RFC 791 3.2", "RFC 8200 4.5", "RFC 5722 4", "RFC 7112 5"},
		Run:     runFragmentedSegments,
	},
)

// fragSource(e) is where fragmented-segments' segments come from: not the
// client's address, so the client's stack stays out of it.
func fragSource(e *Env) netip.AddrPort { return netip.AddrPortFrom(e.Elsewhere(9), 40002) }

// fragmentsOf encodes seg from fragSource(e) to the server as one datagram
// with identification id, and cuts it at cuts (offsets into the IP payload).
func fragmentsOf(e *Env, id uint16, seg packet.Segment, cuts ...int) [][]byte {
	pkt := e.PacketTo(harness.Server, fragSource(e).Addr(), seg)
	pkt.IP.ID = id
	b := pkt.Encode(packet.Illegal{})
	frags, err := packet.Fragment(b, cuts...)
	if e.Pairing.Family == IPv6 {
		frags, err = packet.FragmentIPv6(b, uint32(id), cuts...)
	}
	e.NoError("fragment a segment", err)
	return frags
}

func runFragmentedSegments(e *Env) error {
	l := e.Listen()
	const x = seqnum.Value(9000)

	// A SYN in two fragments, the second first: the TCP header is cut
	// after its first 16 bytes. Over IPv6 that first fragment lacks the
	// whole header chain, which RFC 7112 5 says to discard: the SYN goes
	// whole after it.
	synSeg := packet.Segment{SrcPort: fragSource(e).Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535,
		Options: packet.Options{HasMSS: true, MSS: 1220}}
	mark := e.Mark()
	syn := fragmentsOf(e, 101, synSeg, 16)
	e.InjectRaw(harness.Server, syn[1], syn[0])
	// Over IPv6, and at an lwIP server (LwIPTCPHeaderInFirstFragment),
	// the first fragment of every later segment holds the whole TCP header.
	wholeHeader := e.Pairing.Family == IPv6
	switch {
	case e.Pairing.Family == IPv6 && !answeredIncompleteChain(e, mark):
		mark = e.Mark()
		e.InjectTo(harness.Server, fragSource(e).Addr(), synSeg)
	case e.PeerKind(harness.Server) == LwIP && len(e.RepliesTo(mark, harness.Server, fragSource(e))) == 0:
		e.Deviates(LwIPTCPHeaderInFirstFragment)
		wholeHeader = true
		mark = e.Mark()
		e.InjectTo(harness.Server, fragSource(e).Addr(), synSeg)
	}
	if e.Pairing.Server == Lneto {
		e.Drain()
		if len(e.RepliesTo(mark, harness.Server, fragSource(e))) == 0 {
			e.EndAccepting(LnetoNoReassembly)
		}
	}
	synAck := e.ExpectOneReply(mark, harness.Server, fragSource(e), "one SYN-ACK to a SYN that came in two fragments", Flags(SYN|ACK), harness.AbsAck(uint32(x)+1))
	y := synAck.Packet.TCP.Seq

	// The third ACK with 1200 bytes in four fragments, out of order, the
	// first one twice. The first fragment holds the whole TCP header
	// (over IPv6 RFC 7112 asks it; over IPv4 8 bytes do, as RFC 791 allows).
	first := bytes.Repeat([]byte("fragmented "), 110)[:1200]
	firstCut := 8
	if wholeHeader {
		firstCut = 24
	}
	third := fragmentsOf(e, 102, packet.Segment{SrcPort: fragSource(e).Port(), DstPort: e.Port, Seq: x + 1, Ack: y + 1,
		Flags: ACK | PSH, Window: 65535, Payload: first}, firstCut, 400, 800)
	e.InjectRaw(harness.Server, third[2], third[0], third[3], third[0], third[1])
	s := e.Accept(l)
	e.ExpectRead(s, first)

	// The next 800 bytes in two fragments, with a forged fragment that
	// overlaps both and carries other bytes: the datagram is discarded.
	next := x + 1 + seqnum.Value(len(first))
	second := bytes.Repeat([]byte("genuine "), 100)
	seg := packet.Segment{SrcPort: fragSource(e).Port(), DstPort: e.Port, Seq: next, Ack: y + 1, Flags: ACK | PSH, Window: 65535, Payload: second}
	genuine := fragmentsOf(e, 103, seg, 400)
	forgedSeg := seg
	forgedSeg.Payload = bytes.Repeat([]byte("FORGED! "), 100)
	forged := fragmentsOf(e, 103, forgedSeg, 392, 600)[1] // payload bytes 392..599
	mark = e.Mark()
	e.InjectRaw(harness.Server, genuine[0], forged, genuine[1])
	e.Advance(200 * time.Millisecond)
	buf := make([]byte, 2000)
	k, err := s.Read(buf)
	lwipKeeps := e.Pairing.Family == IPv6 && e.PeerKind(harness.Server) == LwIP
	if (e.Pairing.Family == IPv4 || lwipKeeps) && k > 0 && err == nil {
		// IPv4 has no RFC 5722: RFC 791 3.2 leaves overlaps to the
		// reassembler. What must hold is that no forged byte reaches the
		// application: a reassembler that drops the overlapping fragment
		// and keeps the genuine ones delivers the genuine bytes.
		got := append(buf[:k:k], e.ReadN(s, len(second)-min(k, len(second)))...)
		if !bytes.Equal(got, second) {
			e.Fatalf("no forged byte delivered from a datagram whose fragments overlap: nothing, or the genuine bytes alone", "Read gave %d bytes %q", len(got), got[:min(len(got), 40)])
		}
		if lwipKeeps {
			e.Deviates(LwIPIPv6OverlapKeepsDatagram)
			return nil
		}
		e.Observe("the overlapping fragment was dropped and the genuine ones reassembled (IPv4: RFC 791 3.2 leaves overlaps to the host)")
		return nil
	}
	if k > 0 || !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("nothing delivered from a datagram whose fragments overlap (RFC 5722)", "Read gave %d bytes %q, %v", k, buf[:min(k, 40)], err)
	}
	for _, r := range e.RepliesTo(mark, harness.Server, fragSource(e)) {
		if next.LessThan(r.Packet.TCP.Ack) {
			e.Fatalf(fmt.Sprintf("no acknowledgment past %d for the overlapped datagram", uint32(next)), "#%d ack=%d", r.Index, uint32(r.Packet.TCP.Ack))
		}
	}
	// Sent again whole, the genuine bytes arrive.
	e.InjectTo(harness.Server, fragSource(e).Addr(), seg)
	e.ExpectRead(s, second)
	return nil
}

// answeredIncompleteChain reports whether the server answered the SYN
// whose first IPv6 fragment held only 16 bytes of its TCP header, which RFC
// 7112 5 says to discard ("SHOULD"; an ICMPv6 Parameter Problem, code 3,
// MAY answer it): only gVisor does, under its deviation.
func answeredIncompleteChain(e *Env, mark int) bool {
	e.Settle()
	for _, r := range e.RepliesTo(mark, harness.Server, fragSource(e)) {
		if r.Packet.TCP.Flags.Has(SYN) {
			if e.Pairing.Server != GVisor {
				e.Fatalf("no SYN-ACK to a SYN whose first IPv6 fragment held 16 bytes of its TCP header (RFC 7112 5: discarded)",
					"#%d %s", r.Index, r.Packet.TCP.Flags)
			}
			e.Deviates(GVisorReassemblesIncompleteHeaderChain)
			return true
		}
	}
	return false
}

var _ = Register(
	// padded-datagrams: a SYN and a data segment reach the server with
	// bytes after the end the IPv4 Total Length gives, as an Ethernet frame
	// pads a short packet to its 60-byte minimum (RFC 894). Total Length is
	// "the length of the datagram" (RFC 791 3.1): the padding is not part
	// of it. Expected: the SYN is answered, the data is read exactly as
	// sent, without the padding, and acknowledged.
	Scenario{
		Name:    "padded-datagrams",
		Section: "data",
		Summary: "a SYN and data with link padding past Total Length: accepted, the padding ignored",
		RFCs:    []string{"RFC 791 3.1", "RFC 894"},
		Run:     runPaddedDatagrams,
	},
)

// paddedSource(e) is where padded-datagrams' segments come from.
func paddedSource(e *Env) netip.AddrPort { return netip.AddrPortFrom(e.Elsewhere(10), 40003) }

func runPaddedDatagrams(e *Env) error {
	l := e.Listen()
	const x = seqnum.Value(3000)
	padding := []byte{0, 0, 0, 0, 0, 0, 0xee, 0xee} // what a NIC may leave there: zeros, or not
	inject := func(seg packet.Segment) {
		pkt := e.PacketTo(harness.Server, paddedSource(e).Addr(), seg)
		e.InjectRaw(harness.Server, append(pkt.Encode(packet.Illegal{}), padding...))
	}
	mark := e.Mark()
	inject(packet.Segment{SrcPort: paddedSource(e).Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535,
		Options: packet.Options{HasMSS: true, MSS: 1460}})
	synAck := e.ExpectOneReply(mark, harness.Server, paddedSource(e), "a SYN-ACK to a SYN followed by link padding", Flags(SYN|ACK), harness.AbsAck(uint32(x)+1))
	text := []byte("short")
	inject(packet.Segment{SrcPort: paddedSource(e).Port(), DstPort: e.Port, Seq: x + 1, Ack: synAck.Packet.TCP.Seq + 1,
		Flags: ACK | PSH, Window: 65535, Payload: text})
	s := e.Accept(l)
	e.ExpectRead(s, text)
	e.Advance(time.Second)
	buf := make([]byte, 64)
	if k, err := s.Read(buf); k > 0 || !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("the padding not delivered as data", "a further Read gave %q, %v", buf[:k], err)
	}
	var last *harness.Record
	for _, r := range e.RepliesTo(mark, harness.Server, paddedSource(e)) {
		last = r
	}
	if want := uint32(x) + 1 + uint32(len(text)); last == nil || uint32(last.Packet.TCP.Ack) != want {
		e.Fail(fmt.Sprintf("the server's last segment to acknowledge %d, the data without its padding", want), DescribeRecords(e.Since(mark)))
	}
	return nil
}
