package ourstack

import (
	"hash/fnv"
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// testNet is one virtual clock and one link shared by the stacks of a test.
type testNet struct {
	t     testing.TB
	clock *virtualClock
	link  *testLink
}

func newTestNet(t testing.TB) *testNet {
	return &testNet{t: t, clock: newVirtualClock(), link: newTestLink(t)}
}

// realTimeStacks is a client and a server stack on the real clock (mod,
// which may be nil, adjusts both), joined by a link that delivers from its
// own goroutine; stop ends the delivery. For tests that block in Dial,
// Accept, Read or Write as a program would.
func realTimeStacks(t testing.TB, mod func(*Options)) (client, server *Stack, stop func()) {
	n := &testNet{t: t, link: newTestLink(t)}
	realTime := func(o *Options) {
		o.Clock = nil
		if mod != nil {
			mod(o)
		}
	}
	client = n.stack(clientIP, realTime)
	server = n.stack(serverIP, realTime)
	return client, server, n.link.run()
}

// stack adds a stack at addr, its randomness seeded from addr so that every
// run is the same.
func (n *testNet) stack(addr string, mod func(*Options)) *Stack {
	n.t.Helper()
	a := netip.MustParseAddr(addr)
	h := fnv.New64a()
	h.Write([]byte(addr))
	opts := Options{
		Addr:  a,
		Clock: n.clock,
		Rand:  rand.NewChaCha8([32]byte{byte(h.Sum64()), 1}),
		Send:  n.link.send,
	}
	if mod != nil {
		mod(&opts)
	}
	s, err := New(opts)
	if err != nil {
		n.t.Fatalf("New(%v): %v", addr, err)
	}
	n.link.stacks[a] = s
	n.t.Cleanup(func() { s.Close() })
	return s
}

// raw builds the bytes of an IPv4 packet carrying seg from src to dst.
func raw(t testing.TB, src, dst netip.AddrPort, seg wire.Segment) []byte {
	t.Helper()
	seg.SrcPort, seg.DstPort = src.Port(), dst.Port()
	p := wire.Packet{
		IP:  wire.IPv4Fields{TTL: 64, Src: src.Addr(), Dst: dst.Addr()},
		TCP: seg,
	}
	buf := make([]byte, p.Len())
	n, err := p.Encode(buf, wire.Illegal{})
	if err != nil {
		t.Fatalf("encoding a test packet: %v", err)
	}
	return buf[:n]
}

func syn(seq seqnum.Value, mss uint16) wire.Segment {
	s := wire.Segment{Seq: seq, Flags: wire.FlagSYN, Window: 65535}
	if mss != 0 {
		s.Options = wire.Options{HasMSS: true, MSS: mss}
	}
	return s
}

// counts is how many connections and half-open entries a stack holds.
func counts(s *Stack) (conns, synQueued int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.listeners {
		synQueued += l.synQueue
	}
	return len(s.conns), synQueued
}
