package harness_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// TestGVisorTakesABurstInOrder: four segments of one connection that
// arrive at one instant are handed to gVisor as one burst (BurstTaker).
// gVisor sends nothing for the two in order (one ACK for a wake, not one a
// segment), and an immediate duplicate ACK for each out of order one; the
// trace puts each ACK after the arrival of the segment that drew it and
// before the next one's, as gVisor took them, not after the whole burst.
func TestGVisorTakesABurstInOrder(t *testing.T) {
	n, raw, _, irs := rawOpens(t, packet.Options{HasMSS: true, MSS: 1460, SACKPermitted: true}, packet.ACK)
	ack := packet.Segment{SrcPort: 40000, DstPort: 80, Seq: rawISS + 1, Ack: irs + 1, Flags: packet.ACK, Window: 65535}

	// Bytes [1,101) and [101,201) in order, then [301,401) and [401,501)
	// past a hole at [201,301): all sent at one instant.
	var segs []packet.Segment
	for _, at := range []uint32{1, 101, 301, 401} {
		seg := ack
		seg.Seq = rawISS + seqnum.Value(at)
		seg.Payload = make([]byte, 100)
		segs = append(segs, seg)
	}
	expectBurstEvents(t, n, raw, segs, func(r *harness.Record, arrival bool) string {
		switch {
		case r.Dir == harness.ClientToServer && arrival:
			return fmt.Sprintf("arrived %d", r.RelSeq)
		case r.Dir == harness.ServerToClient && !arrival:
			sack := ""
			if tcp := r.Packet.TCP; tcp.Options.NumSACKBlocks > 0 {
				b := tcp.Options.SACKBlocks[0]
				sack = fmt.Sprintf(" sack %d-%d", b.Left-rawISS, b.Right-rawISS)
			}
			return fmt.Sprintf("ack %d%s", r.RelAck, sack)
		}
		return ""
	}, "arrived 1", "arrived 101", "arrived 301", "ack 201 sack 301-401", "arrived 401", "ack 201 sack 301-501")
}

// TestGVisorTakesTheRestOfABurstThatClosedIt: an ACK that closes gVisor's
// connection (LAST-ACK to CLOSED) arrives with two more segments at one
// instant. gVisor's processor stops at the ACK and hands the other two to
// its closing drain, which answers each with a RST; the trace puts both
// arrivals before both RSTs.
func TestGVisorTakesTheRestOfABurstThatClosedIt(t *testing.T) {
	n, raw, l, irs := rawOpens(t, packet.Options{}, packet.ACK|packet.FIN)
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	for raw.Pending() > 0 {
		raw.Recv() // the ACK of our FIN
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Expect(time.Second, harness.Flags(packet.FIN|packet.ACK)); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}

	ack := packet.Segment{SrcPort: 40000, DstPort: 80, Seq: rawISS + 2, Ack: irs + 2, Flags: packet.ACK, Window: 65535}
	var segs []packet.Segment
	for i, payload := range []string{"", "late", "later"} {
		seg := ack
		seg.Seq += seqnum.Value(4 * i)
		seg.Payload = []byte(payload)
		segs = append(segs, seg)
	}
	expectBurstEvents(t, n, raw, segs, func(r *harness.Record, arrival bool) string {
		switch {
		case r.Dir == harness.ClientToServer && arrival:
			return fmt.Sprintf("arrived %d bytes", r.PayloadLen)
		case r.Dir == harness.ServerToClient && !arrival:
			return "sent " + r.Packet.TCP.Flags.String()
		}
		return ""
	}, "arrived 0 bytes", "arrived 4 bytes", "arrived 5 bytes", "sent R", "sent R")
}

// expectBurstEvents sends segs from the raw client at one instant, lets
// 10 ms pass, and expects the events since, in the order the Net says they
// happened, as describe reads them (it returns "" for one to leave out),
// to be want.
func expectBurstEvents(t *testing.T, n *harness.Net, raw *harness.Raw, segs []packet.Segment,
	describe func(r *harness.Record, arrival bool) string, want ...string) {
	t.Helper()
	mark := len(n.Trace().Records)
	for _, seg := range segs {
		if err := raw.SendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Advance(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range harness.Events(n.Trace().Records[mark:]) {
		if d := describe(ev.Rec, ev.Arrival); d != "" {
			got = append(got, d)
		}
	}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Fatalf("events:\n got %s\nwant %s\n%s", strings.Join(got, ", "), strings.Join(want, ", "), n.Trace())
	}
}

// rawISS is the raw client's initial sequence number in the burst tests.
const rawISS = seqnum.Value(1000)

// rawOpens opens a connection from a raw client (port 40000, ISN rawISS,
// offering opts) to a listening gVisor (port 80), ending the handshake
// with a segment of flags (ACK, or ACK and FIN to close at once), and
// lets 10 ms pass. It returns the Net, the raw end, the listener and
// gVisor's ISN.
func rawOpens(t *testing.T, opts packet.Options, flags packet.Flags) (*harness.Net, *harness.Raw, harness.Listener, seqnum.Value) {
	t.Helper()
	n := newTestNet(t, harness.Config{Seed: 7, Client: harness.RawPeer()})
	raw := harness.RawOf(n, harness.Client)
	l, err := n.Server().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.SendSegment(packet.Segment{SrcPort: 40000, DstPort: 80, Seq: rawISS, Flags: packet.SYN, Window: 65535, Options: opts}); err != nil {
		t.Fatal(err)
	}
	synAck, err := raw.Expect(time.Second, harness.Flags(packet.SYN|packet.ACK))
	if err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	irs := synAck.Packet.TCP.Seq
	if err := raw.SendSegment(packet.Segment{SrcPort: 40000, DstPort: 80, Seq: rawISS + 1, Ack: irs + 1, Flags: flags, Window: 65535}); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(10 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	return n, raw, l, irs
}
