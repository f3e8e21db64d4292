package ourstack

import (
	"net/netip"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

var (
	serverAddr = netip.MustParseAddrPort("192.0.2.1:80")
	clientAddr = netip.MustParseAddrPort("198.51.100.7:40000")
)

func TestMalformedPacketsAreCountedAndDropped(t *testing.T) {
	good := func() []byte { return raw(t, clientAddr, serverAddr, syn(1000, 1460)) }
	for _, tc := range []struct {
		name        string
		pkt         func() []byte
		badChecksum bool
	}{
		{"empty", func() []byte { return nil }, false},
		{"truncated IPv4 header", func() []byte { return good()[:12] }, false},
		{"IPv6 version", func() []byte { b := good(); b[0] = 0x65; return b }, false},
		{"truncated TCP header", func() []byte {
			b := good()[:30]
			b[2], b[3] = 0, 30
			return b
		}, false},
		{"bad TCP checksum", func() []byte { b := good(); b[len(b)-1] ^= 0xff; return b }, true},
		{"bad IPv4 checksum", func() []byte { b := good(); b[10] ^= 0xff; return b }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newTestNet(t)
			s := n.stack(serverAddr.Addr().String(), nil)
			if _, err := s.Listen(serverAddr.Port(), 0); err != nil {
				t.Fatal(err)
			}
			s.DeliverPacket(tc.pkt())
			st := s.Stats()
			wantBad := uint64(0)
			if tc.badChecksum {
				wantBad = 1
			}
			if st.PacketsReceived != 1 || st.MalformedPackets != 1 || st.BadChecksums != wantBad {
				t.Errorf("received %d, malformed %d, bad checksums %d; want 1, 1, %d",
					st.PacketsReceived, st.MalformedPackets, st.BadChecksums, wantBad)
			}
			if sent := n.link.take(); len(sent) != 0 {
				t.Errorf("answered a malformed packet with %d packets", len(sent))
			}
			if c, _ := counts(s); c != 0 {
				t.Errorf("a malformed packet made %d connections", c)
			}
		})
	}
}

func TestPacketsNotForUsAreDropped(t *testing.T) {
	n := newTestNet(t)
	s := n.stack(serverAddr.Addr().String(), nil)
	if _, err := s.Listen(serverAddr.Port(), 0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, src, dst string }{
		{"another destination", "198.51.100.7:40000", "192.0.2.99:80"},
		{"broadcast source", "255.255.255.255:40000", "192.0.2.1:80"},
		{"multicast source", "224.0.0.1:40000", "192.0.2.1:80"},
		{"unspecified source", "0.0.0.0:40000", "192.0.2.1:80"},
		{"this-network source", "0.1.2.3:40000", "192.0.2.1:80"},
		{"loopback source", "127.0.0.1:40000", "192.0.2.1:80"},
		{"loopback source, not .1", "127.10.20.30:40000", "192.0.2.1:80"},
		{"class E source", "240.0.0.1:40000", "192.0.2.1:80"},
	} {
		before := s.Stats().NotForUs
		s.DeliverPacket(raw(t, netip.MustParseAddrPort(tc.src), netip.MustParseAddrPort(tc.dst), syn(1, 1460)))
		if got := s.Stats().NotForUs; got != before+1 {
			t.Errorf("%s: NotForUs went %d -> %d", tc.name, before, got)
		}
	}
	if sent := n.link.take(); len(sent) != 0 {
		t.Errorf("answered with %d packets", len(sent))
	}
	if c, q := counts(s); c != 0 || q != 0 {
		t.Errorf("%d connections, %d half-open; want none", c, q)
	}
}

// A SYN flood from 10,000 spoofed sources past a SYN queue of 8: the queue
// stays at 8, every further SYN is answered by a SYN cookie, and the stack
// holds nothing for any of them (RFC 4987 3.6).
func TestSYNFloodIsAnsweredWithCookiesAndNoMemory(t *testing.T) {
	const queue, flood = 8, 10000
	n := newTestNet(t)
	s := n.stack(serverAddr.Addr().String(), func(o *Options) { o.SYNQueue = queue })
	if _, err := s.Listen(serverAddr.Port(), 0); err != nil {
		t.Fatal(err)
	}
	spoofed := func(i int) netip.AddrPort {
		return netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), uint16(1024+i))
	}
	for i := range queue {
		s.DeliverPacket(raw(t, spoofed(i), serverAddr, syn(1000, 1460)))
	}
	if c, q := counts(s); c != queue || q != queue {
		t.Fatalf("after %d SYNs: %d connections, %d half-open; want %d, %d", queue, c, q, queue, queue)
	}
	n.link.take()
	// The SYNs' MSS options (0: none) and the MSS their cookies must carry:
	// RFC 9293 3.7.1's 536 for none, else rounded down to the table.
	synMSS := []uint16{0, 536, 1300, 1460, 9000, 1400}
	cookieMSS := []uint16{536, 536, 1300, 1460, 8960, 1380}
	mssOf := func(i int) uint16 { return synMSS[i%len(synMSS)] }
	for i := queue; i < queue+flood; i++ {
		s.DeliverPacket(raw(t, spoofed(i), serverAddr, syn(seqOf(i), mssOf(i))))
	}
	if c, q := counts(s); c != queue || q != queue {
		t.Errorf("after the flood: %d connections, %d half-open; want %d, %d (no state per cookie)", c, q, queue, queue)
	}
	if got := s.Stats().SYNCookiesSent; got != flood {
		t.Errorf("SYNCookiesSent = %d, want %d", got, flood)
	}
	sent := n.link.take()
	if len(sent) != flood {
		t.Fatalf("%d packets answered %d SYNs", len(sent), flood)
	}
	for k, p := range sent {
		i := queue + k
		src := spoofed(i)
		seg := p.TCP
		if p.IP.Dst != src.Addr() || seg.DstPort != src.Port() || seg.SrcPort != serverAddr.Port() {
			t.Fatalf("SYN %d answered to %v:%d from port %d", i, p.IP.Dst, seg.DstPort, seg.SrcPort)
		}
		if seg.Flags != wire.FlagSYN|wire.FlagACK || seg.Ack != seqOf(i)+1 || !seg.Options.HasMSS {
			t.Fatalf("SYN %d answered with flags %v ack %d (want SYN|ACK ack %d) MSS option %v",
				i, seg.Flags, seg.Ack, seqOf(i)+1, seg.Options.HasMSS)
		}
		id := tuple(serverAddr.Port(), src.Addr().String(), src.Port())
		id.LocalAddr = serverAddr.Addr()
		mss, ok := s.cookies.check(id, seg.Seq, seqOf(i), n.clock.Now())
		want := cookieMSS[i%len(cookieMSS)]
		if !ok || mss != want {
			t.Fatalf("SYN %d: cookie %d decodes to MSS %d, %v; want %d, true", i, seg.Seq, mss, ok, want)
		}
	}
}

func seqOf(i int) seqnum.Value { return seqnum.Value(uint32(i) * 2654435761) }

// An ACK that returns no cookie of ours is refused and builds nothing.
func TestForgedCookieACKBuildsNoConnection(t *testing.T) {
	n := newTestNet(t)
	s := n.stack(serverAddr.Addr().String(), func(o *Options) { o.SYNQueue = 1 })
	if _, err := s.Listen(serverAddr.Port(), 0); err != nil {
		t.Fatal(err)
	}
	other := netip.MustParseAddrPort("198.51.100.8:40000")
	s.DeliverPacket(raw(t, other, serverAddr, syn(5, 1460)))         // fills the SYN queue
	s.DeliverPacket(raw(t, clientAddr, serverAddr, syn(1000, 1460))) // a cookie
	n.link.take()
	ack := wire.Segment{Seq: 1001, Ack: 0xdeadbeef, Flags: wire.FlagACK, Window: 1000}
	s.DeliverPacket(raw(t, clientAddr, serverAddr, ack))
	if got := s.Stats().SYNCookiesRejected; got != 1 {
		t.Errorf("SYNCookiesRejected = %d, want 1", got)
	}
	if got := s.Stats().SYNCookiesAccepted; got != 0 {
		t.Errorf("SYNCookiesAccepted = %d, want 0", got)
	}
	if c, _ := counts(s); c != 1 {
		t.Errorf("%d connections, want only the 1 half-open one", c)
	}
	// RFC 9293 3.10.7.2: an ACK to a listener draws <SEQ=SEG.ACK><CTL=RST>.
	sent := n.link.take()
	if len(sent) != 1 || sent[0].TCP.Flags != wire.FlagRST || sent[0].TCP.Seq != ack.Ack {
		t.Errorf("answer to a forged cookie: %d packets, want one RST seq=%d", len(sent), ack.Ack)
	}
}
