package conformance

import (
	"fmt"
	"net/netip"

	"github.com/tcpbed/tcpbed/harness"
)

// Family is the IP version a cell runs over. Every scenario runs in both,
// each pairing once per family; the zero value is IPv4.
type Family uint8

const (
	IPv4 Family = iota
	IPv6
)

// Families are the families of the matrix, in its order.
var Families = []Family{IPv4, IPv6}

func (f Family) String() string {
	if f == IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// ParseFamily reads "ipv4" or "ipv6".
func ParseFamily(s string) (Family, error) {
	switch s {
	case "ipv4", "":
		return IPv4, nil
	case "ipv6":
		return IPv6, nil
	}
	return IPv4, fmt.Errorf("unknown family %q (want ipv4 or ipv6)", s)
}

// Addrs are the client's and the server's addresses in family f: TEST-NET-1
// (RFC 5737) for IPv4, the documentation prefix (RFC 3849) for IPv6.
func (f Family) Addrs() (client, server netip.Addr) {
	if f == IPv6 {
		return harness.ClientAddr6, harness.ServerAddr6
	}
	return harness.DefaultClientAddr, harness.DefaultServerAddr
}

// Elsewhere is the address of a host on no path of the run, numbered n,
// in family f: where a scenario's forged packets claim to come from
// (TEST-NET-2, 198.51.100.n, RFC 5737; 2001:db8:1::n, RFC 3849).
func (f Family) Elsewhere(n byte) netip.Addr {
	if f == IPv6 {
		return netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, 1, 15: n})
	}
	return netip.AddrFrom4([4]byte{198, 51, 100, n})
}

// Elsewhere is Family.Elsewhere in the run's family.
func (e *Env) Elsewhere(n byte) netip.Addr { return e.Pairing.Family.Elsewhere(n) }

// ipv6Unsupported is why a pairing cannot run over IPv6, or "": every end
// must be a stack that speaks it here, or one in another process, whose
// HELLO reply says.
func ipv6Unsupported(p Pairing) string {
	for _, kind := range []string{p.Client, p.Server} {
		switch {
		case kind == Ours || kind == GVisor || kind == Linux:
		case IsExec(kind):
			// Its HELLO reply decides: a stack that speaks version 2 of the
			// peer protocol runs over IPv6; one of version 1 turns the
			// run into a skip that says so (harness/exec).
		default:
			return "the " + kind + " peer runs over IPv4 only in tcpbed so far"
		}
	}
	return ""
}
