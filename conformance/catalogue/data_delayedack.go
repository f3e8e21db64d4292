package catalogue

import (
	"fmt"
	"slices"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// maxACKDelay is RFC 9293 3.8.6.3's bound: "in no case should the delay
// for an ACK exceed 0.5 seconds" ... "the delay MUST be less than 0.5
// seconds (MUST-40)".
const maxACKDelay = 500 * time.Millisecond

// delayed-ack: the client sends a lone small segment, a stream of
// full-sized segments, then another lone segment. Expected: a lone small
// segment is acknowledged within 0.5 s (RFC 9293 3.8.6.3, MUST-40). In the
// stream of full-sized segments the server acknowledges at least every
// second one (SHLD-19), and every ACK carries RCV.NXT.
var delayedACK = Scenario{
	Name:       "delayed-ack",
	OnProfiles: true,
	Section:    "data",
	Summary:    "a lone small segment is ACKed within 0.5 s, full-sized ones at least every second one",
	RFCs:       []string{"RFC 9293 3.8.6.3", "RFC 1122 4.2.3.2"},
	Setup:      spacedArrivals,
	Run:        runDelayedACK,
}

func runDelayedACK(e *Env) error {
	c, s := e.Connect()
	e.Advance(DelayedACKWait)

	// A lone segment, with nothing for the server to send back. A receiver
	// may ACK the first segments of a connection at once (Linux's quick
	// ACKs); the lone segment after the stream below meets the timer.
	msg := []byte("a lone segment")
	expectLoneSegmentACKed(e, c, s, 1, msg)

	// A stream of full-sized segments.
	mark := e.Mark()
	e.NewTransfer(c, s, 256<<10).Run()
	e.Advance(DelayedACKWait)
	recs := e.Since(mark)
	full := 0
	for _, r := range DataRecords(recs, harness.ClientToServer) {
		full = max(full, r.PayloadLen)
	}
	replayReceiver(e, recs, uint32(1+len(msg)), func(ack *harness.Record, held RangeSet, _ *harness.Record) {
		if nxt := held.RunFrom(1); ack.RelAck != nxt {
			e.Fatalf(fmt.Sprintf("ACK #%d to carry RCV.NXT=%d", ack.Index, nxt), "ack=%d", ack.RelAck)
		}
	})
	// Walk the server's arrivals and sends in the order they happened,
	// counting the full-sized segments it was handed since it last sent an
	// ACK.
	var unacked []*harness.Record
	for _, ev := range harness.Events(recs) {
		r := ev.Rec
		switch {
		case !ev.Arrival && r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Flags.Has(ACK):
			unacked = unacked[:0]
		case ev.Arrival && r.Dir == harness.ClientToServer && IsIntact(r) && !r.Fate.Lost() && r.PayloadLen == full:
			unacked = append(unacked, r)
			if len(unacked) > 2 && e.Pairing.Server == GVisor && oneInstant(unacked) {
				// A burst: the segments came in together, and gVisor
				// ACKs once for all it takes in one wake.
				e.Deviates(GVisorACKsOncePerWake)
			} else if len(unacked) > 2 {
				e.Fatalf("an ACK for at least every second full-sized segment (RFC 9293 3.8.6.3, SHLD-19)",
					"segments #%d, #%d and #%d (%d bytes each) arrived with no ACK between them", unacked[0].Index, unacked[1].Index, unacked[2].Index, full)
			}
		}
	}
	// Another lone segment, now that the stream has warmed the receiver
	// past any quick ACKs: its delayed-ACK timer decides, and on a long
	// path (satellite) no RTT cap hides a timer set past 0.5 s.
	expectLoneSegmentACKed(e, c, s, uint32(1+len(msg)+256<<10), []byte("another lone segment"))
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// oneInstant reports whether every one of recs arrived at one virtual
// instant: a burst the receiver was handed at once.
func oneInstant(recs []*harness.Record) bool {
	return !slices.ContainsFunc(recs, func(r *harness.Record) bool { return r.Arrived != recs[0].Arrived })
}

// expectLoneSegmentACKed writes msg, a segment at relative sequence seq with
// nothing to answer, and expects exactly that segment and one pure ACK of it,
// sent less than maxACKDelay after the segment arrived. The client may
// have resent the segment meanwhile (a retransmission timer shorter than
// the server's delayed ACK: whether it had the right to fire on a wire
// that lost nothing is the cell judge's to say); the server answers each
// copy with one ACK more (RFC 9293 3.10.7.4, first check: a segment wholly
// below RCV.NXT is not acceptable and draws an ACK).
func expectLoneSegmentACKed(e *Env, c, s harness.Conn, seq uint32, msg []byte) {
	mark := e.Mark()
	e.WriteAll(c, msg)
	e.ExpectRead(s, msg)
	e.Advance(DelayedACKWait)
	lone := C2S(FlagsInclude(ACK), FlagsExclude(SYN|FIN|RST), Seq(seq), Len(len(msg)))
	ack := S2C(Flags(ACK), Ack(seq+uint32(len(msg))), Len(0))
	recs := e.Since(mark)
	// What came, read as the lone segment, its copies and ACKs: exactly
	// those, in any order after the first, and at least one ACK.
	want := []Seg{lone, ack}
	if copies := slices.ContainsFunc(recs[min(1, len(recs)):], func(r *harness.Record) bool {
		return r.Dir == harness.ClientToServer && harness.CheckRecord(r, lone...) == nil
	}); copies {
		want = []Seg{lone}
		for _, r := range recs[1:] {
			if r.Dir == harness.ClientToServer {
				want = append(want, lone)
			} else {
				want = append(want, ack)
			}
		}
		if len(want) == len(recs) && !slices.ContainsFunc(recs, func(r *harness.Record) bool { return r.Dir == harness.ServerToClient }) {
			want = append(want, ack)
		}
		e.Observe("the client resent the lone segment (seq=%d) before its ACK came: the judge rules on the resend", seq)
	}
	e.ExpectExactly(mark, want...)
	first := slices.IndexFunc(recs, func(r *harness.Record) bool { return r.Dir == harness.ServerToClient })
	if delay := recs[first].At - recs[0].Arrived; delay >= maxACKDelay {
		e.Fatalf(fmt.Sprintf("the ACK of a lone segment (seq=%d) within %v", seq, maxACKDelay), "it came %v after the segment", delay)
	} else {
		e.Observe("a lone segment (seq=%d) was ACKed %v after it arrived", seq, delay)
	}
}
