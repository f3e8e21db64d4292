package judge

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// TestNeedless: a resend of a lost segment is needed, a resend of one
// that arrived is needless (even if it arrived after the resend left), and
// the wire's own duplicate is not the sender's retransmission. A raw
// client sends the segments by hand over a real wire.
func TestNeedless(t *testing.T) {
	data := []harness.SegCheck{harness.HasData()}
	n, err := harness.NewNet(harness.Config{
		Client: harness.RawPeer(), Server: harness.RawPeer(),
		// Rules after a Drop do not see the dropped packet, so each counts
		// the data segments that reach it.
		Faults: []*harness.Rule{
			{Dirs: harness.OnlyClientToServer, Match: data, Nth: 2, Action: harness.Drop},
			{Dirs: harness.OnlyClientToServer, Match: data, Nth: 2, Action: harness.Duplicate},
			{Dirs: harness.OnlyClientToServer, Match: data, Nth: 5, Action: harness.Drop},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	client := harness.RawOf(n, harness.Client)
	// Sequence numbers count from the SYN (ISN 0), so data starts at 1.
	send := func(seg packet.Segment) {
		seg.SrcPort, seg.DstPort, seg.Window = 40000, 80, 65535
		if err := client.SendSegment(seg); err != nil {
			t.Fatal(err)
		}
		if err := n.Advance(time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	send(packet.Segment{Flags: packet.SYN})
	for _, seq := range []uint32{1, 1001, 2001, 1001, 2001, 1} {
		send(packet.Segment{Seq: seqnum.Value(seq), Flags: packet.ACK, Payload: make([]byte, 1000)})
	}
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	// 1001 was lost, 2001 copied by the wire; then 1001 again (needed),
	// 2001 again (needless), 1 again (needless, and lost this time).
	needless, resent, lost := Needless(n.Trace().Records, nil)
	if len(needless) != 2 || resent != 3 || lost != 2 {
		t.Errorf("Needless = %d needless, %d resent, %d lost; want 2, 3, 2\n%s", len(needless), resent, lost, n.Trace())
	}
	if needless[0].RelSeq != 2001 || needless[1].RelSeq != 1 {
		t.Errorf("needless resends seq %d and %d, want 2001 and 1", needless[0].RelSeq, needless[1].RelSeq)
	}
	// A sender the caller does not judge has no needless resends, and the
	// totals stay.
	needless, resent, lost = Needless(n.Trace().Records, func(s harness.Side) bool { return s != harness.Client })
	if len(needless) != 0 || resent != 3 || lost != 2 {
		t.Errorf("Needless without the client = %d needless, %d resent, %d lost; want 0, 3, 2", len(needless), resent, lost)
	}
}

func TestReceiverWindowClosed(t *testing.T) {
	if !ReceiverWindowClosed(run(t, 4<<20, time.Minute)) {
		t.Error("a receiver that stopped reading for a minute never closed its window")
	}
	if ReceiverWindowClosed(run(t, 64<<10, 0)) {
		t.Error("a receiver reading 64 KiB as it came closed its window")
	}
}
