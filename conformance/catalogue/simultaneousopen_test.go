package catalogue

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// TestSimultaneousOpenAgainstRawPeer plays the far end of RFC 9293 figure 7
// by hand against each stack's SYN-SENT: the stack dials the raw peer, whose
// own SYN crosses it. The stack must answer with a SYN-ACK of its ISS
// (SYN-RECEIVED), and reach ESTABLISHED on either completion the RFC
// allows: the peer's SYN-ACK (figure 7, line 6) or a bare ACK of its SYN.
// Then it takes data. Unlike the simultaneous-open scenario, the far end
// here does exactly what the test says, so each completion is exercised for
// each stack.
func TestSimultaneousOpenAgainstRawPeer(t *testing.T) {
	makers := map[string]func() harness.PeerMaker{
		Ours:   func() harness.PeerMaker { return ours.NewPeer(ours.Options{}) },
		GVisor: func() harness.PeerMaker { return gvisor.NewPeer(gvisor.Options{}) },
	}
	for _, kind := range []string{Ours, GVisor} {
		for _, completion := range []string{"syn-ack", "bare-ack"} {
			t.Run(kind+"/"+completion, func(t *testing.T) {
				n, err := harness.NewNet(harness.Config{Seed: 3, Client: makers[kind](), Server: harness.RawPeer()})
				if err != nil {
					t.Fatal(err)
				}
				defer n.Close()
				raw := harness.RawOf(n, harness.Server)
				fail := func(format string, args ...any) {
					t.Helper()
					t.Fatalf(format+"\ntrace:\n%s", append(args, n.Trace())...)
				}

				c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), ServerPort))
				if err != nil {
					t.Fatal(err)
				}
				syn, err := raw.Expect(time.Second, harness.SentBy(harness.Client), harness.Flags(packet.SYN), harness.Len(0))
				if err != nil {
					fail("%v", err)
				}
				iss := syn.Packet.TCP.Seq
				const peerISS = seqnum.Value(777000)
				base := packet.Segment{SrcPort: ServerPort, DstPort: c.ID().LocalPort, Window: 65535}

				// Our SYN crosses the stack's: it goes SYN-RECEIVED and sends
				// <SEQ=ISS><ACK=peerISS+1><CTL=SYN,ACK> (figure 7, line 5).
				ourSYN := base
				ourSYN.Seq, ourSYN.Flags = peerISS, packet.SYN
				ourSYN.Options = packet.Options{HasMSS: true, MSS: 1460}
				if err := raw.SendSegment(ourSYN); err != nil {
					t.Fatal(err)
				}
				if _, err := raw.Expect(time.Second, harness.Flags(packet.SYN|packet.ACK),
					harness.AbsSeq(uint32(iss)), harness.AbsAck(uint32(peerISS)+1), harness.Len(0)); err != nil {
					fail("%v", err)
				}
				if st := c.State(); st != harness.SynReceived {
					fail("after crossing SYNs the stack is in %v, want SYN-RECEIVED", st)
				}

				done := base
				done.Seq, done.Ack = peerISS+1, iss+1
				done.Flags = packet.ACK
				if completion == "syn-ack" {
					done.Seq, done.Flags = peerISS, packet.SYN|packet.ACK
					done.Options = ourSYN.Options
				}
				if err := raw.SendSegment(done); err != nil {
					t.Fatal(err)
				}
				// A bare ACK completes it silently; our SYN-ACK may be taken
				// as the ACK of its SYN (figure 7) or answered as an old
				// duplicate with <SEQ=ISS+1><ACK=peerISS+1><CTL=ACK>.
				if err := n.Advance(100 * time.Millisecond); err != nil {
					t.Fatal(err)
				}
				answered := false
				for raw.Pending() > 0 {
					got := raw.Recv()
					if err := harness.CheckRecord(got.Record, harness.Flags(packet.ACK), harness.AbsSeq(uint32(iss)+1),
						harness.AbsAck(uint32(peerISS)+1), harness.Len(0)); err != nil || completion == "bare-ack" {
						fail("after the %s the stack sent #%d (want nothing, or for a SYN-ACK a bare ACK seq=ISS+1 ack=peerISS+1): %v",
							completion, got.Record.Index, err)
					}
					answered = true
				}
				if completion == "syn-ack" && answered && c.State() == harness.SynReceived {
					// The stack took our SYN-ACK as an old duplicate (its
					// sequence number is below RCV.NXT: RFC 9293 3.10.7.4,
					// first check) and ACKed it; a peer doing the same ACKs
					// the stack's SYN-ACK, which completes the handshake.
					t.Logf("%s answered the crossing SYN-ACK with an ACK and waits for the peer's", kind)
					ack := base
					ack.Seq, ack.Ack, ack.Flags = peerISS+1, iss+1, packet.ACK
					if err := raw.SendSegment(ack); err != nil {
						t.Fatal(err)
					}
					if err := raw.ExpectNone(100 * time.Millisecond); err != nil {
						fail("%v", err)
					}
				} else if completion == "syn-ack" {
					t.Logf("%s took the crossing SYN-ACK as the ACK of its SYN (figure 7)", kind)
				}
				if st := c.State(); st != harness.Established {
					fail("after the %s the stack is in %v, want ESTABLISHED", completion, st)
				}

				data := base
				data.Seq, data.Ack, data.Flags = peerISS+1, iss+1, packet.ACK|packet.PSH
				data.Payload = []byte("hello")
				if err := raw.SendSegment(data); err != nil {
					t.Fatal(err)
				}
				if _, err := raw.Expect(time.Second, harness.FlagsInclude(packet.ACK), harness.FlagsExclude(packet.RST|packet.SYN),
					harness.AbsAck(uint32(peerISS)+6)); err != nil {
					fail("%v", err)
				}
				buf := make([]byte, 16)
				if k, err := c.Read(buf); err != nil || string(buf[:k]) != "hello" {
					fail("Read = %q, %v; want \"hello\"", buf[:k], err)
				}
				want := []harness.State{harness.Closed, harness.SynSent, harness.SynReceived, harness.Established}
				if got := n.States(harness.Client, c.ID()); !slices.Equal(got, want) {
					fail("states %v, want %v", got, want)
				}
			})
		}
	}
}
