package catalogue

import (
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// fastRetransmitLost is which data segment fast-retransmit loses: far
// enough in that the window holds many more behind it to draw duplicate
// ACKs.
const fastRetransmitLost = 30

// minRTOFloor is the smallest RTO either stack ever arms (both use 200 ms;
// RFC 6298 2.4 recommends 1 s). A retransmission sooner than this after
// the original cannot have been the retransmission timer's.
const minRTOFloor = 200 * time.Millisecond

// fast-retransmit: one data segment mid-stream is lost. Expected: the
// receiver sends a duplicate ACK for each later segment, and the sender
// retransmits the lost one when the third duplicate ACK arrives, long
// before its RTO (RFC 5681 3.2). The digest matches.
var fastRetransmit = Scenario{
	Name:    "fast-retransmit",
	Section: "data",
	Summary: "one segment lost mid-stream: resent on the third duplicate ACK, long before the RTO",
	RFCs:    []string{"RFC 5681 3.2", "RFC 5681 4.2"},
	Setup:   spacedArrivals,
	Run:     runFastRetransmit,
}

// fast-retransmit-nosack: fast-retransmit with SACK off at both ends.
// Expected: plain duplicate-ACK counting (RFC 5681 3.2) triggers the
// retransmission of the lost segment on the third duplicate ACK.
var fastRetransmitNoSACK = Scenario{
	Name:    "fast-retransmit-nosack",
	Section: "data",
	Summary: "fast-retransmit with SACK off: the third duplicate ACK triggers the retransmission",
	RFCs:    []string{"RFC 5681 3.2"},
	Setup: func(s *Setup) {
		spacedArrivals(s)
		s.TCP.NoSACK = true
	},
	Run: runFastRetransmit,
}

// spacedArrivals gives the client-to-server direction a bandwidth, so that
// data segments reach the server one at a time, each at its own instant,
// and the trace tells which data the server had when it sent each ACK.
func spacedArrivals(s *Setup) {
	s.Net.Link = [2]harness.LinkConfig{
		harness.ClientToServer: {Delay: time.Millisecond, Bandwidth: 100_000_000},
		harness.ServerToClient: {Delay: time.Millisecond},
	}
}

func runFastRetransmit(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.Net.AddRule(&harness.Rule{
		Name: "lose one", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()},
		Nth: fastRetransmitLost, Action: harness.Drop,
	})
	e.NewTransfer(c, s, 256<<10).Run()
	recs := e.Since(mark)

	var lost *harness.Record
	for _, r := range recs {
		if r.Fate == harness.Dropped {
			lost = r
			break
		}
	}
	if lost == nil {
		e.Fail(fmt.Sprintf("data segment %d to be dropped", fastRetransmitLost), "nothing was dropped:\n"+DescribeRecords(recs))
	}
	var rtx *harness.Record
	for _, r := range Retransmissions(recs, harness.ClientToServer) {
		if r.RelSeq == lost.RelSeq {
			rtx = r
			break
		}
	}
	if rtx == nil {
		e.Fatalf(fmt.Sprintf("the lost segment seq=%d to be retransmitted", lost.RelSeq), "it never was:\n%s", DescribeRecords(recs))
	}

	// RFC 5681 2: a duplicate ACK acknowledges the same data as the one
	// before, carries no data, SYN or FIN. Those for the lost segment are
	// the ACKs of its sequence number sent once data above the hole had
	// reached the receiver (arrivals are spaced out by the link's
	// bandwidth, so "once" is exact).
	var above *harness.Record
	for _, r := range DataRecords(recs, harness.ClientToServer) {
		if Rel(lost.RelSeq).LessThan(Rel(r.RelSeq)) && !r.Fate.Lost() {
			above = r
			break
		}
	}
	if above == nil {
		e.Fail("data above the lost segment to reach the server", "none did:\n"+DescribeRecords(recs))
	}
	// RFC 5681 2: a duplicate ACK carries no data, no SYN or FIN,
	// acknowledges what the highest ACK the sender had already received
	// did, and (without SACK) advertises the same window. The first ACK of lost.RelSeq can be the one that moved SND.UNA
	// there (the receiver's delayed ACK of the segment before the loss,
	// sent when the next one arrived out of order): that one is new, not a
	// duplicate. Walk the ACKs in the order they reached the sender.
	var before []*harness.Record
	sack := e.SACKPermitted()
	highest, window, heard := uint32(0), uint16(0), false
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		if !ev.Arrival || r.Dir != harness.ServerToClient || !IsIntact(r) || !r.Packet.TCP.Flags.Has(ACK) {
			continue
		}
		if !r.ReachedBefore(rtx) {
			break
		}
		// With SACK, RFC 6675 2 counts an ACK that SACKs new data whatever
		// its window; without, RFC 5681 2 wants the same window.
		sameWindow := sack || r.Packet.TCP.Window == window
		dup := heard && r.RelAck == highest && sameWindow && r.PayloadLen == 0 && r.Packet.TCP.Flags&(SYN|FIN|RST) == 0
		if dup && r.RelAck == lost.RelSeq && r.At >= above.Arrived {
			before = append(before, r)
		}
		if !heard || !Rel(r.RelAck).LessThan(Rel(highest)) {
			highest, window, heard = r.RelAck, r.Packet.TCP.Window, true
		}
	}
	// The retransmission is ACK-clocked: it goes at the instant a
	// duplicate ACK arrives, not on a timer. A sender on real time (Linux)
	// whose loss probe or reordering timer, a few real milliseconds, ran
	// out while the harness was busy elsewhere retransmitted on a timer the
	// harness made late, not by its rule: noted, not judged.
	if e.OnRealTime(harness.Client) && (len(before) == 0 || before[len(before)-1].Arrived != rtx.At) {
		e.Observe("%s retransmitted seq=%d at %v on a real-time timer, after %d duplicate ACKs: the harness was busy", e.PeerKind(harness.Client), lost.RelSeq, rtx.At, len(before))
		return nil
	}
	if len(before) == 0 || before[len(before)-1].Arrived != rtx.At {
		e.Fatalf(fmt.Sprintf("the retransmission of seq=%d to go when a duplicate ACK arrived", lost.RelSeq),
			"it went at %v, after %d duplicate ACKs, none arriving then\n%s", rtx.At, len(before), DescribeRecords(recs))
	}
	trigger := before[len(before)-1]
	switch {
	case len(before) == 3 || (len(before) > 3 && sack):
		// RFC 5681 3.2 step 4 (and RFC 6675 5 with SACK): on the third
		// duplicate ACK; without SACK, exactly then ("the arrival of 3
		// duplicate ACKs"), not on the fourth or fifth.
		e.Observe("retransmitted on duplicate ACK %d (RFC 5681 3.2)", len(before))
	case sack && SACKsAbove(trigger, lost.RelSeq):
		// RFC 8985 6.2 (RACK), an alternative to the duplicate-ACK count
		// that RFC 8985 3.4 allows with SACK: a segment is lost once data
		// sent after it has been selectively acknowledged and a reordering
		// window has passed, which can be before the third duplicate.
		e.Observe("retransmitted on duplicate ACK %d, which SACKed later data (RACK, RFC 8985 6.2)", len(before))
	default:
		e.Fatalf(fmt.Sprintf("the retransmission of seq=%d on the third duplicate ACK (RFC 5681 3.2), or with SACK on one that SACKs later data (RFC 8985 6.2)", lost.RelSeq),
			"it went at %v, when duplicate ACK #%d arrived, after %d\n%s", rtx.At, trigger.Index, len(before), DescribeRecords(recs))
	}
	if wait := rtx.At - lost.At; wait >= minRTOFloor {
		e.Fatalf(fmt.Sprintf("the fast retransmission to come long before an RTO (%v)", minRTOFloor), "it came %v after the original", wait)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
