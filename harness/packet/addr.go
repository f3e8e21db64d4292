package packet

import (
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
)

// AddrOf is gVisor's address a as a netip.Addr (the zero Addr for one
// that is neither 4 nor 16 bytes long).
func AddrOf(a tcpip.Address) netip.Addr {
	switch a.Len() {
	case 4:
		return netip.AddrFrom4(a.As4())
	case 16:
		return netip.AddrFrom16(a.As16())
	}
	return netip.Addr{}
}

// TCPIPAddr is a as gVisor spells it.
func TCPIPAddr(a netip.Addr) tcpip.Address {
	if a.Is4() {
		return tcpip.AddrFrom4(a.As4())
	}
	return tcpip.AddrFrom16(a.As16())
}
