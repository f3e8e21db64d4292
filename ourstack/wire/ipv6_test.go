package wire

import (
	"bytes"
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// bytes -> Packet6
func TestParseIPv6Vectors(t *testing.T) {
	for _, v := range vectors6() {
		t.Run(v.name, func(t *testing.T) {
			got, err := ParseIPv6(v.bytes)
			if err != nil {
				t.Fatalf("ParseIPv6: %v", err)
			}
			if diff := cmp.Diff(v.packet, got, cmpPacket); diff != "" {
				t.Errorf("ParseIPv6 mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Packet6 -> bytes
func TestEncodeIPv6Vectors(t *testing.T) {
	for _, v := range vectors6() {
		t.Run(v.name, func(t *testing.T) {
			p := v.packet
			if got := p.Len(); got != len(v.bytes) {
				t.Errorf("Len() = %d, want %d", got, len(v.bytes))
			}
			buf := make([]byte, 200)
			n, err := p.Encode(buf, Illegal{})
			if err != nil || !bytes.Equal(buf[:n], v.bytes) {
				t.Fatalf("Encode: err %v, wrote\n% x\nwant (gVisor)\n% x", err, buf[:n], v.bytes)
			}
			// Fields Encode computes are not read from the Packet6.
			p.IP.PayloadLength, p.TCP.DataOffset, p.TCP.Checksum = 0, 0, 0
			if len(p.IP.ExtHeaders) == 0 {
				p.IP.NextHeader = 0 // means TCP
			}
			n, err = p.Encode(buf, Illegal{})
			if err != nil || !bytes.Equal(buf[:n], v.bytes) {
				t.Errorf("Encode with computed fields zeroed: err %v, wrote\n% x\nwant\n% x", err, buf[:n], v.bytes)
			}
		})
	}
}

// icmp is the ICMPv6 answer ParamProblem gives: none, or a Parameter
// Problem with a code and a pointer.
type icmp struct {
	code    uint8
	pointer uint32
	ok      bool
}

var noICMP = icmp{}

// Every rule of ParseIPv6, each with the packet that breaks it, the fault,
// where, and the ICMPv6 answer RFC 8200 asks for to a unicast and to a
// multicast destination.
func TestParseIPv6Rules(t *testing.T) {
	rst := Segment{SrcPort: 80, DstPort: 40000, Seq: 7, Flags: FlagRST}
	pkt := func(ip IPv6Fields) []byte { b, _ := gvPacket6(ip, rst, nil); return b }
	plain := pkt(ipv6Base())
	edit := func(b []byte, f func(b []byte)) []byte { c := slices.Clone(b); f(c); return c }
	hbh := func(next uint8, body ...byte) []byte { return extHeader(next, body...) }
	// An option of type typ and 2 data bytes, padded to a header with PadN.
	opt := func(typ byte) []byte { return []byte{typ, 2, 0xaa, 0xbb, optionPadN, 0} }
	const tcpAt = IPv6HeaderLen // the TCP header's offset without extension headers
	tests := []struct {
		rule      string
		packet    []byte
		want      error
		offset    int
		unicast   icmp
		multicast icmp
	}{
		{"RFC 8200 3: a packet that parses (the helpers add no fault)", plain, nil, 0, noICMP, noICMP},
		{"RFC 8200 3: shorter than the fixed header", plain[:39], ErrTruncated, 0, noICMP, noICMP},
		{"RFC 8200 3: empty", nil, ErrTruncated, 0, noICMP, noICMP},
		{"RFC 8200 3: version 4", edit(plain, func(b []byte) { b[0] = 0x40 | b[0]&0xf }), ErrNotIPv6, 0, noICMP, noICMP},
		{"RFC 8200 3: payload length one byte past the packet", edit(plain, func(b []byte) { b[5]++ }), ErrTruncated, 4, noICMP, noICMP},
		{"RFC 8200 3: bytes past the payload length are link padding", append(slices.Clone(plain), 0, 0, 0, 0, 0, 0), nil, 0, noICMP, noICMP},
		{"RFC 8200 3: payload length 0 with TCP next", edit(plain, func(b []byte) { b[4], b[5] = 0, 0 }), ErrTruncated, tcpAt, noICMP, noICMP},
		{"RFC 8200 4.3: Hop-by-Hop Options with PadN", pkt(withExt(nextHeaderHopByHop, hbh(ProtocolTCP, optionPadN, 4, 0, 0, 0, 0))), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.2: Pad1 options", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, 0, 0, 0, 0, 0, 0))), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.2: unknown option 00xxxxxx is skipped", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, opt(0x1e)...))), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.2: unknown option 01xxxxxx discards silently", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, opt(0x5e)...))), ErrUnknownOption, 42, noICMP, noICMP},
		{"RFC 8200 4.2: unknown option 10xxxxxx: Parameter Problem code 2, even to multicast", pkt(withExt(nextHeaderHopByHop, hbh(ProtocolTCP, opt(0x9e)...))), ErrUnknownOption, 42, icmp{2, 42, true}, icmp{2, 42, true}},
		{"RFC 8200 4.2: unknown option 11xxxxxx: code 2 unless the destination is multicast", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, optionPadN, 0, 0xde, 2, 0, 0))), ErrUnknownOption, 44, icmp{2, 44, true}, noICMP},
		{"RFC 8200 4.2: an option's data running past its header", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, optionPadN, 5, 0, 0, 0, 0))), ErrTruncated, 43, noICMP, noICMP},
		{"RFC 8200 4.2: an option type with no room for its length", pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, optionPadN, 3, 0, 0, 0, 0x1e))), ErrTruncated, 48, noICMP, noICMP},
		{"RFC 8200 4: Hop-by-Hop Options anywhere but first is an unrecognized next header (code 1)", pkt(withExt(nextHeaderDestOpts, hbh(nextHeaderHopByHop, 0, 0, 0, 0, 0, 0), hbh(ProtocolTCP, 0, 0, 0, 0, 0, 0))), ErrUnknownNextHeader, 40, icmp{1, 40, true}, noICMP},
		{"RFC 8200 4.6: Destination Options twice, then TCP", pkt(withExt(nextHeaderDestOpts, hbh(nextHeaderDestOpts, 0, 0, 0, 0, 0, 0), hbh(ProtocolTCP, 0, 0, 0, 0, 0, 0))), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.4: a Routing header with no segments left is ignored", pkt(withExt(nextHeaderRouting, extHeader(ProtocolTCP, 3, 0, 0, 0, 0, 0))), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.4: segments left: code 0 at the Routing Type", pkt(withExt(nextHeaderRouting, extHeader(ProtocolTCP, 3, 1, 0, 0, 0, 0))), ErrRoutingHeader, 42, icmp{0, 42, true}, noICMP},
		{"RFC 8200 4.5: a first fragment (M set) needs reassembly", pkt(withExt(nextHeaderFragment, []byte{ProtocolTCP, 0, 0, 1, 0, 0, 0, 1})), ErrFragment, 42, noICMP, noICMP},
		{"RFC 8200 4.5: a later fragment (offset 1)", pkt(withExt(nextHeaderFragment, []byte{ProtocolTCP, 0, 0, 8, 0, 0, 0, 1})), ErrFragment, 42, noICMP, noICMP},
		{"RFC 8200 4.5, RFC 6946: an atomic fragment (offset 0, M clear) is a whole packet", pkt(withExt(nextHeaderFragment, []byte{ProtocolTCP, 0, 0, 6, 0, 0, 0, 1})), nil, 0, noICMP, noICMP},
		{"RFC 8200 4.7: No Next Header", edit(plain, func(b []byte) { b[6] = nextHeaderNone }), ErrNotTCP, 6, noICMP, noICMP},
		{"UDP is recognized, not TCP", edit(plain, func(b []byte) { b[6] = nextHeaderUDP }), ErrNotTCP, 6, noICMP, noICMP},
		{"ICMPv6 behind Destination Options is recognized, not TCP", pkt(withExt(nextHeaderDestOpts, hbh(nextHeaderICMPv6, 0, 0, 0, 0, 0, 0))), ErrNotTCP, 40, noICMP, noICMP},
		{"RFC 8200 4: an unrecognized next header in the fixed header: code 1 at it", edit(plain, func(b []byte) { b[6] = 253 }), ErrUnknownNextHeader, 6, icmp{1, 6, true}, noICMP},
		{"RFC 8200 4: an unrecognized next header after a Routing header", pkt(withExt(nextHeaderRouting, extHeader(51, 0, 0, 0, 0, 0, 0))), ErrUnknownNextHeader, 40, icmp{1, 40, true}, noICMP},
		{"RFC 8200 4: an extension header running past the payload", pkt(withExt(nextHeaderDestOpts, []byte{ProtocolTCP, 4, 0, 0, 0, 0, 0, 0})), ErrTruncated, 41, noICMP, noICMP},
		{"RFC 8200 4: fewer than 8 bytes left for an extension header", edit(plain, func(b []byte) { b[6] = nextHeaderDestOpts; b[4], b[5] = 0, 7 })[:47], ErrTruncated, 40, noICMP, noICMP},
		{"RFC 2675: a jumbogram (payload length 0, Jumbo Payload option) is answered as option 0xC2", edit(pkt(withExt(nextHeaderHopByHop, hbh(ProtocolTCP, optionJumbo, 4, 0, 1, 0, 0))), func(b []byte) { b[4], b[5] = 0, 0 }), ErrJumbogram, 42, icmp{2, 42, true}, noICMP},
		{"RFC 2675: payload length 0 and a Hop-by-Hop header without Jumbo Payload", edit(pkt(withExt(nextHeaderHopByHop, hbh(ProtocolTCP, optionPadN, 4, 0, 0, 0, 0))), func(b []byte) { b[4], b[5] = 0, 0 }), ErrTruncated, 40, noICMP, noICMP},
		{"RFC 9293 3.1: TCP data offset 4", edit(plain, func(b []byte) { b[tcpAt+12] = 0x40 }), ErrBadDataOffset, tcpAt + 12, noICMP, noICMP},
		{"RFC 9293 3.1: TCP header shorter than 20 bytes", edit(plain, func(b []byte) { b[5] = 19 })[:59], ErrTruncated, tcpAt, noICMP, noICMP},
		{"RFC 8200 8.1: TCP checksum over the IPv6 pseudo-header", edit(plain, func(b []byte) { b[23] ^= 1 }), ErrTCPChecksum, tcpAt + 16, noICMP, noICMP},
		{"RFC 8200 8.1: the TCP checksum behind extension headers", edit(pkt(withExt(nextHeaderDestOpts, hbh(ProtocolTCP, 0, 0, 0, 0, 0, 0))), func(b []byte) { b[len(b)-1] ^= 1 }), ErrTCPChecksum, tcpAt + 8 + 16, noICMP, noICMP},
	}
	multicast := netip.MustParseAddr("ff02::1")
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			_, err := ParseIPv6(tt.packet)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("ParseIPv6: err %v, want %v", err, tt.want)
			}
			if got := icmpOf(err, server6); got != tt.unicast {
				t.Errorf("ParamProblem to %v = %+v, want %+v", server6, got, tt.unicast)
			}
			if got := icmpOf(err, multicast); got != tt.multicast {
				t.Errorf("ParamProblem to %v = %+v, want %+v", multicast, got, tt.multicast)
			}
			if err == nil {
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if pe.Offset != tt.offset || pe.Field == "" {
				t.Errorf("Offset = %d, want %d; field %q (%v)", pe.Offset, tt.offset, pe.Field, err)
			}
		})
	}
}

func icmpOf(err error, dst netip.Addr) icmp {
	code, pointer, ok := ParamProblem(err, dst)
	return icmp{code, pointer, ok}
}

// ParamProblem answers only ParseIPv6's faults that RFC 8200 answers.
func TestParamProblemOtherErrors(t *testing.T) {
	for _, err := range []error{nil, ErrUnknownNextHeader, errors.New("other"), &ParseError{Field: "x", Offset: 3, Err: ErrTruncated}, &ParseError{Field: "x", Offset: 3, Value: 0x1e, Err: ErrUnknownOption}} {
		if got := icmpOf(err, server6); got != noICMP {
			t.Errorf("ParamProblem(%v) = %+v, want none", err, got)
		}
	}
}

// Every prefix of every IPv6 vector is truncated.
func TestParseIPv6TruncatedAtEveryLength(t *testing.T) {
	for _, v := range vectors6() {
		for n := range len(v.bytes) {
			if _, err := ParseIPv6(v.bytes[:n]); !errors.Is(err, ErrTruncated) {
				t.Errorf("%s cut to %d of %d bytes: err %v, want ErrTruncated", v.name, n, len(v.bytes), err)
			}
		}
	}
}

// A bad TCP checksum comes with the Packet6 filled in, as for IPv4.
func TestParseIPv6ChecksumErrorFillsPacket(t *testing.T) {
	for _, v := range vectors6() {
		b := slices.Clone(v.bytes)
		b[9] ^= 0x40 // the source address: only the pseudo-header covers it
		got, err := ParseIPv6(b)
		if !errors.Is(err, ErrTCPChecksum) {
			t.Fatalf("%s with the source address changed: err %v, want ErrTCPChecksum", v.name, err)
		}
		want := v.packet
		want.IP.Src = netip.AddrFrom16([16]byte(b[8:24]))
		if diff := cmp.Diff(want, got, cmpPacket); diff != "" {
			t.Errorf("%s: packet (-want +got):\n%s", v.name, diff)
		}
	}
}

// The builder writes wrong IPv6 packets on purpose, and says when it cannot.
func TestIllegalIPv6Builds(t *testing.T) {
	v := vectors6()[1] // data
	buf := make([]byte, 70000)

	p := v.packet
	p.IP.PayloadLength = 1000
	n, err := p.Encode(buf, Illegal{KeepTotalLength: true})
	if _, perr := ParseIPv6(buf[:n]); err != nil || !errors.Is(perr, ErrTruncated) {
		t.Errorf("payload length kept at 1000: Encode err %v, ParseIPv6 err %v; want nil, ErrTruncated", err, perr)
	}
	p = v.packet
	p.TCP.Checksum = 0xbad0
	n, err = p.Encode(buf, Illegal{KeepTCPChecksum: true})
	if got, perr := ParseIPv6(buf[:n]); err != nil || !errors.Is(perr, ErrTCPChecksum) || got.TCP.Checksum != 0xbad0 {
		t.Errorf("checksum kept: Encode err %v, ParseIPv6 err %v, checksum %#x", err, perr, got.TCP.Checksum)
	}
	p = v.packet
	p.IP.ExtHeaders, p.IP.NextHeader = extHeader(nextHeaderUDP, 0, 0, 0, 0, 0, 0), nextHeaderDestOpts
	n, err = p.Encode(buf, Illegal{})
	if _, perr := ParseIPv6(buf[:n]); err != nil || !errors.Is(perr, ErrNotTCP) {
		t.Errorf("a chain ending in UDP, written as given: Encode err %v, ParseIPv6 err %v; want nil, ErrNotTCP", err, perr)
	}
	if _, err := v.packet.Encode(buf[:len(v.bytes)-1], Illegal{}); err != ErrShortBuffer {
		t.Errorf("Encode into a buffer one byte short: err %v, want ErrShortBuffer", err)
	}
	p = v.packet
	p.TCP.Payload = make([]byte, 0xffff-TCPMinHeaderLen+1) // one byte more than the payload length holds
	if _, err := p.Encode(buf, Illegal{}); err != ErrPacketTooLong {
		t.Errorf("Encode of a payload of 65536 bytes: err %v, want ErrPacketTooLong", err)
	}
	p.TCP.Payload = p.TCP.Payload[1:]
	if n, err := p.Encode(buf, Illegal{}); err != nil || n != IPv6HeaderLen+0xffff {
		t.Errorf("Encode of a payload of 65535 bytes: %d bytes, err %v", n, err)
	}
}

func TestIPVersion(t *testing.T) {
	for _, tt := range []struct {
		b    []byte
		want int
	}{{nil, 0}, {[]byte{0x45}, 4}, {[]byte{0x60, 0}, 6}, {[]byte{0xf0}, 15}} {
		if got := IPVersion(tt.b); got != tt.want {
			t.Errorf("IPVersion(% x) = %d, want %d", tt.b, got, tt.want)
		}
	}
}

func TestNewIPv6(t *testing.T) {
	v := vectors6()[0]
	if _, err := NewIPv6(v.bytes[:IPv6HeaderLen-1]); !errors.Is(err, ErrTruncated) {
		t.Errorf("NewIPv6 of 39 bytes: err %v, want ErrTruncated", err)
	}
	h, err := NewIPv6(v.bytes[:IPv6HeaderLen])
	if err != nil || len(h.Payload()) != 0 {
		t.Errorf("NewIPv6 of the fixed header: err %v, payload %d bytes", err, len(h.Payload()))
	}
}

func TestPacket6String(t *testing.T) {
	p := vectors6()[2].packet // RST
	want := "IP6 2001:db8::1.40000 > 2001:db8::2.80: Flags [R], seq 2695938257, win 0, length 0"
	if got := p.String(); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}
