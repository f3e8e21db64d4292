package linux

import (
	"errors"
	"io"
	"net/netip"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// newNet builds a Net, skipping the test when a Linux peer is unavailable.
func newNet(t *testing.T, cfg harness.Config) *harness.Net {
	t.Helper()
	before := runtime.NumGoroutine()
	n, err := harness.NewNet(cfg)
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Errorf("Net.Close: %v", err)
		}
		checkNoGoroutineLeak(t, before)
	})
	return n
}

var pairings = []struct {
	name           string
	client, server harness.PeerMaker
}{
	{"linux->gvisor", NewPeer(Config{}), gvisor.NewPeer(gvisor.Options{})},
	{"gvisor->linux", gvisor.NewPeer(gvisor.Options{}), NewPeer(Config{})},
	{"linux<->linux", NewPeer(Config{}), NewPeer(Config{})},
}

// netFamilies are the address pairs of a Net in each family.
var netFamilies = []struct {
	name           string
	client, server netip.Addr
}{
	{"ipv4", harness.DefaultClientAddr, harness.DefaultServerAddr},
	{"ipv6", harness.ClientAddr6, harness.ServerAddr6},
}

// The handshake scenario's expectations, plus an echo and a close from the
// client, in each pairing with Linux and each family: the wire (SYN, SYN-ACK
// with ack = ISN+1, ACK; MSS in both SYNs, between the family's addresses)
// and the states each end passed through as its peer reported them.
func TestPeerHandshakeEchoClose(t *testing.T) {
	for _, pr := range pairings {
		for _, f := range netFamilies {
			t.Run(pr.name+"/"+f.name, func(t *testing.T) {
				testPeerHandshakeEchoClose(t, harness.Config{Seed: 1, Client: pr.client, Server: pr.server, ClientAddr: f.client, ServerAddr: f.server})
			})
		}
	}
}

func testPeerHandshakeEchoClose(t *testing.T, cfg harness.Config) {
	n := newNet(t, cfg)
	c, s, _, err := n.Connect(80, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	checkHandshake(t, n.Trace().Records)
	onWire := func(a netip.Addr) bool { return a == cfg.ClientAddr || a == cfg.ServerAddr }
	for _, r := range n.Trace().Records {
		if ip := r.Packet.IP; !onWire(ip.Src) || !onWire(ip.Dst) {
			t.Errorf("%v -> %v on a wire of %v and %v", ip.Src, ip.Dst, cfg.ClientAddr, cfg.ServerAddr)
		}
	}

	echo(t, n, c, s, "hello")
	echo(t, n, s, c, "world")

	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if err := n.RunUntil("server EOF", time.Second, func() bool {
		_, err := s.Read(buf)
		return err == io.EOF
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.RunUntil("server CLOSED", time.Second, func() bool {
		return s.State() == harness.Closed
	}); err != nil {
		t.Fatal(err)
	}
	if st := c.State(); st != harness.TimeWait {
		t.Errorf("client state %v, want TIME-WAIT", st)
	}
	wantStates(t, "client", n.States(harness.Client, c.ID()),
		harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait)
	wantStates(t, "server", n.States(harness.Server, s.ID()),
		harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	if t.Failed() || testing.Verbose() {
		t.Logf("\n%s", n.Trace())
	}
}

// checkHandshake checks the first three packets against RFC 9293 3.5.
func checkHandshake(t *testing.T, recs []*harness.Record) {
	t.Helper()
	if len(recs) < 3 {
		t.Fatalf("%d packets after accept, want the three of a handshake", len(recs))
	}
	syn, synack, ack := recs[0].Seg(), recs[1].Seg(), recs[2].Seg()
	if syn.Flags != packet.SYN || recs[0].Dir != harness.ClientToServer || !syn.Options.HasMSS {
		t.Errorf("first packet %v %v, want the client's SYN with MSS", recs[0].Dir, syn)
	}
	if synack.Flags != packet.SYN|packet.ACK || synack.Ack != syn.Seq+1 || !synack.Options.HasMSS {
		t.Errorf("second packet %v, want SYN-ACK ack %d with MSS", synack, syn.Seq+1)
	}
	if ack.Flags != packet.ACK || ack.Seq != syn.Seq+1 || ack.Ack != synack.Seq+1 {
		t.Errorf("third packet %v, want ACK seq %d ack %d", ack, syn.Seq+1, synack.Seq+1)
	}
}

// echo writes msg on from and runs the Net until to has read it all.
func echo(t *testing.T, n *harness.Net, from, to harness.Conn, msg string) {
	t.Helper()
	if k, err := from.Write([]byte(msg)); err != nil || k != len(msg) {
		t.Fatalf("Write: %d, %v", k, err)
	}
	var got []byte
	buf := make([]byte, 64)
	if err := n.RunUntil("read "+msg, time.Second, func() bool {
		k, err := to.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
			t.Fatalf("Read: %v", err)
		}
		return len(got) >= len(msg)
	}); err != nil {
		t.Fatal(err)
	}
	if string(got) != msg {
		t.Fatalf("read %q, want %q", got, msg)
	}
}

func wantStates(t *testing.T, who string, got []harness.State, want ...harness.State) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s went through %v, want %v", who, got, want)
	}
}

// A segment for a connection Linux never had (answered with RST) reports no
// state change, even with a listener on its port: only the listener's own
// CLOSED -> LISTEN is reported.
func TestPeerReportsNothingForUnknownConnection(t *testing.T) {
	var changes []harness.StateChange
	env := harness.PeerEnv{
		Side: harness.Server, Addr: netip.MustParseAddr("192.0.2.2"), Clock: harness.NewClock(), MTU: 1500,
		Transmit:     func([]byte) {},
		StateChanged: func(c harness.StateChange) { changes = append(changes, c) },
	}
	hp, err := newPeer(env, Config{})
	if errors.Is(err, ErrUnavailable) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer hp.Close()
	p := hp.(*peer)
	if _, err := p.Listen(8094); err != nil {
		t.Fatal(err)
	}
	p.Deliver(segment(t, p.host, 41002, 8094, 1, 1, packet.ACK, packet.Options{}, nil))
	p.Settle()
	if len(changes) != 1 || changes[0].From != harness.Closed || changes[0].To != harness.Listen || changes[0].ID.RemotePort != 0 {
		t.Fatalf("state changes %+v, want only the listener's CLOSED -> LISTEN", changes)
	}
}
