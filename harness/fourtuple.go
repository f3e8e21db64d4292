package harness

import (
	"cmp"
	"net/netip"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// reverse is the same connection seen from the other end.
func reverse(id tcp.FourTuple) tcp.FourTuple {
	return tcp.FourTuple{LocalAddr: id.RemoteAddr, LocalPort: id.RemotePort, RemoteAddr: id.LocalAddr, RemotePort: id.LocalPort}
}

func compareFourTuples(a, b tcp.FourTuple) int {
	if c := a.LocalAddr.Compare(b.LocalAddr); c != 0 {
		return c
	}
	if c := cmp.Compare(a.LocalPort, b.LocalPort); c != 0 {
		return c
	}
	if c := a.RemoteAddr.Compare(b.RemoteAddr); c != 0 {
		return c
	}
	return cmp.Compare(a.RemotePort, b.RemotePort)
}

// formatFourTuple prints "192.0.2.1:49152>192.0.2.2:80".
func formatFourTuple(id tcp.FourTuple) string {
	return netip.AddrPortFrom(id.LocalAddr, id.LocalPort).String() + ">" + netip.AddrPortFrom(id.RemoteAddr, id.RemotePort).String()
}
