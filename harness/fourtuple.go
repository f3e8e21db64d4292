package harness

import (
	"net/netip"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// formatFourTuple prints "192.0.2.1:49152>192.0.2.2:80".
func formatFourTuple(id tcp.FourTuple) string {
	return netip.AddrPortFrom(id.LocalAddr, id.LocalPort).String() + ">" + netip.AddrPortFrom(id.RemoteAddr, id.RemotePort).String()
}
