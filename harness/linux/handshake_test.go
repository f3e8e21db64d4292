package linux

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// A SYN to a Linux listener: SYN-ACK with ack = our ISN + 1 and an MSS
// option (RFC 9293 3.5, figure 6), the request socket in SYN-RECEIVED, and
// ESTABLISHED once our ACK arrives.
func TestPassiveOpen(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		l, err := h.Listen(8080, 8)
		if err != nil {
			t.Fatal(err)
		}
		if st, err := l.State(); err != nil || st != harness.Listen {
			t.Fatalf("listener state %v, %v; want LISTEN", st, err)
		}
		const iss = seqnum.Value(1000)
		const sport = 40000
		send(t, h, segment(t, h, sport, 8080, iss, 0, packet.SYN,
			packet.Options{HasMSS: true, MSS: 1460}, nil))

		synack := expect(t, h)
		seg := synack.TCP
		if seg.Flags != packet.SYN|packet.ACK {
			t.Fatalf("got %v, want SYN-ACK", &seg)
		}
		if seg.Ack != iss+1 {
			t.Errorf("SYN-ACK ack %d, want %d", seg.Ack, iss+1)
		}
		if seg.SrcPort != 8080 || seg.DstPort != sport {
			t.Errorf("SYN-ACK ports %d -> %d", seg.SrcPort, seg.DstPort)
		}
		if !seg.Options.HasMSS || seg.Options.MSS != wantMSS(h) {
			t.Errorf("SYN-ACK options %v, want mss %d (MTU 1500)", &seg.Options, wantMSS(h))
		}
		if len(seg.Payload) != 0 {
			t.Errorf("SYN-ACK carries %d bytes", len(seg.Payload))
		}

		id := harness.FourTuple{LocalAddr: h.Addr(), LocalPort: 8080, RemoteAddr: harnessAddr(h), RemotePort: sport}
		if st, err := h.State(id); err != nil || st != harness.SynReceived {
			t.Fatalf("state after SYN-ACK %v, %v; want SYN-RECEIVED (sock_diag)", st, err)
		}
		if _, err := l.TryAccept(); err != ErrWouldBlock {
			t.Fatalf("TryAccept before the handshake completed: %v, want ErrWouldBlock", err)
		}

		send(t, h, segment(t, h, sport, 8080, iss+1, seg.Seq+1, packet.ACK, packet.Options{}, nil))
		c, err := l.TryAccept()
		if err != nil {
			t.Fatalf("TryAccept after the third ACK: %v", err)
		}
		if c.ID() != id {
			t.Errorf("accepted %+v, want %+v", c.ID(), id)
		}
		if st, err := c.State(); err != nil || st != harness.Established {
			t.Fatalf("state %v, %v; want ESTABLISHED (TCP_INFO)", st, err)
		}
		if st, err := h.State(id); err != nil || st != harness.Established {
			t.Fatalf("state %v, %v; want ESTABLISHED (sock_diag)", st, err)
		}
	})
}

// connect() from Linux puts a SYN on the TUN, and the socket in SYN-SENT.
// Our SYN-ACK completes it: Linux ACKs and reports ESTABLISHED.
func TestActiveOpen(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		c, err := h.Connect(netip.AddrPortFrom(harnessAddr(h), 9000))
		if err != nil {
			t.Fatal(err)
		}
		syn := expect(t, h).TCP
		if syn.Flags != packet.SYN {
			t.Fatalf("got %v, want SYN", &syn)
		}
		if syn.DstPort != 9000 || syn.SrcPort != c.ID().LocalPort {
			t.Errorf("SYN ports %d -> %d, conn %+v", syn.SrcPort, syn.DstPort, c.ID())
		}
		if !syn.Options.HasMSS || !syn.Options.SACKPermitted || !syn.Options.HasTimestamps || !syn.Options.HasWindowScale {
			t.Errorf("SYN options %v, want mss, sackOK, TS and wscale (the namespace's sysctls)", &syn.Options)
		}
		if st, err := c.State(); err != nil || st != harness.SynSent {
			t.Fatalf("state %v, %v; want SYN-SENT", st, err)
		}
		if err := c.Connected(); err != ErrWouldBlock {
			t.Fatalf("Connected during the handshake: %v, want ErrWouldBlock", err)
		}

		const iss = seqnum.Value(5000)
		send(t, h, segment(t, h, 9000, syn.SrcPort, iss, syn.Seq+1, packet.SYN|packet.ACK,
			packet.Options{HasMSS: true, MSS: 1460}, nil))
		ack := expect(t, h).TCP
		if ack.Flags != packet.ACK || ack.Seq != syn.Seq+1 || ack.Ack != iss+1 {
			t.Fatalf("got %v, want ACK seq %d ack %d", &ack, syn.Seq+1, iss+1)
		}
		if err := c.Connected(); err != nil {
			t.Fatalf("Connected: %v", err)
		}
		if st, err := c.State(); err != nil || st != harness.Established {
			t.Fatalf("state %v, %v; want ESTABLISHED", st, err)
		}
	})
}

// A SYN to a port nobody listens on: RST+ACK, seq 0, ack = ISN + 1 (RFC
// 9293 3.10.7.1: SEG.ACK off, so <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>).
func TestSYNToClosedPort(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		const iss = seqnum.Value(77)
		send(t, h, segment(t, h, 40001, 81, iss, 0, packet.SYN, packet.Options{HasMSS: true, MSS: 1460}, nil))
		rst := expect(t, h).TCP
		if rst.Flags != packet.RST|packet.ACK || rst.Seq != 0 || rst.Ack != iss+1 {
			t.Fatalf("got %v, want RST+ACK seq 0 ack %d", &rst, iss+1)
		}
		if rst.SrcPort != 81 || rst.DstPort != 40001 {
			t.Errorf("RST ports %d -> %d", rst.SrcPort, rst.DstPort)
		}
	})
}

// The harness's RST answers a Linux SYN: connect fails with ECONNREFUSED.
func TestConnectRefused(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		c, err := h.Connect(netip.AddrPortFrom(harnessAddr(h), 9001))
		if err != nil {
			t.Fatal(err)
		}
		syn := expect(t, h).TCP
		send(t, h, segment(t, h, 9001, syn.SrcPort, 0, syn.Seq+1, packet.RST|packet.ACK, packet.Options{}, nil))
		if err := c.Connected(); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("Connected after RST: %v, want connection refused", err)
		}
		if st, err := c.State(); err != nil || st != harness.Closed {
			t.Fatalf("state %v, %v; want CLOSED", st, err)
		}
	})
}

// The default route through the TUN: Linux answers a SYN from outside its
// prefix (a raw peer's spoofed source, say) out of the TUN too.
func TestSYNFromOutsideThePrefix(t *testing.T) {
	inEachFamily(t, func(t *testing.T, h *Host) {
		if _, err := h.Listen(8085, 8); err != nil {
			t.Fatal(err)
		}
		far := netip.MustParseAddr("198.51.100.7") // TEST-NET-2
		if h.Addr().Is6() {
			far = netip.MustParseAddr("2001:db8:1::7") // outside the /64 (RFC 3849)
		}
		send(t, h, segmentFrom(t, far, h, 40002, 8085, 9, 0, packet.SYN, packet.Options{HasMSS: true, MSS: 1460}, nil))
		if seg := expectTo(t, h, far).TCP; seg.Flags != packet.SYN|packet.ACK || seg.Ack != 10 {
			t.Fatalf("got %v, want SYN-ACK ack 10", &seg)
		}
	})
}
