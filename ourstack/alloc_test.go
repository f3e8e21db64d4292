package ourstack

import (
	"net/netip"
	"testing"
)

// The paths a flood exercises allocate nothing: answering a segment for no
// connection with an RST, and answering a SYN with a cookie. Each encodes
// into the stack's one buffer and keeps no state.
func TestFloodPathsAllocateNothing(t *testing.T) {
	var sent int
	s, err := New(Options{
		Addr:     serverAddr.Addr(),
		Clock:    newVirtualClock(),
		Send:     func([]byte) { sent++ },
		SYNQueue: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Listen(80, 0); err != nil {
		t.Fatal(err)
	}
	s.DeliverPacket(raw(t, netip.MustParseAddrPort("10.0.0.1:1"), serverAddr, syn(1, 1460))) // fills the SYN queue
	closedPort := netip.AddrPortFrom(serverAddr.Addr(), 81)
	for name, pkt := range map[string][]byte{
		"RST for no connection": raw(t, clientAddr, closedPort, syn(1000, 1460)),
		"SYN cookie":            raw(t, clientAddr, serverAddr, syn(1000, 1460)),
	} {
		before := sent
		allocs := testing.AllocsPerRun(1000, func() { s.DeliverPacket(pkt) })
		if sent-before < 1000 {
			t.Errorf("%s: %d answers to 1000+ packets", name, sent-before)
		}
		if allocs != 0 {
			t.Errorf("%s: %v allocations per packet, want 0", name, allocs)
		}
	}
}
