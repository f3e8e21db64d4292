package ourstack

import (
	"errors"
	"net/netip"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// With the SYN queue full, a real client still connects: the server answers
// with a cookie, keeps nothing, and builds the connection from the ACK.
func TestSYNCookieHandshakeCarriesData(t *testing.T) {
	n := newTestNet(t)
	log := stateLog{}
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, both(quickTCP, log.hook, func(o *Options) { o.SYNQueue = 1 }))
	l, err := server.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A spoofed SYN takes the one SYN-queue slot; its SYN-ACK goes nowhere.
	spoofed := netip.MustParseAddrPort("10.9.9.9:1234")
	server.DeliverPacket(raw(t, spoofed, server80, syn(77, 1460)))
	n.link.discard()
	n.link.take()

	c, err := client.Connect(server80)
	if err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	sent := n.link.take()
	if len(sent) != 3 {
		t.Fatalf("handshake took %d segments, want 3", len(sent))
	}
	synAck := sent[1].TCP
	o := synAck.Options
	if synAck.Flags != wire.FlagSYN|wire.FlagACK || !o.HasMSS || o.HasWindowScale || o.SACKPermitted || o.HasTimestamps {
		t.Errorf("cookie SYN-ACK: flags %v options %+v; want SYN|ACK with MSS alone", synAck.Flags, o)
	}
	st := server.Stats()
	if st.SYNCookiesSent != 1 || st.SYNCookiesAccepted != 1 {
		t.Errorf("cookies sent %d, accepted %d; want 1, 1", st.SYNCookiesSent, st.SYNCookiesAccepted)
	}
	sc, err := l.TryAccept()
	if err != nil {
		t.Fatalf("TryAccept after a cookie handshake: %v", err)
	}
	expectState(t, c, tcp.Established)
	expectState(t, sc, tcp.Established)
	if got := log[sc.ID()]; !slices.Equal(got, []tcp.State{tcp.Listen, tcp.Established}) {
		t.Errorf("cookie connection went through %v, want LISTEN, ESTABLISHED", got)
	}
	mustWrite(t, c, "through a cookie")
	n.link.pump()
	mustRead(t, sc, "through a cookie")
	mustWrite(t, sc, "and back")
	n.link.pump()
	mustRead(t, c, "and back")
	if conns, q := counts(server); conns != 2 || q != 1 {
		t.Errorf("server holds %d connections, %d half-open; want 2 (the spoofed one and ours), 1", conns, q)
	}
}

// A cookie ACK that arrives after the cookie's lifetime is refused with an
// RST, and builds nothing.
func TestExpiredCookieIsRefused(t *testing.T) {
	n := newTestNet(t)
	server := n.stack(serverIP, func(o *Options) { o.SYNQueue = 1 })
	if _, err := server.Listen(80, 0); err != nil {
		t.Fatal(err)
	}
	server.DeliverPacket(raw(t, netip.MustParseAddrPort("10.9.9.9:1234"), server80, syn(77, 1460)))
	server.DeliverPacket(raw(t, clientAddr, server80, syn(1000, 1460)))
	sent := n.link.take()
	cookie := sent[len(sent)-1].TCP.Seq
	ack := wire.Segment{Seq: 1001, Ack: cookie + 1, Flags: wire.FlagACK, Window: 1000}
	// Three cookie slots later the first half-open entry has given up.
	// Fill the SYN queue again and draw a fresh cookie, so that the
	// listener is checking cookies when the stale one returns.
	n.clock.Advance(3 * cookieSlot)
	server.DeliverPacket(raw(t, netip.MustParseAddrPort("10.9.9.10:1234"), server80, syn(88, 1460)))
	server.DeliverPacket(raw(t, netip.MustParseAddrPort("10.9.9.11:1234"), server80, syn(99, 1460)))
	if st := server.Stats(); st.SYNCookiesSent != 2 {
		t.Fatalf("SYNCookiesSent = %d, want 2", st.SYNCookiesSent)
	}
	n.link.take()
	server.DeliverPacket(raw(t, clientAddr, server80, ack))
	if st := server.Stats(); st.SYNCookiesAccepted != 0 || st.SYNCookiesRejected != 1 {
		t.Errorf("accepted %d, rejected %d; want 0, 1", st.SYNCookiesAccepted, st.SYNCookiesRejected)
	}
	sent = n.link.take()
	if len(sent) != 1 || sent[0].TCP.Flags != wire.FlagRST || sent[0].TCP.Seq != ack.Ack {
		t.Fatalf("answer to an expired cookie: %d packets; want one RST seq=%d", len(sent), ack.Ack)
	}
}

// More handshakes than the accept queue holds: the extra ones wait (their
// SYN or final ACK is dropped, so the peer retransmits) and complete once
// Accept makes room.
func TestListenBacklogHoldsExtraHandshakes(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	l, err := server.Listen(80, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Two SYNs reach the listener before either handshake completes: both
	// enter SYN-RECEIVED; the first ACK fills the accept queue and the
	// second is dropped.
	c1, _ := client.Connect(server80)
	c2, _ := client.Connect(server80)
	n.link.pump()
	if got := server.Stats().ListenOverflows; got != 1 {
		t.Errorf("ListenOverflows = %d after two handshakes into a backlog of 1, want 1", got)
	}
	// A third SYN, with the accept queue full, is dropped outright.
	c3, _ := client.Connect(server80)
	n.link.pump()
	expectState(t, c3, tcp.SynSent)
	if got := server.Stats().ListenOverflows; got != 2 {
		t.Errorf("ListenOverflows = %d after a SYN to a full accept queue, want 2", got)
	}
	if conns, q := counts(server); conns != 2 || q != 1 {
		t.Errorf("server holds %d connections, %d half-open; want 2, 1", conns, q)
	}

	accepted := map[tcp.FourTuple]bool{}
	accept := func() {
		t.Helper()
		sc, err := l.TryAccept()
		if err != nil {
			t.Fatalf("TryAccept: %v", err)
		}
		accepted[sc.ID()] = true
	}
	accept()
	if _, err := l.TryAccept(); err != ErrWouldBlock {
		t.Fatalf("second TryAccept before any retransmission: %v, want ErrWouldBlock", err)
	}
	// One initial RTO later the server resends c2's SYN-ACK and the client
	// its SYN for c3 (RFC 6298 2.1: 1 s).
	n.clock.Advance(time.Second)
	n.link.pump()
	accept()
	n.clock.Advance(2 * time.Second)
	n.link.pump()
	accept()
	for i, c := range []*Conn{c1, c2, c3} {
		id := c.ID()
		back := tcp.FourTuple{LocalAddr: id.RemoteAddr, LocalPort: id.RemotePort, RemoteAddr: id.LocalAddr, RemotePort: id.LocalPort}
		if !accepted[back] {
			t.Errorf("client connection %d (%v) was never accepted", i+1, id)
		}
		expectState(t, c, tcp.Established)
	}
}

// Closing a listener aborts what it had not handed out yet.
func TestListenerCloseAbortsUnacceptedConnections(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	l, _ := server.Listen(80, 0)
	c, _ := client.Connect(server80)
	n.link.pump()
	expectState(t, c, tcp.Established)
	l.Close()
	n.link.pump()
	if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client Read after the listener closed: %v, want ECONNRESET", err)
	}
	if conns, q := counts(server); conns != 0 || q != 0 {
		t.Errorf("server holds %d connections, %d half-open", conns, q)
	}
}

// Stack.Close aborts every connection: the peers see resets.
func TestStackCloseResetsPeers(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	c, sc := connected(t, n, client, server)
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	if _, err := c.TryRead(make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("client Read after the server stack closed: %v, want ECONNRESET", err)
	}
	if _, err := sc.TryRead(make([]byte, 1)); err == nil || err == ErrWouldBlock {
		t.Errorf("Read on a Conn of a closed stack: %v, want an error", err)
	}
	if _, err := server.Connect(netip.MustParseAddrPort("192.0.2.1:80")); err == nil {
		t.Error("Connect on a closed stack succeeded")
	}
	if err := server.Close(); err == nil {
		t.Error("second Stack.Close succeeded")
	}
}

// RFC 9293 3.10.7.4 / RFC 6191: a new SYN for the four-tuple of a
// connection in TIME-WAIT may start a new incarnation; the Stack then drops
// the old TCB and the listener answers the SYN.
func TestSYNInTimeWaitReopens(t *testing.T) {
	n := newTestNet(t)
	log := stateLog{}
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, both(quickTCP, log.hook))
	c, sc := connected(t, n, client, server)
	sc.Close() // the server closes first and holds TIME-WAIT
	n.link.pump()
	n.link.take()
	c.Close()
	n.link.pump()
	expectState(t, sc, tcp.TimeWait)
	expectState(t, c, tcp.Closed)
	// The new SYN's sequence number lies beyond the old connection's last
	// (its FIN), as RFC 9293 3.10.7.4's note requires.
	var newISN seqnum.Value
	for _, p := range n.link.take() {
		if p.TCP.Flags.Has(wire.FlagFIN) {
			newISN = p.TCP.Seq + 100000
		}
	}
	if newISN == 0 {
		t.Fatal("the client sent no FIN")
	}
	id := c.ID()
	from := netip.AddrPortFrom(id.LocalAddr, id.LocalPort)
	server.DeliverPacket(raw(t, from, server80, syn(newISN, 1460)))
	sent := n.link.take()
	if len(sent) != 1 || sent[0].TCP.Flags != wire.FlagSYN|wire.FlagACK || sent[0].TCP.Ack != newISN+1 {
		t.Fatalf("answer to a new SYN in TIME-WAIT: %d packets %v", len(sent), sent)
	}
	if conns, q := counts(server); conns != 1 || q != 1 {
		t.Errorf("server holds %d connections, %d half-open; want the new one alone", conns, q)
	}
	expectState(t, sc, tcp.TimeWait) // the old Conn object is no longer driven
	got := log[sc.ID()]
	// Both incarnations share the four-tuple, so one log holds both: the
	// old one ends (TIME-WAIT to CLOSED) and the new one enters SYN-RECEIVED.
	want := []tcp.State{tcp.Listen, tcp.SynReceived, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed, tcp.SynReceived}
	if !slices.Equal(got, want) {
		t.Errorf("states of the four-tuple: %v, want %v", got, want)
	}
}

// The syn-flood scenario: 10,000 SYNs from spoofed sources, none
// completing. The SYN queue stays at its bound, cookies take over, a real
// client still connects and moves data, and once the half-open entries give
// up their SYN-ACK retries nothing of the flood is left.
func TestLegitimateClientConnectsThroughAFlood(t *testing.T) {
	n := newTestNet(t)
	client := n.stack(clientIP, quickTCP)
	server := n.stack(serverIP, quickTCP)
	l, err := server.Listen(80, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10000 {
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}), 5000)
		server.DeliverPacket(raw(t, src, server80, syn(seqOf(i), 1460)))
	}
	n.link.discard() // the SYN-ACKs to spoofed addresses go nowhere
	if conns, q := counts(server); conns != DefaultSYNQueue || q != DefaultSYNQueue {
		t.Fatalf("after the flood: %d connections, %d half-open; want %d each", conns, q, DefaultSYNQueue)
	}
	c, err := client.Connect(server80)
	if err != nil {
		t.Fatal(err)
	}
	n.link.pump()
	sc, err := l.TryAccept()
	if err != nil {
		t.Fatalf("the real client was not accepted: %v", err)
	}
	mustWrite(t, c, "still here")
	n.link.pump()
	mustRead(t, sc, "still here")
	// SYN-ACK retransmissions (RFC 6298 backoff, tcp.DefaultSynRetries) run
	// out well within ten virtual minutes.
	n.clock.Advance(10 * time.Minute)
	n.link.discard()
	if conns, q := counts(server); conns != 1 || q != 0 {
		t.Errorf("ten minutes after the flood: %d connections, %d half-open; want just the real one", conns, q)
	}
	expectState(t, sc, tcp.Established)
}
