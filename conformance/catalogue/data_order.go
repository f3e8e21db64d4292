package catalogue

import (
	"errors"
	"fmt"
	"slices"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// out-of-order: 15% of the client's data segments swap with the next one,
// and 15% arrive several segments late. Expected: the server queues what
// arrives above a hole and delivers in order (digest), and every ACK
// carries RCV.NXT. With SACK on, each ACK sent while a hole exists carries
// SACK blocks, each exactly a run of data held above it, the first holding
// the segment that just arrived (RFC 2018 4).
var outOfOrder = Scenario{
	Name:    "out-of-order",
	Section: "data",
	Summary: "data segments reordered: delivered in order; with SACK, ACKs carry exact SACK blocks",
	RFCs:    []string{"RFC 2018 4", "RFC 9293 3.10.7.4"},
	Setup:   spacedArrivals,
	Run:     runOutOfOrder,
}

// out-of-order-nosack: out-of-order with SACK off at both ends. Expected:
// the server still queues and delivers in order, every ACK carries RCV.NXT,
// and no ACK carries a SACK block.
var outOfOrderNoSACK = Scenario{
	Name:    "out-of-order-nosack",
	Section: "data",
	Summary: "out-of-order with SACK off: still delivered in order, no ACK carries a SACK block",
	RFCs:    []string{"RFC 9293 3.10.7.4", "RFC 2018 4"},
	Setup: func(s *Setup) {
		spacedArrivals(s)
		s.TCP.NoSACK = true
	},
	Run: runOutOfOrder,
}

// duplicates: the wire delivers every packet twice, both ways. Expected: no
// byte is delivered twice (digest, and nothing more to read), and every
// duplicate data segment, being old data, is answered at once with an ACK
// of RCV.NXT (RFC 9293 3.10.7.4).
var duplicatesScenario = Scenario{
	Name:    "duplicates",
	Section: "data",
	Summary: "every packet arrives twice: no byte is read twice, each duplicate is ACKed at once",
	RFCs:    []string{"RFC 9293 3.10.7.4"},
	Setup:   spacedArrivals,
	Run:     runDuplicates,
}

// outOfOrderSize is big enough for many holes, small enough to stay quick.
const outOfOrderSize = 512 << 10

func runOutOfOrder(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	// Some segments swap with the next one; others arrive several
	// segments late (a segment takes about 120 us on the 100 Mbit/s line),
	// so that several holes are open at once.
	e.Net.AddRule(&harness.Rule{
		Name: reorderRule, Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()},
		Probability: 0.15, Action: harness.Reorder,
	})
	e.Net.AddRule(&harness.Rule{
		Name: "late", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()},
		Probability: 0.15, Action: harness.Delay, Delay: 700 * time.Microsecond,
	})
	e.NewTransfer(c, s, outOfOrderSize).Run()
	e.Advance(DelayedACKWait)
	recs := e.Since(mark)

	sack := e.SACKPermitted()
	holes, maxRuns := 0, 0
	replayReceiver(e, recs, 1, func(ack *harness.Record, held RangeSet, latest *harness.Record) {
		blocks := SACKBlocks(ack)
		nxt := held.RunFrom(1)
		if ack.RelAck != nxt {
			e.Fatalf(fmt.Sprintf("ACK #%d to carry RCV.NXT=%d (the server holds %s)", ack.Index, nxt, held), "ack=%d", ack.RelAck)
		}
		runs := held.Above(nxt)
		if len(runs) == 0 {
			return
		}
		holes++
		maxRuns = max(maxRuns, len(runs))
		if !sack {
			if len(blocks) > 0 {
				e.Fatalf(fmt.Sprintf("no SACK blocks without SACK-permitted in both SYNs (RFC 2018 2), ACK #%d", ack.Index), "blocks %v", blocks)
			}
			return
		}
		// RFC 2018 4: "If sent at all, SACK options SHOULD be included in
		// all ACKs which do not ACK the highest sequence number in the data
		// receiver's queue."
		// RFC 2883 (D-SACK): the first block may report a duplicate
		// segment the receiver got, below RCV.NXT; any stack may send it
		// (Linux does), and the blocks after it are the usual ones.
		dsack := len(blocks) > 0 && blocks[0].Right <= nxt
		if dsack {
			e.Observe("D-SACK blocks (RFC 2883) below RCV.NXT, reporting duplicate segments")
			blocks = blocks[1:]
		}
		if len(blocks) == 0 {
			e.Fatalf(fmt.Sprintf("ACK #%d, sent while the server held %s above a hole at %d, to carry SACK blocks", ack.Index, runs, nxt), "none")
		}
		for _, b := range blocks {
			if !held.IsRun(b) || b.Left <= nxt {
				e.Fatalf(fmt.Sprintf("every SACK block of ACK #%d to be exactly a run the server held above RCV.NXT=%d: %s", ack.Index, nxt, runs),
					"block %s", b)
			}
		}
		// "The first SACK block ... MUST specify the contiguous block of
		// data containing the segment which triggered this ACK."
		if latest != nil && latest.RelSeq > nxt && ack.At == latest.Arrived {
			first := blocks[0]
			if latest.RelSeq < first.Left || latest.RelSeq >= first.Right {
				e.Fatalf(fmt.Sprintf("the first SACK block of ACK #%d to hold the segment that triggered it, seq=%d", ack.Index, latest.RelSeq),
					"blocks %v", blocks)
			}
		}
		// "The data receiver SHOULD include as many distinct SACK blocks as
		// possible in the SACK option" (3 fit beside timestamps, 4 without).
		room := 4
		if ack.Packet.TCP.Options.HasTimestamps {
			room = 3
		}
		if dsack {
			room-- // the D-SACK block took a place
		}
		if want := min(len(runs), room); len(blocks) < want {
			e.Fatalf(fmt.Sprintf("ACK #%d to report %d SACK blocks of the runs held above the hole, %s", ack.Index, want, runs), "blocks %v", blocks)
		}
	})
	e.Observe("%d ACKs went while holes were open, up to %d runs held above RCV.NXT", holes, maxRuns)
	if holes == 0 || maxRuns < 2 {
		e.Fatalf("the wire's reordering to open several holes at once at the server", "%d ACKs went while a hole existed; at most %d runs were held above RCV.NXT", holes, maxRuns)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// replayReceiver rebuilds, for each ACK the server sent (in order), the
// client data the server held when it sent it: every intact data segment
// handed to it before the ACK left (Record.ReachedBefore: exact, even for
// events at one virtual instant). latest is the most recent arrival.
// rcvNxt is RCV.NXT when recs begin: everything below it counts as held.
//
// A Linux server runs on real time: under load the kernel may make an ACK
// before it has taken the segments the harness handed it since, and the
// harness reads that ACK only after. Its ACK is then judged against the
// holdings it was made from: the latest view, since its previous ACK, that
// it agrees with (RCV.NXT), or the latest view if none does.
func replayReceiver(e *Env, recs []*harness.Record, rcvNxt uint32, check func(ack *harness.Record, held RangeSet, latest *harness.Record)) {
	var arrivals []*harness.Record
	for _, r := range DataRecords(recs, harness.ClientToServer) {
		if r.Fate == harness.Delivered || r.Fate == harness.Duplicated {
			arrivals = append(arrivals, r)
		}
	}
	slices.SortFunc(arrivals, harness.CompareArrivals)
	type view struct {
		held   RangeSet
		latest *harness.Record
	}
	realTime := e.PeerKind(harness.Server) == Linux
	cur := view{}
	cur.held.Add(SeqRange{Left: 1, Right: rcvNxt})
	views := []view{cur} // since the last ACK, for a real-time server
	next := 0
	for _, ack := range recs {
		if ack.Dir != harness.ServerToClient || !IsIntact(ack) || !ack.Packet.TCP.Flags.Has(ACK) || ack.Packet.TCP.Flags.Has(RST) {
			continue
		}
		for next < len(arrivals) && arrivals[next].ReachedBefore(ack) {
			a := arrivals[next]
			cur.held = slices.Clone(cur.held)
			cur.held.Add(SeqRange{Left: a.RelSeq, Right: a.RelSeq + uint32(a.PayloadLen)})
			cur.latest = a
			if realTime {
				views = append(views, cur)
			}
			next++
		}
		judged := cur
		if realTime {
			for i := len(views) - 1; i >= 0; i-- {
				if views[i].held.RunFrom(1) == ack.RelAck {
					judged = views[i]
					views = views[i:]
					break
				}
			}
		}
		check(ack, judged.held, judged.latest)
	}
}

func runDuplicates(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.Net.AddRule(&harness.Rule{Name: "duplicate all", Action: harness.Duplicate})
	t := e.NewTransfer(c, s, 1<<20)
	t.Run()
	e.Advance(DelayedACKWait)
	// Nothing beyond the stream is waiting to be read.
	if n, err := s.Read(make([]byte, 1)); n != 0 || !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("nothing more for the server to read", "Read returned %d bytes, %v", n, err)
	}
	recs := e.Since(mark)

	// Every copy of a data segment the server already had is old data:
	// "If an incoming segment is not acceptable, an acknowledgment should
	// be sent in reply" (RFC 9293 3.10.7.4), at once, carrying RCV.NXT.
	answered, copies, dsacked := 0, 0, 0
	replayReceiver(e, recs, 1, func(ack *harness.Record, held RangeSet, latest *harness.Record) {
		if nxt := held.RunFrom(1); ack.RelAck != nxt {
			e.Fatalf(fmt.Sprintf("ACK #%d to carry RCV.NXT=%d", ack.Index, nxt), "ack=%d", ack.RelAck)
		}
	})
	for _, r := range DataRecords(recs, harness.ClientToServer) {
		if r.Fate != harness.Duplicated {
			continue
		}
		copies++
		var reply *harness.Record
		for _, a := range recs {
			if a.Dir == harness.ServerToClient && IsIntact(a) && a.At == r.Arrived && a.Fate != harness.Duplicated &&
				a.PayloadLen == 0 && !Rel(a.RelAck).LessThan(Rel(r.RelSeq+uint32(r.PayloadLen))) {
				reply = a
				break
			}
		}
		if reply == nil {
			e.Fatalf(fmt.Sprintf("an ACK at once (at %v) for the duplicate #%d seq=%d len=%d", r.Arrived, r.Index, r.RelSeq, r.PayloadLen), "none went then")
		}
		answered++
		dup := SeqRange{Left: r.RelSeq, Right: r.RelSeq + uint32(r.PayloadLen)}
		blocks := SACKBlocks(reply)
		switch {
		case len(blocks) > 0 && blocks[0] == dup:
			dsacked++
		case len(blocks) > 0 && Rel(blocks[0].Left).LessThan(Rel(reply.RelAck)):
			// RFC 2883 4: a first block below the cumulative ACK reports a
			// duplicate, and reports exactly its octets.
			e.Fatalf(fmt.Sprintf("the D-SACK block of ACK #%d to be the duplicate's octets %v (RFC 2883 4)", reply.Index, dup),
				"it was %v", blocks[0])
		}
	}
	// RFC 2883 (D-SACK) is optional: report which the receiver does.
	if dsacked > 0 {
		e.Observe("the server reported %d of %d duplicates in a D-SACK block (RFC 2883)", dsacked, copies)
	} else if e.SACKPermitted() {
		e.Observe("the server reported no duplicate with D-SACK (RFC 2883 is optional)")
	}
	if copies == 0 {
		e.Fail("the wire to duplicate data segments", "it duplicated none")
	}
	e.ExpectCumulativeAcks(mark, harness.ServerToClient, nil)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
