package linux

import (
	"net/netip"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
)

func TestPacketFourTuple(t *testing.T) {
	// IPv4, IHL 5, TCP, 192.0.2.1 -> 192.0.2.2, ports 1234 -> 80.
	pkt := []byte{
		0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0,
		192, 0, 2, 1, 192, 0, 2, 2,
		0x04, 0xd2, 0, 80,
	}
	a, b := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	if id, ok := packetFourTuple(pkt, false); !ok || id != (harness.FourTuple{LocalAddr: b, LocalPort: 80, RemoteAddr: a, RemotePort: 1234}) {
		t.Errorf("inbound: %+v, %v", id, ok)
	}
	if id, ok := packetFourTuple(pkt, true); !ok || id != (harness.FourTuple{LocalAddr: a, LocalPort: 1234, RemoteAddr: b, RemotePort: 80}) {
		t.Errorf("outbound: %+v, %v", id, ok)
	}
	bad := map[string][]byte{
		"empty":        nil,
		"short IP":     pkt[:19],
		"no ports":     pkt[:22],
		"IPv6 short":   append([]byte{0x60}, pkt[1:]...),
		"UDP":          func() []byte { p := append([]byte(nil), pkt...); p[9] = 17; return p }(),
		"IHL 4":        append([]byte{0x44}, pkt[1:]...),
		"IHL past end": append([]byte{0x4f}, pkt[1:]...),
	}
	for name, p := range bad {
		if id, ok := packetFourTuple(p, false); ok {
			t.Errorf("%s: %+v accepted", name, id)
		}
	}
}

func TestPacketFourTupleIPv6(t *testing.T) {
	// IPv6, next header TCP, 2001:db8::1 -> 2001:db8::2, ports 1234 -> 80.
	a, b := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	pkt := []byte{0x60, 0, 0, 0, 0, 20, protoTCP, 64}
	pkt = append(pkt, a.AsSlice()...)
	pkt = append(pkt, b.AsSlice()...)
	pkt = append(pkt, 0x04, 0xd2, 0, 80)
	if id, ok := packetFourTuple(pkt, false); !ok || id != (harness.FourTuple{LocalAddr: b, LocalPort: 80, RemoteAddr: a, RemotePort: 1234}) {
		t.Errorf("inbound: %+v, %v", id, ok)
	}
	if id, ok := packetFourTuple(pkt, true); !ok || id != (harness.FourTuple{LocalAddr: a, LocalPort: 1234, RemoteAddr: b, RemotePort: 80}) {
		t.Errorf("outbound: %+v, %v", id, ok)
	}
	with := func(off int, v byte) []byte { p := append([]byte(nil), pkt...); p[off] = v; return p }
	bad := map[string][]byte{
		"short IP":         pkt[:39],
		"no ports":         pkt[:42],
		"ICMPv6":           with(ipv6NextOff, protoICMPv6),
		"hop-by-hop":       with(ipv6NextOff, 0),
		"version 4 nibble": with(0, 0x40),
	}
	for name, p := range bad {
		if id, ok := packetFourTuple(p, false); ok {
			t.Errorf("%s: %+v accepted", name, id)
		}
	}
}
