package catalogue

import (
	"fmt"
	"slices"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// bulk-transfer-lossy: 16 MiB go client to server over a wire that loses
// 5%, reorders 5%, duplicates 2% and corrupts 1% of packets both ways
// (seeded). Expected: the digest still matches, lost data is retransmitted,
// and every corrupted packet is dropped by its receiver's checksum, never
// delivered.
var bulkTransferLossy = Scenario{
	Name:         "bulk-transfer-lossy",
	RealTime:     TooSlowForRealTime,
	RealTimeNote: "every loss Linux repairs by RTO costs its real duration: about 8 s of real time",
	Section:      "data",
	Summary:      "16 MiB over a wire that loses, reorders, duplicates and corrupts: the digest matches",
	RFCs:         []string{"RFC 9293 3.1", "RFC 9293 3.8.1"},
	Setup: func(s *Setup) {
		// Each RTO backs off; give the transfer room on virtual time.
		s.Patience = time.Hour
	},
	Run: func(e *Env) error {
		return runLossyTransfer(e, bulkSize, faultMix{loss: 0.05, reorder: 0.05, duplicate: 0.02, corrupt: 0.01})
	},
}

// faultMix is the probability of each fault, per packet, each way, and the
// link's bandwidth (bits per second, 0 for unlimited).
type faultMix struct {
	loss, reorder, duplicate, corrupt float64
	bandwidth                         int64
}

// reorderRule names the rule that holds packets back, so that checks of
// send order can leave out the packets it launched late.
const reorderRule = "reorder"

// rules turns the mix into fault rules, drawn from the Net's seeded stream.
// Nothing acts after a drop, so the drop rule comes first.
func (m faultMix) rules() []*harness.Rule {
	var rs []*harness.Rule
	add := func(name string, p float64, a harness.Action) {
		if p > 0 {
			rs = append(rs, &harness.Rule{Name: name, Probability: p, Action: a})
		}
	}
	add(fmt.Sprintf("loss %g%%", m.loss*100), m.loss, harness.Drop)
	add(reorderRule, m.reorder, harness.Reorder)
	add(fmt.Sprintf("duplicate %g%%", m.duplicate*100), m.duplicate, harness.Duplicate)
	add(fmt.Sprintf("corrupt %g%%", m.corrupt*100), m.corrupt, harness.Corrupt)
	return rs
}

// runLossyTransfer connects over a clean wire, turns the faults on, and
// moves size bytes from the client to the server.
func runLossyTransfer(e *Env, size int, mix faultMix) error {
	c, s := e.Connect()
	mark := e.Mark()
	dropped0 := [2]uint64{}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		dropped0[side], _ = e.MalformedDropped(side)
	}
	for _, r := range mix.rules() {
		e.Net.AddRule(r)
	}
	start := e.Now()
	t := e.NewTransfer(c, s, size)
	t.Run()
	took := t.CompletedAt - start
	if mix.corrupt > 0 {
		// Let whatever is still on the wire arrive before counting. (Only
		// here: loss-recovery's run ends when its transfer does, so that
		// its virtual time is the completion time.)
		e.Advance(DelayedACKWait)
	}

	// Application: the digest held (Run checked it). Wire: data was lost,
	// so some was sent again; the receiver's ACKs, in the order it sent
	// them, never went backwards.
	recs := e.Since(mark)
	if mix.loss > 0 {
		rtx := Retransmissions(recs, harness.ClientToServer)
		if len(rtx) == 0 {
			e.Fail("retransmissions of the data the wire lost", "no data segment was sent twice")
		}
		e.Observe("%d bytes in %v of virtual time; %d data segments sent again", size, took, len(rtx))
	}
	e.ExpectSegmentsFitMSS(mark, harness.ClientToServer)
	e.ExpectCumulativeAcks(mark, harness.ServerToClient, heldBack)

	// Corrupted packets: each one that reached a stack was thrown away by
	// it (its malformed-packet counter went up by exactly that many); had a
	// corrupted data segment been taken in, the digest would differ.
	if mix.corrupt > 0 {
		if CorruptedArrivals(recs, harness.Client)+CorruptedArrivals(recs, harness.Server) == 0 {
			e.Fail("the wire to corrupt some packets (1% of them)", "it corrupted none: the check below would prove nothing")
		}
		for _, side := range []harness.Side{harness.Client, harness.Server} {
			want := CorruptedArrivals(recs, side)
			got, ok := e.MalformedDropped(side)
			if !ok {
				continue
			}
			if int(got-dropped0[side]) != want {
				e.Fatalf(fmt.Sprintf("%s to drop the %d corrupted packets that reached it", side, want),
					"its stack counted %d malformed packets", got-dropped0[side])
			}
		}
	}

	// A transfer cannot finish before the link has carried it.
	if mix.bandwidth > 0 {
		floor := time.Duration(int64(size) * 8 * int64(time.Second) / mix.bandwidth)
		if took < floor {
			e.Fatalf(fmt.Sprintf("the transfer to take at least %v on a %d bit/s link", floor, mix.bandwidth), "it took %v", took)
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// heldBack reports whether the wire's reorder rule held r back, so that it
// was launched (and recorded) after packets its sender sent later.
func heldBack(r *harness.Record) bool { return slices.Contains(r.Notes, reorderRule) }
