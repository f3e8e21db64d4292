package catalogue

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// ipv6-extension-headers: SYNs reach a listener behind IPv6 extension
	// headers (injected from addresses of their own). RFC 8200 4: a host
	// walks the chain, skipping Hop-by-Hop and Destination Options whose
	// options it knows or whose option type says "skip" (4.2), and a
	// Routing header with Segments Left 0 (4.4). Expected: those SYNs are
	// answered with a SYN-ACK; a Routing header with Segments Left 1, an
	// option of type 10xxxxxx it does not know, and a Next Header it does
	// not know are answered with an ICMPv6 Parameter Problem of code 0, 2
	// and 1, pointing at the Routing Type, the option type and the Next
	// Header field (RFC 8200 4, 4.2, 4.4; RFC 4443 3.4), and not with a
	// SYN-ACK.
	Scenario{
		Name:     "ipv6-extension-headers",
		Section:  "handshake",
		Summary:  "SYNs behind IPv6 extension headers: known ones skipped, unknown get a Parameter Problem",
		RFCs:     []string{"RFC 8200 4", "RFC 8200 4.2", "RFC 8200 4.4", "RFC 4443 3.4"},
		IPv6Only: "IPv6's extension headers (RFC 8200 4); IPv4's options are another rule",
		Run:      runIPv6ExtensionHeaders,
	},
)

// IPv6 Next Header values the scenario builds (IANA protocol numbers).
const (
	nhHopByHop = 0
	nhTCP      = 6
	nhRouting  = 43
	nhDestOpts = 60
	// nhUnassigned is a protocol number IANA has not assigned: no host
	// knows it.
	nhUnassigned = 150
)

// extHeader is one extension header: its Next Header is filled in when the
// chain is built.
type extHeader struct {
	kind uint8
	body []byte // everything after Next Header and Hdr Ext Len, padded to 8n+6
}

// optionsHeader is a Hop-by-Hop or Destination Options header carrying one
// option of type typ with a 2-byte value, padded with PadN (RFC 8200 4.2).
func optionsHeader(kind, typ uint8) extHeader {
	return extHeader{kind: kind, body: []byte{typ, 2, 0xab, 0xcd, 1, 0}} // the option, then PadN of 2
}

// routingHeader is a Routing header of an unassigned type with segmentsLeft.
func routingHeader(segmentsLeft uint8) extHeader {
	return extHeader{kind: nhRouting, body: []byte{253, segmentsLeft, 0, 0, 0, 0}}
}

// withExtHeaders returns the IPv6 packet pkt (TCP straight after the fixed
// header) with hdrs put between the two; last, if not TCP, is the Next
// Header of the last of them. The TCP checksum does not change: the
// pseudo-header has the TCP length and Next Header 6 whatever lies between
// (RFC 8200 8.1).
func withExtHeaders(pkt []byte, last uint8, hdrs ...extHeader) []byte {
	const fixed = 40
	out := append([]byte(nil), pkt[:fixed]...)
	next := []uint8{}
	for _, h := range hdrs {
		next = append(next, h.kind)
	}
	next = append(next, last)
	out[6] = next[0]
	for i, h := range hdrs {
		out = append(out, next[i+1], uint8((2+len(h.body))/8-1))
		out = append(out, h.body...)
	}
	out = append(out, pkt[fixed:]...)
	binary.BigEndian.PutUint16(out[4:], uint16(len(out)-fixed))
	return out
}

func runIPv6ExtensionHeaders(e *Env) error {
	e.Listen()
	for i, tc := range []struct {
		what    string
		last    uint8
		hdrs    []extHeader
		problem bool
		code    uint8
		pointer uint32 // from the start of the packet
	}{
		{what: "Hop-by-Hop and Destination Options, each with an option of type 00xxxxxx (skip)", last: nhTCP,
			hdrs: []extHeader{optionsHeader(nhHopByHop, 0x1e), optionsHeader(nhDestOpts, 0x1e)}},
		{what: "a Routing header with Segments Left 0", last: nhTCP, hdrs: []extHeader{routingHeader(0)}},
		{what: "a Routing header of an unknown type with Segments Left 1", last: nhTCP, hdrs: []extHeader{routingHeader(1)},
			problem: true, code: 0, pointer: 40 + 2},
		{what: "a Destination Options header with an unknown option of type 10xxxxxx", last: nhTCP,
			hdrs: []extHeader{optionsHeader(nhDestOpts, 0x9e)}, problem: true, code: 2, pointer: 40 + 2},
		{what: "a Destination Options header whose Next Header is unassigned", last: nhUnassigned,
			hdrs: []extHeader{optionsHeader(nhDestOpts, 0x1e)}, problem: true, code: 1, pointer: 40},
	} {
		src := netip.AddrPortFrom(e.Elsewhere(byte(20+i)), 41000)
		x := seqnum.Value(5000 + 1000*i)
		syn := e.PacketTo(harness.Server, src.Addr(), packet.Segment{SrcPort: src.Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535,
			Options: packet.Options{HasMSS: true, MSS: 1440}}).Encode(packet.Illegal{})
		mark := e.Mark()
		e.InjectRaw(harness.Server, withExtHeaders(syn, tc.last, tc.hdrs...))
		e.Settle()
		synAcks := e.RepliesTo(mark, harness.Server, src)
		var problems []*harness.Record
		for _, r := range e.Since(mark) {
			if r.ICMP != nil && r.Packet.IP.Dst == src.Addr() {
				problems = append(problems, r)
			}
		}
		if !tc.problem {
			if len(synAcks) != 1 || !synAcks[0].Packet.TCP.Flags.Has(SYN|ACK) || len(problems) != 0 {
				e.Fatalf("one SYN-ACK to a SYN behind "+tc.what+" (RFC 8200 4: skipped)", "%s", DescribeRecords(e.Since(mark)))
			}
			continue
		}
		if len(synAcks) != 0 {
			e.Fatalf("no SYN-ACK to a SYN behind "+tc.what+" (RFC 8200 4: the packet is discarded)", "%s", DescribeRecords(e.Since(mark)))
		}
		want := fmt.Sprintf("an ICMPv6 Parameter Problem code %d pointer %d for a SYN behind %s (RFC 8200 4, RFC 4443 3.4)", tc.code, tc.pointer, tc.what)
		if len(problems) != 1 {
			e.Fatalf(want, "%d ICMP errors\n%s", len(problems), DescribeRecords(e.Since(mark)))
		}
		if m := problems[0].ICMP; m.Type != packet.ICMPv6ParamProblem || m.Code != tc.code || m.Pointer != tc.pointer {
			e.Fatalf(want, "#%d %s", problems[0].Index, m)
		}
		if m := problems[0].ICMP; m.QuoteUnreadable && !e.LwIPParamProblemQuoteUnreadable(harness.Server, m) {
			e.Fatalf(want+", quoting the SYN from its IPv6 header (RFC 4443 2.4 (c))", "#%d quotes no IPv6 header", problems[0].Index)
		}
	}
	return nil
}
