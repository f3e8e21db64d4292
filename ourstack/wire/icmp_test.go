package wire_test

import (
	"errors"
	"net/netip"
	"testing"

	gseqnum "gvisor.dev/gvisor/pkg/tcpip/seqnum"

	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// icmpAbout builds, with the judge's codec (gVisor's header package), the
// ICMP Destination Unreachable a router at 192.0.2.254 sends about a
// 1500-byte segment from 192.0.2.1:40000 to 192.0.2.2:80 with seq 7777.
func icmpAbout(t *testing.T, code uint8, mtu uint16) []byte {
	t.Helper()
	offending := packet.Packet{
		IP:  packet.IP{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"), DontFragment: true},
		TCP: packet.Segment{SrcPort: 40000, DstPort: 80, Seq: gseqnum.Value(7777), Flags: packet.ACK, Payload: make([]byte, 1460)},
	}.Encode(packet.Illegal{})
	b, err := packet.ICMPv4Error(netip.MustParseAddr("192.0.2.254"), packet.ICMPv4DestUnreachable, code, mtu, offending)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseICMPv4ErrorReadsTheQuote(t *testing.T) {
	e, err := wire.ParseICMPv4Error(icmpAbout(t, packet.FragmentationNeeded, 1280))
	if err != nil {
		t.Fatal(err)
	}
	want := wire.ICMPError{
		From: netip.MustParseAddr("192.0.2.254"), Type: wire.ICMPv4DestUnreachable, Code: wire.ICMPv4FragmentationNeeded, MTU: 1280,
		Quoted: wire.QuotedSegment{Src: netip.MustParseAddr("192.0.2.1"), Dst: netip.MustParseAddr("192.0.2.2"),
			SrcPort: 40000, DstPort: 80, Seq: seqnum.Value(7777), TotalLength: 1500},
	}
	if e != want {
		t.Errorf("ParseICMPv4Error:\n got %+v\nwant %+v", e, want)
	}
}

// TestParseICMPv4ErrorRefuses: each fault a message can carry is a typed
// error, never a panic, and never a quote taken on trust.
func TestParseICMPv4ErrorRefuses(t *testing.T) {
	good := icmpAbout(t, packet.PortUnreachable, 0)
	for _, tc := range []struct {
		name string
		edit func(b []byte) []byte
		want error
	}{
		{"a bad ICMP checksum (RFC 792)", func(b []byte) []byte { b[22] ^= 0xff; return b }, wire.ErrICMPChecksum},
		{"an echo request, not an error", func(b []byte) []byte { b[20] = 8; return b }, wire.ErrNotICMPError},
		{"a quote cut inside the TCP ports", func(b []byte) []byte { return shorten(b, 20+8+20+3) }, wire.ErrTruncated},
		{"a quote of a UDP datagram", func(b []byte) []byte { b[20+8+9] = 17; return fixICMP(b) }, wire.ErrNotICMPError},
		{"a TCP segment, not ICMP", func(b []byte) []byte { b[9] = 6; return fixIP(b) }, wire.ErrNotICMPError},
		{"a bad IPv4 header checksum", func(b []byte) []byte { b[10] ^= 1; return b }, wire.ErrIPChecksum},
		{"20 bytes: no ICMP header", func(b []byte) []byte { return shorten(b, 20) }, wire.ErrTruncated},
	} {
		b := tc.edit(append([]byte(nil), good...))
		if _, err := wire.ParseICMPv4Error(b); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// shorten cuts b to n bytes and fixes the total length and both checksums,
// so that only the length is at fault.
func shorten(b []byte, n int) []byte {
	b = b[:n]
	b[2], b[3] = byte(n>>8), byte(n)
	return fixICMP(b)
}

func fixIP(b []byte) []byte {
	b[10], b[11] = 0, 0
	c := wire.IPv4HeaderChecksum(b[:20])
	b[10], b[11] = byte(c>>8), byte(c)
	return b
}

func fixICMP(b []byte) []byte {
	fixIP(b)
	if len(b) >= 24 {
		b[22], b[23] = 0, 0
		c := ^wire.Checksum(b[20:], 0)
		b[22], b[23] = byte(c>>8), byte(c)
	}
	return b
}

func TestParseICMPv6ErrorReadsTheQuote(t *testing.T) {
	offending := packet.Packet{
		IP:  packet.IP{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2")},
		TCP: packet.Segment{SrcPort: 40000, DstPort: 80, Seq: gseqnum.Value(7777), Flags: packet.ACK, Payload: make([]byte, 1400)},
	}.Encode(packet.Illegal{})
	b, err := packet.UnreachableError(netip.MustParseAddr("2001:db8::fe"), packet.FragmentationNeeded, 1280, offending)
	if err != nil {
		t.Fatal(err)
	}
	e, err := wire.ParseICMPv6Error(b, wire.IPv6HeaderLen)
	if err != nil {
		t.Fatal(err)
	}
	want := wire.ICMPError{
		From: netip.MustParseAddr("2001:db8::fe"), Type: wire.ICMPv6PacketTooBig, MTU: 1280,
		Quoted: wire.QuotedSegment{Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"),
			SrcPort: 40000, DstPort: 80, Seq: seqnum.Value(7777), TotalLength: 1460},
	}
	if e != want {
		t.Errorf("ParseICMPv6Error:\n got %+v\nwant %+v", e, want)
	}
	b[wire.IPv6HeaderLen+2] ^= 0xff
	if _, err := wire.ParseICMPv6Error(b, wire.IPv6HeaderLen); !errors.Is(err, wire.ErrICMPChecksum) {
		t.Errorf("a bad ICMPv6 checksum: got %v, want ErrICMPChecksum", err)
	}
}
