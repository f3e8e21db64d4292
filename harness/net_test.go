package harness_test

import (
	"errors"
	"io"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// newTestNet builds a Net from cfg, with gVisor at each end cfg leaves
// empty, and closes it when the test ends.
func newTestNet(t *testing.T, cfg harness.Config) *harness.Net {
	t.Helper()
	for _, mk := range []*harness.PeerMaker{&cfg.Client, &cfg.Server} {
		if *mk == nil {
			*mk = gvisor.NewPeer(gvisor.Options{})
		}
	}
	n, err := harness.NewNet(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestGVisorHandshakeEchoClose drives two gVisor stacks through a whole
// connection and checks it at all three levels: the wire, both ends' state
// sequences, and what the application calls return.
func TestGVisorHandshakeEchoClose(t *testing.T) {
	n := newTestNet(t, harness.Config{Seed: 1})
	c, s := connect(t, n)
	if _, err := c.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, s, 5); string(got) != "hello" {
		t.Fatalf("server read %q", got)
	}
	if _, err := s.Write([]byte("world!")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, c, 6); string(got) != "world!" {
		t.Fatalf("client read %q", got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if err := n.RunUntil("EOF at the server", time.Second, func() bool {
		_, err := s.Read(buf)
		return err == io.EOF
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Quiet(10 * time.Minute); err != nil {
		t.Fatal(err)
	}

	type seg struct {
		dir      harness.Dir
		flags    packet.Flags
		seq, ack uint32
		len      int
	}
	const (
		S = packet.SYN
		A = packet.ACK
		F = packet.FIN
		P = packet.PSH
	)
	want := []seg{
		{harness.ClientToServer, S, 0, 0, 0},
		{harness.ServerToClient, S | A, 0, 1, 0},
		{harness.ClientToServer, A, 1, 1, 0},
		{harness.ClientToServer, P | A, 1, 1, 5},
		{harness.ServerToClient, A, 1, 6, 0},
		{harness.ServerToClient, P | A, 1, 6, 6},
		{harness.ClientToServer, A, 6, 7, 0},
		{harness.ClientToServer, F | A, 6, 7, 0},
		{harness.ServerToClient, A, 7, 7, 0},
		{harness.ServerToClient, F | A, 7, 7, 0},
		{harness.ClientToServer, A, 7, 8, 0},
	}
	recs := n.Trace().Records
	var got []seg
	for _, r := range recs {
		ack := r.RelAck
		if !r.Packet.TCP.Flags.Has(A) {
			ack = 0
		}
		got = append(got, seg{r.Dir, r.Packet.TCP.Flags, r.RelSeq, ack, r.PayloadLen})
	}
	if len(got) != len(want) {
		t.Fatalf("%d packets, want %d\n%s", len(got), len(want), n.Trace())
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("packet %d = %+v, want %+v\n%s", i, got[i], want[i], n.Trace())
		}
	}

	wantClient := []harness.State{harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed}
	wantServer := []harness.State{harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed}
	if got := n.States(harness.Client, c.ID()); !slices.Equal(got, wantClient) {
		t.Fatalf("client states %v, want %v", got, wantClient)
	}
	if got := n.States(harness.Server, s.ID()); !slices.Equal(got, wantServer) {
		t.Fatalf("server states %v, want %v", got, wantServer)
	}
	// TIME-WAIT lasts 2MSL = 60 s by gVisor's default (RFC 9293 3.4.2), to
	// within the few clock ticks a timer fires late (PeerClock).
	h := n.History(harness.Client, c.ID())
	if tw := h[len(h)-1].At - h[len(h)-2].At; h[len(h)-2].To != harness.TimeWait || tw < time.Minute || tw > time.Minute+time.Microsecond {
		t.Fatalf("TIME-WAIT lasted %v, want 1m", tw)
	}
	if c.State() != harness.Closed || s.State() != harness.Closed {
		t.Fatalf("end states %v %v", c.State(), s.State())
	}
}

// TestDialFromAChosenPort: both stacks dial from the port they are given.
func TestDialFromAChosenPort(t *testing.T) {
	for _, client := range []struct {
		name string
		mk   harness.PeerMaker
	}{{"gvisor", gvisor.NewPeer(gvisor.Options{})}, {"ours", ours.NewPeer(ours.Options{})}} {
		t.Run(client.name, func(t *testing.T) {
			n := newTestNet(t, harness.Config{Client: client.mk})
			l, err := n.Server().Listen(80)
			if err != nil {
				t.Fatal(err)
			}
			raddr := netip.AddrPortFrom(n.Addr(harness.Server), 80)
			c, err := harness.DialFrom(n.Client(), 40404, raddr)
			if err != nil {
				t.Fatal(err)
			}
			if c.ID().LocalPort != 40404 {
				t.Fatalf("dialed from port %d", c.ID().LocalPort)
			}
			if err := n.RunUntil("accept", time.Second, func() bool { _, err = l.Accept(); return err == nil }); err != nil {
				t.Fatal(err)
			}
			if r := n.Trace().Records[0]; r.Packet.TCP.SrcPort != 40404 || !r.Packet.TCP.Flags.Has(packet.SYN) {
				t.Fatalf("first packet from port %d, flags %v", r.Packet.TCP.SrcPort, r.Packet.TCP.Flags)
			}
			if got := n.States(harness.Client, c.ID()); !slices.Equal(got, []harness.State{harness.Closed, harness.SynSent, harness.Established}) {
				t.Fatalf("client states %v", got)
			}
		})
	}
	n := newTestNet(t, harness.Config{Client: harness.RawPeer()})
	if _, err := harness.DialFrom(n.Client(), 1, netip.AddrPort{}); err != harness.ErrNotSupported {
		t.Fatalf("raw DialFrom = %v, want ErrNotSupported", err)
	}
}

func TestNewNetRequiresBothPeers(t *testing.T) {
	for _, cfg := range []harness.Config{{}, {Client: gvisor.NewPeer(gvisor.Options{})}, {Server: gvisor.NewPeer(gvisor.Options{})}} {
		n, err := harness.NewNet(cfg)
		if !errors.Is(err, harness.ErrNoPeer) {
			if n != nil {
				n.Close()
			}
			t.Fatalf("NewNet with a peer missing: err = %v, want ErrNoPeer", err)
		}
	}
}

// TestEveryPeerTakesTheMSL: TCPSettings.MSL reaches each stack, so that the
// client's TIME-WAIT lasts 2*MSL (RFC 9293 3.4.2) whichever stack it is.
func TestEveryPeerTakesTheMSL(t *testing.T) {
	const msl = 5 * time.Second
	settings := harness.TCPSettings{MSL: msl}
	for _, client := range []struct {
		name string
		mk   harness.PeerMaker
	}{{"gvisor", gvisor.NewPeer(gvisor.Options{Settings: settings})}, {"ours", ours.NewPeer(ours.Options{Settings: settings})}} {
		t.Run(client.name, func(t *testing.T) {
			n := newTestNet(t, harness.Config{Client: client.mk})
			c, s := connect(t, n)
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			if err := n.RunUntil("the server to see EOF", time.Second, func() bool {
				_, err := s.Read(make([]byte, 1))
				return err == io.EOF
			}); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := n.RunUntil("the client to leave TIME-WAIT", time.Minute, func() bool { return c.State() == harness.Closed }); err != nil {
				t.Fatal(err)
			}
			h := n.History(harness.Client, c.ID())
			if tw := h[len(h)-1].At - h[len(h)-2].At; h[len(h)-2].To != harness.TimeWait || tw < 2*msl || tw > 2*msl+time.Microsecond {
				t.Fatalf("TIME-WAIT lasted %v (states %v), want %v", tw, n.States(harness.Client, c.ID()), 2*msl)
			}
		})
	}
}
