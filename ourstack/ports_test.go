package ourstack

import (
	"net/netip"
	"testing"
)

func TestPortsStayInTheEphemeralRangeAndAvoidPortsInUse(t *testing.T) {
	p := portPicker{key: testKey(5), next: 12345}
	local := netip.MustParseAddr("192.0.2.1")
	remote := netip.MustParseAddrPort("198.51.100.7:80")
	used := make(map[uint16]bool)
	inUse := func(port uint16) bool { return used[port] }
	for i := range ephemeralCount {
		port, ok := p.pick(local, remote, inUse)
		if !ok {
			t.Fatalf("pick %d: no port, with %d of %d in use", i, len(used), ephemeralCount)
		}
		if port < ephemeralFirst {
			t.Fatalf("pick %d: port %d below the ephemeral range", i, port)
		}
		if used[port] {
			t.Fatalf("pick %d: port %d is in use", i, port)
		}
		used[port] = true
	}
	if port, ok := p.pick(local, remote, inUse); ok {
		t.Errorf("every port in use, yet pick gave %d", port)
	}
}

// RFC 6056 Algorithm 3: each destination starts from its own secret offset,
// so the first port towards one peer says nothing about another's.
func TestPortsDependOnDestinationAndKey(t *testing.T) {
	local := netip.MustParseAddr("192.0.2.1")
	none := func(uint16) bool { return false }
	first := func(key sipKey, remote string) uint16 {
		p := portPicker{key: key, next: 0}
		port, _ := p.pick(local, netip.MustParseAddrPort(remote), none)
		return port
	}
	distinct := make(map[uint16]bool)
	for _, r := range []string{"198.51.100.7:80", "198.51.100.7:443", "198.51.100.8:80", "203.0.113.9:22"} {
		distinct[first(testKey(5), r)] = true
	}
	if len(distinct) < 4 {
		t.Errorf("4 destinations got only %d distinct first ports", len(distinct))
	}
	if a, b := first(testKey(5), "198.51.100.7:80"), first(testKey(6), "198.51.100.7:80"); a == b {
		t.Errorf("two keys gave the same first port %d", a)
	}
	// Successive connections to one destination walk the range in order
	// from that offset, so a port comes round again only after all others.
	p := portPicker{key: testKey(5), next: 0}
	remote := netip.MustParseAddrPort("198.51.100.7:80")
	a, _ := p.pick(local, remote, none)
	b, _ := p.pick(local, remote, none)
	if want := ephemeralFirst + (a-ephemeralFirst+1)%ephemeralCount; b != want {
		t.Errorf("second port %d, want %d (the one after %d)", b, want, a)
	}
}
