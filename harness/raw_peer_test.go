package harness_test

import (
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// TestRawDrivesGVisorThroughAHandshake plays the client by hand, segment by
// segment, against a listening gVisor (RFC 9293 figure 6).
func TestRawDrivesGVisorThroughAHandshake(t *testing.T) {
	n := newTestNet(t, harness.Config{Seed: 7, Client: harness.RawPeer()})
	raw := harness.RawOf(n, harness.Client)
	l, err := n.Server().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	const iss = seqnum.Value(1000)
	syn := packet.Segment{SrcPort: 40000, DstPort: 80, Seq: iss, Flags: packet.SYN, Window: 65535,
		Options: packet.Options{HasMSS: true, MSS: 1460}}
	if err := raw.SendSegment(syn); err != nil {
		t.Fatal(err)
	}
	synAck, err := raw.Expect(time.Second, harness.SentBy(harness.Server), harness.Flags(packet.SYN|packet.ACK), harness.AbsAck(uint32(iss)+1), harness.Len(0), harness.HasMSS())
	if err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	serverID := harness.FourTuple{LocalAddr: n.Addr(harness.Server), LocalPort: 80, RemoteAddr: n.Addr(harness.Client), RemotePort: 40000}
	if st := n.State(harness.Server, serverID); st != harness.SynReceived {
		t.Fatalf("server state after SYN = %v, want SYN-RECEIVED", st)
	}
	if _, err := l.Accept(); err != harness.ErrWouldBlock {
		t.Fatalf("Accept before the third ACK = %v, want ErrWouldBlock", err)
	}
	irs := synAck.Packet.TCP.Seq
	ack := packet.Segment{SrcPort: 40000, DstPort: 80, Seq: iss + 1, Ack: irs + 1, Flags: packet.ACK, Window: 65535}
	if err := raw.SendSegment(ack); err != nil {
		t.Fatal(err)
	}
	if err := raw.ExpectNone(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	s, err := l.Accept()
	if err != nil {
		t.Fatalf("Accept after the third ACK: %v", err)
	}
	if s.State() != harness.Established {
		t.Fatalf("accepted conn in %v", s.State())
	}

	data := ack
	data.Flags = packet.ACK | packet.PSH
	data.Payload = []byte("ping")
	if err := raw.SendSegment(data); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Expect(time.Second, harness.Flags(packet.ACK), harness.Seq(1), harness.Ack(5), harness.Len(0)); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	buf := make([]byte, 10)
	if k, err := s.Read(buf); err != nil || string(buf[:k]) != "ping" {
		t.Fatalf("server Read = %q, %v", buf[:k], err)
	}
	want := []harness.State{harness.Listen, harness.SynReceived, harness.Established}
	if got := n.States(harness.Server, serverID); !slices.Equal(got, want) {
		t.Fatalf("server states %v, want %v", got, want)
	}
}

// TestRawGetsRSTForClosedPort: a SYN to a port nobody listens on is answered
// with RST+ACK acknowledging the SYN (RFC 9293 3.10.7.1).
func TestRawGetsRSTForClosedPort(t *testing.T) {
	n := newTestNet(t, harness.Config{Seed: 7, Client: harness.RawPeer()})
	raw := harness.RawOf(n, harness.Client)
	if err := raw.SendSegment(packet.Segment{SrcPort: 40000, DstPort: 81, Seq: 5, Flags: packet.SYN, Window: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Expect(time.Second, harness.Flags(packet.RST|packet.ACK), harness.AbsSeq(0), harness.AbsAck(6)); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
}

// TestExpectNoneLetsTheTimePass: ExpectNone runs the Net for the whole
// span, even when nothing is pending.
func TestExpectNoneLetsTheTimePass(t *testing.T) {
	n := newTestNet(t, harness.Config{Client: harness.RawPeer()})
	if err := harness.RawOf(n, harness.Client).ExpectNone(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if n.Now() != 3*time.Second {
		t.Fatalf("clock at %v after ExpectNone(3s)", n.Now())
	}
}
