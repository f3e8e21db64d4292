package fuzz

import (
	"maps"
	"net/netip"
	"slices"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

var (
	client6 = netip.MustParseAddr("2001:db8::1")
	server6 = netip.MustParseAddr("2001:db8::2")
)

func encode6(p wire.Packet6, ill wire.Illegal) []byte {
	b := make([]byte, p.Len())
	if _, err := p.Encode(b, ill); err != nil {
		panic(err)
	}
	return b
}

// extHeader lays out one IPv6 extension header (RFC 8200 section 4): next
// header, length in 8-octet units past the first 8, body (a multiple of 8
// bytes with the first two).
func extHeader(next uint8, body ...byte) []byte {
	return append([]byte{next, byte((len(body)+2)/8 - 1)}, body...)
}

// IPv6 Next Header values the seeds use (IANA protocol numbers).
const (
	nhHopByHop = 0
	nhUDP      = 17
	nhRouting  = 43
	nhFragment = 44
	nhICMPv6   = 58
	nhNone     = 59
	nhDestOpts = 60
)

// realPackets6 are segments of an IPv6 connection, some behind extension
// headers a host must walk (RFC 8200 section 4).
func realPackets6() map[string]wire.Packet6 {
	base := func(src, dst netip.Addr) wire.IPv6Fields {
		return wire.IPv6Fields{FlowLabel: 0x12345, HopLimit: 64, Src: src, Dst: dst}
	}
	ext := func(first uint8, hdrs ...[]byte) wire.IPv6Fields {
		ip := base(client6, server6)
		ip.NextHeader, ip.ExtHeaders = first, slices.Concat(hdrs...)
		return ip
	}
	real := realPackets()
	syn, synAck, data, rst := real["syn-every-option"].TCP, real["syn-ack"].TCP, real["data"].TCP, real["rst"].TCP
	padN := extHeader(wire.ProtocolTCP, 1, 4, 0, 0, 0, 0)
	return map[string]wire.Packet6{
		"v6-syn-every-option": {IP: base(client6, server6), TCP: syn},
		"v6-syn-ack":          {IP: base(server6, client6), TCP: synAck},
		"v6-data":             {IP: base(client6, server6), TCP: data},
		"v6-rst":              {IP: base(client6, server6), TCP: rst},
		"v6-hop-by-hop":       {IP: ext(nhHopByHop, padN), TCP: data},
		"v6-every-ext-header": {IP: ext(nhHopByHop,
			extHeader(nhDestOpts, 1, 4, 0, 0, 0, 0),
			extHeader(nhRouting, 0, 0, 0, 0, 0, 0),
			extHeader(nhFragment, 4, 0, 0, 0, 0, 0),
			[]byte{wire.ProtocolTCP, 0, 0, 0, 0, 0, 0, 1}), TCP: syn},
	}
}

// seeds6 are the IPv6 packets plus broken ones, each broken in one way.
func seeds6() []seed {
	real := realPackets6()
	var out []seed
	for _, name := range slices.Sorted(maps.Keys(real)) {
		out = append(out, seed{name, encode6(real[name], wire.Illegal{})})
	}
	// with builds data behind the extension headers hdrs, the first named first.
	with := func(name string, first uint8, hdrs ...[]byte) {
		p := real["v6-data"]
		p.IP.NextHeader, p.IP.ExtHeaders = first, slices.Concat(hdrs...)
		out = append(out, seed{name, encode6(p, wire.Illegal{})})
	}
	opt := func(typ byte) []byte { return extHeader(wire.ProtocolTCP, typ, 2, 0, 0, 1, 0) }
	with("v6-unknown-option-skip", nhDestOpts, opt(0x1e))
	with("v6-unknown-option-discard", nhDestOpts, opt(0x5e))
	with("v6-unknown-option-icmp", nhHopByHop, opt(0x9e))
	with("v6-unknown-option-icmp-unicast", nhDestOpts, opt(0xde))
	with("v6-option-past-header", nhDestOpts, extHeader(wire.ProtocolTCP, 1, 5, 0, 0, 0, 0))
	with("v6-hop-by-hop-not-first", nhDestOpts, extHeader(nhHopByHop, 1, 4, 0, 0, 0, 0), extHeader(wire.ProtocolTCP, 1, 4, 0, 0, 0, 0))
	with("v6-routing-segments-left", nhRouting, extHeader(wire.ProtocolTCP, 0, 1, 0, 0, 0, 0))
	with("v6-fragment", nhFragment, []byte{wire.ProtocolTCP, 0, 0, 1, 0, 0, 0, 1})
	with("v6-unknown-next-header", nhDestOpts, extHeader(253, 1, 4, 0, 0, 0, 0))
	with("v6-ext-header-past-payload", nhDestOpts, []byte{wire.ProtocolTCP, 3, 1, 4, 0, 0, 0, 0})
	with("v6-icmpv6", nhDestOpts, extHeader(nhICMPv6, 1, 4, 0, 0, 0, 0))
	// 328 bytes of Pad1: past what an 8-bit sum of header lengths holds.
	with("v6-long-ext-header", nhDestOpts, extHeader(wire.ProtocolTCP, make([]byte, 326)...))

	data := encode6(real["v6-data"], wire.Illegal{})
	broke := func(name string, b []byte, f func(b []byte)) {
		c := slices.Clone(b)
		f(c)
		out = append(out, seed{name, c})
	}
	broke("v6-truncated-header", data[:39], func([]byte) {})
	broke("v6-truncated-payload", data, func(b []byte) { b[5]++ })
	broke("v6-trailing-padding", append(slices.Clone(data), 0, 0, 0, 0), func([]byte) {})
	broke("v6-no-next-header", data, func(b []byte) { b[6] = nhNone })
	broke("v6-udp", data, func(b []byte) { b[6] = nhUDP })
	broke("v6-bad-tcp-checksum", data, func(b []byte) { b[len(b)-1] ^= 1 })
	broke("v6-data-offset-4", data, func(b []byte) {
		seg := b[wire.IPv6HeaderLen:]
		seg[12] = 0x40
		wire.TCP(seg).SetChecksum(wire.TCPChecksum(client6, server6, seg))
	})
	broke("v6-jumbogram", encode6(wire.Packet6{IP: wire.IPv6Fields{NextHeader: nhHopByHop, HopLimit: 64, Src: client6, Dst: server6,
		ExtHeaders: extHeader(wire.ProtocolTCP, 0xc2, 4, 0, 1, 0, 0)}, TCP: real["v6-rst"].TCP}, wire.Illegal{}), func(b []byte) { b[4], b[5] = 0, 0 })
	return out
}
