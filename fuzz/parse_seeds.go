package fuzz

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

var (
	client = wire.Addr4(10, 0, 0, 1)
	server = wire.Addr4(10, 0, 0, 2)
)

// seed is a named input for the segment fuzzers.
type seed struct {
	name  string
	bytes []byte
}

func encode(p wire.Packet, ill wire.Illegal) []byte {
	b := make([]byte, p.Len())
	if _, err := p.Encode(b, ill); err != nil {
		panic(err)
	}
	return b
}

func ipFields(src, dst netip.Addr) wire.IPv4Fields {
	return wire.IPv4Fields{ID: 0x1c46, Flags: wire.IPv4DontFragment, TTL: 64, Src: src, Dst: dst}
}

// realPackets are the segments of one connection's life, as Linux would lay
// them out.
func realPackets() map[string]wire.Packet {
	everyOption := wire.Options{
		HasMSS: true, MSS: 1460, SACKPermitted: true,
		HasTimestamps: true, TSVal: 0x11223344,
		HasWindowScale: true, WindowScale: 7,
	}
	synAckOptions := everyOption
	synAckOptions.TSVal, synAckOptions.TSEcr = 0x55667788, 0x11223344
	ts := wire.Options{HasTimestamps: true, TSVal: 0x11223345, TSEcr: 0x55667788}
	sack := ts
	sack.NumSACKBlocks = 3
	sack.SACKBlocks = [wire.MaxSACKBlocks]wire.SACKBlock{{Left: 100, Right: 200}, {Left: 300, Right: 400}, {Left: 500, Right: 600}}
	return map[string]wire.Packet{
		"syn-every-option": {IP: ipFields(client, server), TCP: wire.Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020304, Flags: wire.FlagSYN, Window: 64240, Options: everyOption}},
		"syn-ack":          {IP: ipFields(server, client), TCP: wire.Segment{SrcPort: 80, DstPort: 40000, Seq: 0xa0b0c0d0, Ack: 0x01020305, Flags: wire.FlagSYN | wire.FlagACK, Window: 65160, Options: synAckOptions}},
		"data":             {IP: ipFields(client, server), TCP: wire.Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020305, Ack: 0xa0b0c0d1, Flags: wire.FlagPSH | wire.FlagACK, Window: 502, Options: ts, Payload: []byte("GET / HTTP/1.0\r\n\r\n")}},
		"ack-sack":         {IP: ipFields(server, client), TCP: wire.Segment{SrcPort: 80, DstPort: 40000, Seq: 0xa0b0c0d1, Ack: 0x01020305, Flags: wire.FlagACK, Window: 509, Options: sack}},
		"fin":              {IP: ipFields(client, server), TCP: wire.Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020317, Ack: 0xa0b0c0d1, Flags: wire.FlagFIN | wire.FlagACK, Window: 502, Options: ts}},
		"rst":              {IP: ipFields(client, server), TCP: wire.Segment{SrcPort: 40000, DstPort: 80, Seq: 0x01020318, Flags: wire.FlagRST}},
		"ip-options":       {IP: wire.IPv4Fields{TTL: 1, Src: client, Dst: server, Options: []byte{7, 7, 4, 0, 0, 0, 0, 0}}, TCP: wire.Segment{SrcPort: 1, DstPort: 2, Flags: wire.FlagACK}},
	}
}

// seeds are the real packets plus broken ones, each broken in one way,
// then the IPv6 ones (seeds6).
func seeds() []seed {
	real := realPackets()
	var out []seed
	for _, name := range slices.Sorted(maps.Keys(real)) {
		out = append(out, seed{name, encode(real[name], wire.Illegal{})})
	}
	syn := encode(real["syn-every-option"], wire.Illegal{})
	data := encode(real["data"], wire.Illegal{})
	// broke copies b, applies f and fixes both checksums, so the one fault is f's.
	broke := func(name string, b []byte, f func(b []byte)) {
		c := slices.Clone(b)
		f(c)
		fixChecksums(c)
		out = append(out, seed{name, c})
	}
	withIll := func(name, base string, edit func(p *wire.Packet), ill wire.Illegal) {
		p := real[base]
		edit(&p)
		out = append(out, seed{name, encode(p, ill)})
	}
	withIll("bad-tcp-checksum", "data", func(p *wire.Packet) { p.TCP.Checksum = 0xbad0 }, wire.Illegal{KeepTCPChecksum: true})
	withIll("bad-ip-checksum", "data", func(p *wire.Packet) { p.IP.Checksum = 0xbad0 }, wire.Illegal{KeepIPChecksum: true})
	withIll("syn-fin", "syn-every-option", func(p *wire.Packet) { p.TCP.Flags |= wire.FlagFIN }, wire.Illegal{})
	withIll("data-offset-past-end", "rst", func(p *wire.Packet) { p.TCP.DataOffset = 15 }, wire.Illegal{KeepDataOffset: true})
	out = append(out,
		seed{"empty", nil},
		seed{"truncated-ip", syn[:19]},
		seed{"truncated-tcp", syn[:50]},
	)
	rst := encode(real["rst"], wire.Illegal{})
	broke("trailing-padding", append(slices.Clone(rst), 0, 0, 0, 0, 0, 0), func([]byte) {})
	broke("total-length-19", rst, func(b []byte) { b[2], b[3] = 0, 19 })
	broke("ipv6-version", syn, func(b []byte) { b[0] = 0x60 | b[0]&0xf })
	broke("ihl-4", syn, func(b []byte) { b[0] = 0x44 })
	broke("ihl-15", rst, func(b []byte) { b[0] = 0x4f })
	broke("ihl-15-no-room-for-tcp", syn, func(b []byte) { b[0] = 0x4f })
	broke("fragment-mf", data, func(b []byte) { b[6] |= 0x20 })
	broke("fragment-offset", data, func(b []byte) { b[7] = 1 })
	broke("udp", data, func(b []byte) { b[9] = 17 })
	broke("data-offset-4", syn, func(b []byte) { b[32] = 0x40 })
	broke("mss-length-0", syn, func(b []byte) { b[41] = 0 })
	broke("mss-length-3", syn, func(b []byte) { b[41] = 3 })
	broke("mss-zero", syn, func(b []byte) { b[42], b[43] = 0, 0 })
	broke("mss-tiny", syn, func(b []byte) { b[42], b[43] = 0, 8 })
	broke("wscale-15", syn, func(b []byte) { b[59] = 15 })
	broke("wscale-length-4", syn, func(b []byte) { b[58] = 4 })
	broke("ts-length-8", data, func(b []byte) { b[43] = 8 })
	broke("sack-length-2", encode(real["ack-sack"], wire.Illegal{}), func(b []byte) { b[55] = 2 })
	broke("sack-length-9", encode(real["ack-sack"], wire.Illegal{}), func(b []byte) { b[55] = 9 })
	broke("unknown-option-length-1", syn, func(b []byte) { b[56] = 30; b[57] = 1 })
	broke("option-kind-at-end", syn, func(b []byte) { b[56], b[57], b[58], b[59] = 1, 1, 1, 30 })
	broke("syn-tsecr-nonzero", syn, func(b []byte) { b[52] = 0x99 })
	out = append(out,
		seed{"icmp-frag-needed", icmpv4Error(wire.ICMPv4FragmentationNeeded, 1280, data)},
		seed{"icmp-port-unreachable", icmpv4Error(wire.ICMPv4PortUnreachable, 0, syn)},
	)
	return append(out, seeds6()...)
}

// icmpv4Error is the ICMP Destination Unreachable (code, and the next-hop
// MTU of RFC 1191 4) a router at 10.0.0.254 sends about offending, quoting
// its IP header and the first 8 bytes of its TCP header (RFC 792): the
// messages ourstack reads with ParseICMPv4Error.
func icmpv4Error(code uint8, mtu uint16, offending []byte) []byte {
	quote := offending[:min(len(offending), wire.IPv4MinHeaderLen+8)]
	b := make([]byte, wire.IPv4MinHeaderLen+8+len(quote))
	ip := wire.IPv4(b)
	ip.SetVersionIHL(wire.IPv4MinHeaderLen)
	ip.SetTotalLength(uint16(len(b)))
	ip.SetTTL(64)
	ip.SetProtocol(wire.ProtocolICMP)
	ip.SetSrc(wire.Addr4(10, 0, 0, 254))
	ip.SetDst(client)
	ip.SetChecksum(wire.IPv4HeaderChecksum(b[:wire.IPv4MinHeaderLen]))
	msg := b[wire.IPv4MinHeaderLen:]
	msg[0], msg[1] = wire.ICMPv4DestUnreachable, code
	msg[6], msg[7] = byte(mtu>>8), byte(mtu)
	copy(msg[8:], quote)
	sum := ^wire.Checksum(msg, 0)
	msg[2], msg[3] = byte(sum>>8), byte(sum)
	return b
}

// fixChecksums recomputes both checksums over whatever structure b has; the
// TCP segment ends where the total length says, if that is within b.
func fixChecksums(b []byte) {
	ip, err := wire.NewIPv4(b)
	if err != nil {
		return
	}
	tcp := ip.Payload()
	if tl := int(ip.TotalLength()); tl >= ip.HeaderLen() && tl <= len(b) {
		tcp = b[ip.HeaderLen():tl]
	}
	if len(tcp) >= wire.TCPMinHeaderLen {
		wire.TCP(tcp).SetChecksum(wire.TCPChecksum(ip.Src(), ip.Dst(), tcp))
	}
	ip.SetChecksum(wire.IPv4HeaderChecksum(b[:ip.HeaderLen()]))
}
