package conformance

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness/tracetest"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

func TestRetransmissions(t *testing.T) {
	ms := time.Millisecond
	recs := []*harness.Record{
		tracetest.Data(0, tracetest.C2S, 0, ms, 1, 100),
		tracetest.Data(1, tracetest.C2S, 0, ms, 101, 100),
		tracetest.ACK(2, tracetest.S2C, ms, 2*ms, 101),
		tracetest.Data(3, tracetest.C2S, 3*ms, 4*ms, 101, 100), // sent again
		tracetest.Data(4, tracetest.C2S, 3*ms, 4*ms, 201, 100), // new
	}
	dup := tracetest.Data(5, tracetest.C2S, 3*ms, 4*ms, 201, 100) // the wire's copy, not the sender's
	dup.Fate = harness.Duplicated
	recs = append(recs, dup)
	got := Retransmissions(recs, tracetest.C2S)
	if len(got) != 1 || got[0].Index != 3 {
		t.Fatalf("retransmissions = %v, want only #3", DescribeRecords(got))
	}
}

func TestMaxInFlight(t *testing.T) {
	ms := time.Millisecond
	recs := []*harness.Record{
		tracetest.Data(0, tracetest.C2S, 0, ms, 1, 1000),
		tracetest.ACK(1, tracetest.S2C, 0, 0, 1), // the handshake's ACK, already there
		tracetest.Data(2, tracetest.C2S, 0, ms, 1001, 1000),
		tracetest.ACK(3, tracetest.S2C, ms, 2*ms, 2001), // arrives at 2 ms
		tracetest.Data(4, tracetest.C2S, ms, 2*ms, 2001, 1000),
		tracetest.Data(5, tracetest.C2S, 2*ms, 3*ms, 3001, 1000), // after the ACK arrived
	}
	// The first ACK "arrived" at 0, which records as not arrived: treat the
	// stream as unacknowledged until the first real arrival.
	recs[1].Arrived = time.Nanosecond
	recs[0].At, recs[2].At = time.Nanosecond, time.Nanosecond
	harness.OrderByTime(recs)
	most, at := MaxInFlight(recs, tracetest.C2S)
	// At #4 (1 ms) the ACK of 2001 is still on its way: 1..3000 in flight.
	if most != 3000 || at.Index != 4 {
		t.Fatalf("maxInFlight = %d at #%d, want 3000 at #4", most, at.Index)
	}
}

func TestSACKBlocksAreRelative(t *testing.T) {
	r := tracetest.ACK(0, tracetest.S2C, 0, 0, 1001)
	isn := seqnum.Value(0xfffffff0) // the numbers wrap
	r.Packet.TCP.Ack = isn.Add(1001)
	o := &r.Packet.TCP.Options
	o.NumSACKBlocks = 2
	o.SACKBlocks[0] = packet.SACKBlock{Left: isn.Add(2001), Right: isn.Add(3001)}
	o.SACKBlocks[1] = packet.SACKBlock{Left: isn.Add(4001), Right: isn.Add(5001)}
	got := SACKBlocks(r)
	want := []SeqRange{{Left: 2001, Right: 3001}, {Left: 4001, Right: 5001}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("sackBlocks = %v, want %v", got, want)
	}
	if !SACKsAbove(r, 1001) || SACKsAbove(r, 4001) {
		t.Fatal("sacksAbove misjudges")
	}
}

// The transfer's own checks must be able to fail: a stream that never
// arrives, and a stream that arrives changed.
func TestTransferFails(t *testing.T) {
	silent := Scenario{Name: "test-silent-transfer", Section: "data",
		Setup: func(s *Setup) { s.Patience = 5 * time.Second },
		Run: func(e *Env) error {
			c, s := e.Connect()
			e.Net.AddRule(&harness.Rule{Action: harness.Drop})
			e.NewTransfer(c, s, 64<<10).Run()
			return nil
		}}
	res := Execute(silent, RunOptions{Pairing: Pairing{Client: GVisor, Server: GVisor}, Seed: 1})
	var f *Failure
	if !errors.As(res.Err, &f) || !strings.Contains(f.Expected, "to read the 65536 bytes") {
		t.Fatalf("a transfer over a silent path: got %v, want a failure to read", res.Err)
	}

	changed := Scenario{Name: "test-changed-transfer", Section: "data",
		Run: func(e *Env) error {
			c, s := e.Connect()
			tr := e.NewTransfer(c, s, 64<<10)
			tr.Paused = true
			tr.Pump()
			tr.unread()[1000] ^= 0x01 // as if byte 1000 arrived changed
			tr.Paused = false
			e.WaitFor("transfer", tr.Pump)
			tr.Check()
			return nil
		}}
	res = Execute(changed, RunOptions{Pairing: Pairing{Client: GVisor, Server: GVisor}, Seed: 1})
	if !errors.As(res.Err, &f) || !strings.Contains(f.Expected, "as written") || !strings.Contains(f.Got, "byte 1000 of the stream read") {
		t.Fatalf("a changed stream: got %v, want a failure naming byte 1000", res.Err)
	}
}
