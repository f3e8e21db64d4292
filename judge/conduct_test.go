package judge

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// run moves size bytes client to server over a fresh gVisor pair (the real
// peer, as every judge rule is meant for real traces) with rules on the
// wire, reading on the server as it goes unless stall, and returns the
// trace.
func run(t *testing.T, size int, stall time.Duration, rules ...*harness.Rule) []*harness.Record {
	t.Helper()
	n, err := harness.NewNet(harness.Config{
		Seed:   1,
		Client: gvisor.NewPeer(gvisor.Options{}), Server: gvisor.NewPeer(gvisor.Options{}),
		Faults: rules,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	c, s, _, err := n.Connect(80, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, size)
	buf := make([]byte, 64<<10)
	off, read := 0, 0
	start := n.Now()
	if err := n.RunUntil("the transfer", 10*time.Minute, func() bool {
		if k, err := c.Write(data[off:]); err == nil || errors.Is(err, harness.ErrWouldBlock) {
			off += k
		}
		if n.Now() < start+stall {
			return false
		}
		for {
			k, err := s.Read(buf)
			read += k
			if err != nil || k == 0 {
				break
			}
		}
		return read == size
	}); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	return n.Trace().Records
}

func TestResendsNoneOnACleanWire(t *testing.T) {
	recs := run(t, 1<<20, 0)
	if !CleanWire(recs) {
		t.Fatal("a wire with no fault rules is not clean")
	}
	if got, _ := Resends(recs); len(got) != 0 {
		t.Fatalf("%d resends on a clean wire, the first #%d", len(got), got[0].Rec.Index)
	}
}

func TestResendsFindsTheRetransmissionOfALostSegment(t *testing.T) {
	recs := run(t, 256<<10, 0, &harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 20, Action: harness.Drop})
	if CleanWire(recs) {
		t.Fatal("a wire that dropped a segment counts as clean")
	}
	var lost *harness.Record
	for _, r := range recs {
		if r.Fate == harness.Dropped {
			lost = r
		}
	}
	got, lostCount := Resends(recs)
	if len(got) == 0 || got[0].Rec.RelSeq != lost.RelSeq || got[0].Delivered || lostCount != 1 {
		t.Fatalf("resends %+v (%d lost), want the retransmission of #%d (seq %d) first, not delivered before, one lost", got, lostCount, lost.Index, lost.RelSeq)
	}
}

func TestResendsTimesTheResendFromItsLastCopy(t *testing.T) {
	// A dropped segment is resent unacknowledged; Since runs from the
	// lost copy, the one copy before.
	recs := run(t, 256<<10, 0, &harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 20, Action: harness.Drop})
	var lost *harness.Record
	for _, r := range recs {
		if r.Fate == harness.Dropped {
			lost = r
		}
	}
	got, _ := Resends(recs)
	if len(got) == 0 {
		t.Fatal("no resend of the dropped segment")
	}
	first := got[0]
	if first.Previous != lost || first.Since() != first.Rec.At-lost.At || first.Acked {
		t.Fatalf("resend #%d: previous copy #%d, %v before, acked %v; want the lost copy #%d, %v before, not acked",
			first.Rec.Index, first.Previous.Index, first.Since(), first.Acked, lost.Index, first.Rec.At-lost.At)
	}
}

func TestResendsLeavesZeroWindowProbesOut(t *testing.T) {
	// The server reads nothing for a minute: its window closes and the
	// client probes it on the persist timer, resending no data.
	recs := run(t, 4<<20, time.Minute)
	probes := 0
	for _, r := range recs {
		if r.Dir == harness.ClientToServer && r.PayloadLen > 0 && r.At > 10*time.Second {
			probes++
		}
	}
	if probes == 0 {
		t.Fatal("the client sent no zero-window probes: the test proves nothing")
	}
	if got, _ := Resends(recs); len(got) != 0 {
		t.Fatalf("%d zero-window probes counted as resends, the first #%d", len(got), got[0].Rec.Index)
	}
}
