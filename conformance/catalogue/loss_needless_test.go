package catalogue

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/conformance/internal/tracetest"

	"github.com/tcpbed/tcpbed/harness"
)

// TestCountNeedless: a resend of a lost segment is needed, a resend of one
// that arrived is needless (even if it arrived after the resend left), and
// the wire's own duplicate is not the sender's retransmission.
func TestCountNeedless(t *testing.T) {
	ms := time.Millisecond
	var recs []*harness.Record
	data := func(seq uint32, fate harness.Fate) {
		r := tracetest.Data(len(recs), tracetest.C2S, ms, 11*ms, seq, 1000)
		r.Fate = fate
		recs = append(recs, r)
	}
	data(1, harness.Delivered)
	data(1001, harness.Dropped)
	data(2001, harness.Delivered)
	data(2001, harness.Duplicated) // the wire's copy
	data(1001, harness.Delivered)  // needed: the first copy was lost
	data(2001, harness.Delivered)  // needless
	data(1, harness.Dropped)       // needless, and lost again
	recs = append(recs, tracetest.ACK(len(recs), tracetest.S2C, 11*ms, 21*ms, 3001))

	needless, retransmitted, lost := countNeedless(recs, tracetest.C2S)
	if needless != 2 || retransmitted != 3 || lost != 2 {
		t.Errorf("countNeedless = %d needless, %d retransmitted, %d lost; want 2, 3, 2", needless, retransmitted, lost)
	}
}
