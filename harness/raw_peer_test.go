package harness

import (
	"slices"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// TestRawDrivesGVisorThroughAHandshake plays the client by hand, segment by
// segment, against a listening gVisor (RFC 9293 figure 6).
func TestRawDrivesGVisorThroughAHandshake(t *testing.T) {
	n := newTestNet(t, Config{Seed: 7, Client: RawPeer()})
	raw := RawOf(n, Client)
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
	synAck, err := raw.Expect(time.Second, From(Server), Flags(packet.SYN|packet.ACK), AbsAck(uint32(iss)+1), Len(0), HasMSS())
	if err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	serverID := FourTuple{LocalAddr: n.Addr(Server), LocalPort: 80, RemoteAddr: n.Addr(Client), RemotePort: 40000}
	if st := n.State(Server, serverID); st != SynReceived {
		t.Fatalf("server state after SYN = %v, want SYN-RECEIVED", st)
	}
	if _, err := l.Accept(); err != ErrWouldBlock {
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
	if s.State() != Established {
		t.Fatalf("accepted conn in %v", s.State())
	}

	data := ack
	data.Flags = packet.ACK | packet.PSH
	data.Payload = []byte("ping")
	if err := raw.SendSegment(data); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Expect(time.Second, Flags(packet.ACK), Seq(1), Ack(5), Len(0)); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	buf := make([]byte, 10)
	if k, err := s.Read(buf); err != nil || string(buf[:k]) != "ping" {
		t.Fatalf("server Read = %q, %v", buf[:k], err)
	}
	want := []State{Listen, SynReceived, Established}
	if got := n.States(Server, serverID); !slices.Equal(got, want) {
		t.Fatalf("server states %v, want %v", got, want)
	}
}

// TestRawGetsRSTForClosedPort: a SYN to a port nobody listens on is answered
// with RST+ACK acknowledging the SYN (RFC 9293 3.10.7.1).
func TestRawGetsRSTForClosedPort(t *testing.T) {
	n := newTestNet(t, Config{Seed: 7, Client: RawPeer()})
	raw := RawOf(n, Client)
	if err := raw.SendSegment(packet.Segment{SrcPort: 40000, DstPort: 81, Seq: 5, Flags: packet.SYN, Window: 1000}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Expect(time.Second, Flags(packet.RST|packet.ACK), AbsSeq(0), AbsAck(6)); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
}

// TestExpectNoneLetsTheTimePass: ExpectNone runs the Net for the whole
// span, even when nothing is pending.
func TestExpectNoneLetsTheTimePass(t *testing.T) {
	n := newTestNet(t, Config{Client: RawPeer()})
	if err := RawOf(n, Client).ExpectNone(3 * time.Second); err != nil {
		t.Fatal(err)
	}
	if n.Now() != 3*time.Second {
		t.Fatalf("clock at %v after ExpectNone(3s)", n.Now())
	}
}
