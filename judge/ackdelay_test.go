package judge

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/harness/tracetest"
)

const ms = time.Millisecond

// established marks recs as taken by two ESTABLISHED ends.
func established(recs ...*harness.Record) []*harness.Record {
	for _, r := range recs {
		r.States = [2]harness.State{harness.Established, harness.Established}
	}
	harness.OrderByTime(recs)
	return recs
}

func everyone(harness.Side) bool { return true }

func TestLateACKs(t *testing.T) {
	for _, tc := range []struct {
		name string
		recs []*harness.Record
		end  time.Duration
		late []int // the late segments' indexes
	}{
		{"answered at once", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			tracetest.ACK(1, tracetest.S2C, 1*ms, 2*ms, 101),
		), time.Second, nil},
		{"answered in 499 ms", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			tracetest.ACK(1, tracetest.S2C, 500*ms, 501*ms, 101),
		), time.Second, nil},
		{"answered in 500 ms", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			tracetest.ACK(1, tracetest.S2C, 501*ms, 502*ms, 101),
		), time.Second, []int{0}},
		{"never answered", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
		), time.Second, []int{0}},
		{"the run ended first", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
		), 400 * ms, nil},
		// An ACK sent before the segment arrived does not answer it; the
		// same ACK, lost on the way back, still does.
		{"an ACK that crossed it", established(
			tracetest.ACK(0, tracetest.S2C, 0, 1*ms, 1),
			tracetest.Data(1, tracetest.C2S, 0, 1*ms, 1, 100),
		), time.Second, []int{1}},
		{"an ACK the wire lost", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			lost(tracetest.ACK(1, tracetest.S2C, 2*ms, 0, 101)),
		), time.Second, nil},
		// Data from the other end answers too: it carries an ACK.
		{"piggybacked", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			tracetest.Data(1, tracetest.S2C, 200*ms, 201*ms, 1, 10),
		), 2 * time.Second, []int{1}},
		// A corrupted answer counts, whatever its mangled header says.
		{"an ACK the wire corrupted", established(
			tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100),
			corrupted(tracetest.ACK(1, tracetest.S2C, 2*ms, 3*ms, 101)),
		), time.Second, nil},
		{"a FIN held", established(
			fin(tracetest.ACK(0, tracetest.C2S, 0, 1*ms, 1)),
		), time.Second, []int{0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			for _, l := range LateACKs(tc.recs, tc.end, everyone) {
				got = append(got, l.Rec.Index)
			}
			if len(got) != len(tc.late) || (len(got) > 0 && got[0] != tc.late[0]) {
				t.Errorf("late %v, want %v", got, tc.late)
			}
		})
	}
}

// A receiver the caller does not judge, one not yet synchronized, and a
// test's forgery are not judged.
func TestLateACKsLeavesOut(t *testing.T) {
	recs := established(tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100))
	if late := LateACKs(recs, time.Second, func(s harness.Side) bool { return s != harness.Server }); len(late) != 0 {
		t.Errorf("an unjudged receiver: %d late", len(late))
	}
	recs[0].States[harness.Server] = harness.SynReceived
	if late := LateACKs(recs, time.Second, everyone); len(late) != 0 {
		t.Errorf("a receiver in SYN-RECEIVED: %d late", len(late))
	}
	recs = established(tracetest.Data(0, tracetest.C2S, 0, 1*ms, 1, 100))
	recs[0].Injected = true
	if late := LateACKs(recs, time.Second, everyone); len(late) != 0 {
		t.Errorf("an injected segment: %d late", len(late))
	}
}

func lost(r *harness.Record) *harness.Record {
	r.Fate = harness.Dropped
	return r
}

func fin(r *harness.Record) *harness.Record {
	r.Packet.TCP.Flags |= packet.FIN
	return r
}

// corrupted marks r as corrupted on the wire, its ports mangled.
func corrupted(r *harness.Record) *harness.Record {
	r.Fate = harness.Corrupted
	r.ParseErr = packet.ErrTCPChecksum
	r.Packet.TCP.SrcPort ^= 0x0200
	return r
}
