package linux

import (
	"encoding/binary"
	"net/netip"

	"github.com/tcpbed/tcpbed/harness"
)

// packetFourTuple names the connection an IPv4 TCP packet belongs to, from
// the Linux side: outbound packets (sent by Linux) have it as source,
// inbound ones as destination. It reads only the addresses and ports, with
// every length checked, so a malformed packet is reported as not ok, never
// a panic.
func packetFourTuple(pkt []byte, outbound bool) (harness.FourTuple, bool) {
	const ipMin, protoTCP = 20, 6
	if len(pkt) < ipMin || pkt[0]>>4 != 4 || pkt[9] != protoTCP {
		return harness.FourTuple{}, false
	}
	ihl := int(pkt[0]&0xf) * 4
	if ihl < ipMin || len(pkt) < ihl+4 {
		return harness.FourTuple{}, false
	}
	src := netip.AddrFrom4([4]byte(pkt[12:16]))
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	sport := binary.BigEndian.Uint16(pkt[ihl:])
	dport := binary.BigEndian.Uint16(pkt[ihl+2:])
	if outbound {
		return harness.FourTuple{LocalAddr: src, LocalPort: sport, RemoteAddr: dst, RemotePort: dport}, true
	}
	return harness.FourTuple{LocalAddr: dst, LocalPort: dport, RemoteAddr: src, RemotePort: sport}, true
}
