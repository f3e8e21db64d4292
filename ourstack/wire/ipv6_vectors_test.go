package wire

import (
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	gvchecksum "gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// IPv6 test packets are built with gVisor's header package, the oracle:
// its IPv6 and TCP encoders and its checksum, never ours. The expected
// Packet6 is the input given to gVisor plus what gVisor computed.

var (
	client6 = netip.MustParseAddr("2001:db8::1")
	server6 = netip.MustParseAddr("2001:db8::2")
)

// Linux's SYN option layout (RFC 9293 3.2, RFC 7323, RFC 2018 formats):
// MSS 1440; SACK-permitted, timestamps 0x11223344/0; NOP, window scale 7.
var synOptions6 = []byte{
	2, 4, 0x05, 0xa0,
	4, 2, 8, 10, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0,
	1, 3, 3, 7,
}

var synOptions6Parsed = Options{HasMSS: true, MSS: 1440, SACKPermitted: true, HasTimestamps: true, TSVal: 0x11223344, HasWindowScale: true, WindowScale: 7}

// gvPacket6 builds with gVisor an IPv6 packet with the fixed header of ip
// (NextHeader naming ip.ExtHeaders' first header, or TCP without them),
// the raw extension headers, and the TCP segment s with options opts
// already laid out. It returns the bytes and the Packet6 ParseIPv6 must
// read from them.
func gvPacket6(ip IPv6Fields, s Segment, opts []byte) ([]byte, Packet6) {
	tcpLen := header.TCPMinimumSize + len(opts) + len(s.Payload)
	payloadLen := len(ip.ExtHeaders) + tcpLen
	b := make([]byte, header.IPv6MinimumSize+payloadLen)
	src, dst := tcpip.AddrFrom16(ip.Src.As16()), tcpip.AddrFrom16(ip.Dst.As16())
	gip := header.IPv6(b)
	gip.Encode(&header.IPv6Fields{
		TrafficClass: ip.TrafficClass, FlowLabel: ip.FlowLabel, PayloadLength: uint16(payloadLen),
		TransportProtocol: header.TCPProtocolNumber, HopLimit: ip.HopLimit, SrcAddr: src, DstAddr: dst,
	})
	if len(ip.ExtHeaders) > 0 {
		gip.SetNextHeader(ip.NextHeader)
	}
	copy(b[header.IPv6MinimumSize:], ip.ExtHeaders)
	t := header.TCP(b[header.IPv6MinimumSize+len(ip.ExtHeaders):])
	t.Encode(&header.TCPFields{
		SrcPort: s.SrcPort, DstPort: s.DstPort, SeqNum: uint32(s.Seq), AckNum: uint32(s.Ack),
		DataOffset: uint8(header.TCPMinimumSize + len(opts)), Flags: header.TCPFlags(s.Flags),
		WindowSize: s.Window, UrgentPointer: s.Urgent,
	})
	copy(t[header.TCPMinimumSize:], opts)
	copy(t[header.TCPMinimumSize+len(opts):], s.Payload)
	xsum := header.PseudoHeaderChecksum(header.TCPProtocolNumber, src, dst, uint16(tcpLen))
	xsum = gvchecksum.Checksum(t.Payload(), xsum)
	t.SetChecksum(^t.CalculateChecksum(xsum))

	want := Packet6{IP: ip, TCP: s}
	want.IP.PayloadLength = gip.PayloadLength()
	want.IP.NextHeader = gip.NextHeader()
	if len(ip.ExtHeaders) > 0 {
		want.IP.ExtHeaders = b[header.IPv6MinimumSize : header.IPv6MinimumSize+len(ip.ExtHeaders)]
	}
	want.TCP.DataOffset = t.DataOffset() / 4
	want.TCP.Checksum = t.Checksum()
	if len(s.Payload) > 0 {
		want.TCP.Payload = t.Payload()
	}
	return b, want
}

// extHeader lays out one extension header (RFC 8200 section 4): next
// header, length in 8-octet units past the first 8, body. The body must
// make the header a multiple of 8 bytes.
func extHeader(next uint8, body ...byte) []byte {
	if (len(body)+2)%8 != 0 {
		panic("extension header body not a multiple of 8 bytes with its first 2")
	}
	return append([]byte{next, byte((len(body)+2)/8 - 1)}, body...)
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// ipv6Base is the IPv6 header of the test packets, without extension headers.
func ipv6Base() IPv6Fields {
	return IPv6Fields{TrafficClass: 0x2e, FlowLabel: 0xabcde, HopLimit: 64, Src: client6, Dst: server6}
}

// withExt is ipv6Base with the extension headers ext, the first of them nh.
func withExt(nh uint8, ext ...[]byte) IPv6Fields {
	ip := ipv6Base()
	ip.NextHeader, ip.ExtHeaders = nh, concat(ext...)
	return ip
}

// vector6 is one IPv6 packet: its bytes (from gVisor) and its fields.
type vector6 struct {
	name   string
	bytes  []byte
	packet Packet6
}

func vectors6() []vector6 {
	syn := Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020304, Flags: FlagSYN, Window: 64800, Options: synOptions6Parsed}
	data := Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020305, Ack: 0xa0b0c0d1, Flags: FlagPSH | FlagACK, Window: 502, Payload: []byte("hello, world\n")}
	rst := Segment{SrcPort: 40000, DstPort: 80, Seq: 0xa0b0c0d1, Flags: FlagRST}
	var out []vector6
	add := func(name string, ip IPv6Fields, s Segment, opts []byte) {
		b, p := gvPacket6(ip, s, opts)
		out = append(out, vector6{name, b, p})
	}
	add("SYN with every option", ipv6Base(), syn, synOptions6)
	add("data", ipv6Base(), data, nil)
	add("RST", ipv6Base(), rst, nil)
	// RFC 8200 4.1's order: Hop-by-Hop (PadN), Destination Options (Pad1s),
	// Routing (type 4, no segments left), an atomic Fragment.
	add("data behind every extension header", withExt(nextHeaderHopByHop,
		extHeader(nextHeaderDestOpts, optionPadN, 4, 0, 0, 0, 0),
		extHeader(nextHeaderRouting, 0, 0, 0, 0, 0, 0),
		extHeader(nextHeaderFragment, 4, 0, 0, 0, 0, 0),
		[]byte{ProtocolTCP, 0, 0, 0, 0x12, 0x34, 0x56, 0x78},
	), data, nil)
	return out
}
