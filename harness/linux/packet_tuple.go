package linux

import (
	"encoding/binary"
	"net/netip"

	"github.com/tcpbed/tcpbed/harness"
)

// Offsets in the IP headers packetFourTuple reads (RFC 791 3.1, RFC 8200 3).
const (
	ipv4MinHeader   = 20
	ipv4ProtocolOff = 9
	ipv6Header      = 40
	ipv6NextOff     = 6
	protoTCP        = 6
	protoICMPv6     = 58
)

// packetFourTuple names the connection a TCP packet (IPv4, or IPv6 with TCP
// as the next header: Linux's TCP puts no extension header in between)
// belongs to, from the Linux side: outbound packets (sent by Linux) have it
// as source, inbound ones as destination. It reads only the addresses and
// ports, with every length checked, so a malformed packet is reported as not
// ok, never a panic.
func packetFourTuple(pkt []byte, outbound bool) (harness.FourTuple, bool) {
	var src, dst netip.Addr
	var tcp []byte
	switch {
	case len(pkt) >= ipv4MinHeader && pkt[0]>>4 == 4 && pkt[ipv4ProtocolOff] == protoTCP:
		ihl := int(pkt[0]&0xf) * 4
		if ihl < ipv4MinHeader || len(pkt) < ihl {
			return harness.FourTuple{}, false
		}
		src = netip.AddrFrom4([4]byte(pkt[12:16]))
		dst = netip.AddrFrom4([4]byte(pkt[16:20]))
		tcp = pkt[ihl:]
	case len(pkt) >= ipv6Header && pkt[0]>>4 == 6 && pkt[ipv6NextOff] == protoTCP:
		src = netip.AddrFrom16([16]byte(pkt[8:24]))
		dst = netip.AddrFrom16([16]byte(pkt[24:40]))
		tcp = pkt[ipv6Header:]
	default:
		return harness.FourTuple{}, false
	}
	if len(tcp) < 4 {
		return harness.FourTuple{}, false
	}
	sport := binary.BigEndian.Uint16(tcp)
	dport := binary.BigEndian.Uint16(tcp[2:])
	if outbound {
		return harness.FourTuple{LocalAddr: src, LocalPort: sport, RemoteAddr: dst, RemotePort: dport}, true
	}
	return harness.FourTuple{LocalAddr: dst, LocalPort: dport, RemoteAddr: src, RemotePort: sport}, true
}
