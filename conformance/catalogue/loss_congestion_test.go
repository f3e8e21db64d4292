package catalogue

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness/tracetest"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// lossResponseTrace is a sender with 1000-byte segments that loses seq
// 2001, retransmits it on the third duplicate ACK with 6000 bytes
// outstanding, and after recovery keeps 3000 in flight, then 2000.
func lossResponseTrace() []*harness.Record {
	ms := time.Millisecond
	recs := []*harness.Record{tracetest.ACK(0, tracetest.S2C, 0, time.Nanosecond, 1)}
	for i := range 7 {
		r := tracetest.Data(len(recs), tracetest.C2S, ms, 11*ms, uint32(1+1000*i), 1000)
		if r.RelSeq == 2001 {
			r.Fate, r.Arrived = harness.Dropped, 0
		}
		recs = append(recs, r)
	}
	for _, ack := range []uint32{1001, 2001, 2001, 2001, 2001} {
		recs = append(recs, tracetest.ACK(len(recs), tracetest.S2C, 11*ms, 21*ms, ack))
	}
	recs = append(recs,
		tracetest.Data(len(recs), tracetest.C2S, 21*ms, 31*ms, 2001, 1000), // the retransmission: 7001-2001 outstanding
		tracetest.ACK(len(recs)+1, tracetest.S2C, 31*ms, 41*ms, 7001),      // recovery ends at 41 ms, 20 ms after
	)
	for _, seq := range []uint32{7001, 8001, 9001} { // released by that ACK
		recs = append(recs, tracetest.Data(len(recs), tracetest.C2S, 41*ms, 51*ms, seq, 1000))
	}
	recs = append(recs, tracetest.ACK(len(recs), tracetest.S2C, 51*ms, 61*ms, 10001))
	for _, seq := range []uint32{10001, 11001} {
		recs = append(recs, tracetest.Data(len(recs), tracetest.C2S, 61*ms, 71*ms, seq, 1000))
	}
	recs = append(recs, tracetest.Data(len(recs), tracetest.C2S, 200*ms, 210*ms, 12001, 1000))
	harness.OrderByTime(recs)
	return recs
}

func TestFlightAtEachSend(t *testing.T) {
	recs := lossResponseTrace()
	got := map[int]int{}
	for _, f := range FlightAtEachSend(recs, tracetest.C2S) {
		got[f.Rec.Index] = f.Bytes
	}
	// #1..#7 go out before any ACK arrives; the dropped #3 counts as sent.
	want := map[int]int{1: 1000, 3: 3000, 7: 7000, 13: 5000, 15: 1000, 17: 3000, 19: 1000, 20: 2000, 21: 3000}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("flight at #%d = %d, want %d (all: %v)", i, got[i], w, got)
		}
	}
}

func TestMeasureLossResponse(t *testing.T) {
	recs := lossResponseTrace()
	m, ok := measureLossResponse(recs, recs[3])
	if !ok {
		t.Fatalf("measureLossResponse: %s", m.missing)
	}
	if m.rtx.Index != 13 || m.before.Bytes != 5000 || m.recoveryEnd.Index != 14 {
		t.Errorf("rtx #%d, flight %d, recovery end #%d; want #13, 5000, #14", m.rtx.Index, m.before.Bytes, m.recoveryEnd.Index)
	}
	if m.rtt != 20*time.Millisecond || m.from != 41*time.Millisecond {
		t.Errorf("rtt %v from %v, want 20ms from 41ms", m.rtt, m.from)
	}
	if m.after != 3000 || m.at.Index != 17 || m.factor() != 0.6 {
		t.Errorf("after %d at #%d factor %.2f, want 3000 at #17, 0.60", m.after, m.at.Index, m.factor())
	}
	if len(m.window) != 5 || m.later.Bytes != 3000 {
		t.Errorf("window of %d sends, largest %d; want 5, 3000", len(m.window), m.later.Bytes)
	}

	// A transfer that stops inside the watched RTTs proves nothing.
	if _, ok := measureLossResponse(recs[:len(recs)-1], recs[3]); ok {
		t.Errorf("measureLossResponse accepted a trace that stops sending 20 ms after recovery")
	}
}
