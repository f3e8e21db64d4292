package catalogue

import (
	"fmt"
	"slices"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// simultaneous-close: both ends close at the same virtual instant.
	// Expected: the FINs (seq=1 ack=1) cross, and each is ACKed at its seq+1
	// (seq=2 ack=2). Both go FIN-WAIT-1 -> CLOSING -> TIME-WAIT (RFC 9293 3.6,
	// figure 13), and each leaves TIME-WAIT for CLOSED exactly 2MSL after
	// entering it.
	Scenario{
		Name:         "simultaneous-close",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "simultaneous-close",
		Summary:      "both ends close at once: the FINs cross, both go CLOSING, then TIME-WAIT for 2MSL",
		RFCs:         []string{"RFC 9293 3.6", "RFC 9293 3.10.7.4"},
		Run:          runSimultaneousClose,
	},
	// simultaneous-close-loss: as simultaneous-close, but the client's FIN is
	// dropped once. Expected: the client, in CLOSING, retransmits it at seq=1.
	// The server passes through FIN-WAIT-2 (it took the ACK of its FIN from the
	// client's ACK, RFC 9293 3.10.7.4) or CLOSING (it held that out-of-order
	// ACK). Both end in TIME-WAIT, then CLOSED 2MSL later.
	Scenario{
		Name:         "simultaneous-close-loss",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "simultaneous-close",
		Summary:      "as simultaneous-close, the client's FIN lost once: it is resent, both end in TIME-WAIT",
		RFCs:         []string{"RFC 9293 3.10.7.4", "RFC 9293 3.6"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{
				Name: "drop the client's first FIN", Dirs: harness.OnlyClientToServer, Times: 1,
				Match: []harness.SegCheck{harness.FlagsInclude(FIN)}, Action: harness.Drop,
			})
		},
		Run: runSimultaneousCloseLoss,
	},
)

func runSimultaneousClose(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	// Both CLOSEs at one instant, before either stack has run: each sends
	// its FIN before it hears the other's.
	e.Close(c)
	e.Close(s)
	e.Settle()
	e.Drain()
	// RFC 9293 figure 13: each end's FIN is <SEQ=100><ACK=300><CTL=FIN,ACK>
	// and each answers the other's with <SEQ=101><ACK=301><CTL=ACK>.
	e.ExpectEachDirection(mark,
		[]Seg{C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)), C2S(Flags(ACK), Seq(2), Ack(2), Len(0))},
		[]Seg{S2C(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)), S2C(Flags(ACK), Seq(2), Ack(2), Len(0))},
	)
	// Each end was in CLOSING (not FIN-WAIT-2) when the other's ACK came:
	// its FIN arrived first.
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait)
	e.ExpectTimeWaitLasts2MSL(c, s)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait, harness.Closed)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait, harness.Closed)
	e.ExpectNoPackets(mark+4, "nothing crosses during TIME-WAIT")
	return nil
}

func runSimultaneousCloseLoss(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.Close(c)
	e.Close(s)
	e.Settle()
	e.WaitFor("both ends in TIME-WAIT, or one reset", func() bool {
		both := c.State() == harness.TimeWait && s.State() == harness.TimeWait
		return both || len(resetsSince(e, mark)) > 0
	})
	e.Drain()
	if rsts := resetsSince(e, mark); len(rsts) > 0 {
		return simCloseLossReset(e, c, s, mark, rsts[0])
	}

	// The client: its FIN went, was lost; the server's FIN moved it to
	// CLOSING and it ACKed that (seq=2 ack=2); it retransmitted its FIN
	// (seq=1) when the RTO expired, and the server's ACK of it (ack=2) moved
	// it to TIME-WAIT.
	e.ExpectInOrder(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0), FateIs(harness.Dropped)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0)),
		C2S(Flags(FIN|ACK), Seq(1), Ack(2), Len(0), FateIs(harness.Delivered)),
		S2C(FlagsInclude(ACK), FlagsExclude(SYN|RST), Ack(2)),
	)
	for _, r := range e.SentBy(mark, harness.Client) {
		if r.Packet.TCP.Flags.Has(FIN) {
			if err := harness.CheckRecord(r, Seq(1)); err != nil {
				e.Fatalf("every FIN from the client at seq 1", "#%d: %v", r.Index, err)
			}
		}
	}
	for _, r := range e.SentBy(mark, harness.Server) {
		if r.Packet.TCP.Flags.Has(FIN) {
			if err := harness.CheckRecord(r, Seq(1)); err != nil {
				e.Fatalf("every FIN from the server at seq 1", "#%d: %v", r.Index, err)
			}
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait)
	// The server got the client's ACK (seq=2 ack=2) before the client's
	// FIN: a segment beyond RCV.NXT, acceptable (RFC 9293 3.10.7.4, first
	// check). It may process its ACK at once (FIN-WAIT-1 -> FIN-WAIT-2) or
	// hold the segment until the gap fills ("segments with higher beginning
	// sequence numbers may be held for later processing"), and then see
	// the FIN first (-> CLOSING).
	got := e.Net.States(harness.Server, s.ID())
	viaFW2 := []harness.State{harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait}
	viaClosing := []harness.State{harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait}
	switch {
	case slices.Equal(got, viaFW2):
		e.Observe("the server took the ACK beyond RCV.NXT at once: FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT")
	case slices.Equal(got, viaClosing):
		e.Observe("the server held the ACK beyond RCV.NXT: FIN-WAIT-1 -> CLOSING -> TIME-WAIT")
	default:
		e.Fail("server states "+FormatStates(viaFW2)+" or "+FormatStates(viaClosing), "server states "+FormatStates(got))
	}
	e.ExpectTimeWaitLasts2MSL(c, s)
	e.ExpectClosedAfterTimeWait(c)
	e.ExpectClosedAfterTimeWait(s)
	return nil
}

// resetsSince is every RST sent since mark.
func resetsSince(e *Env, mark int) []*harness.Record {
	var out []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Packet.TCP.Flags.Has(RST) {
			out = append(out, r)
		}
	}
	return out
}

// simCloseLossReset accepts the registered gVisor deviation: the server, a
// gVisor end, answered the client's early ACK with a RST. It checks the RST
// is the one the deviation describes and that the client then ends as RFC
// 9293 3.10.7.4 says for a RST in CLOSING: "enter the CLOSED state".
func simCloseLossReset(e *Env, c, s harness.Conn, mark int, rst *harness.Record) error {
	if rst.Dir.From() != harness.Server || e.Pairing.Server != GVisor {
		e.Fail("no RST: both ends reach TIME-WAIT", fmt.Sprintf("#%d RST from the %s (%s)\n%s", rst.Index, rst.Dir.From(), e.PeerKind(rst.Dir.From()), DescribeRecords(e.Since(mark))))
	}
	e.Deviates(GVisorResetsOnEmptyAckBeyondRcvNxt)
	e.Observe("gVisor deviation accepted: %s", GVisorResetsOnEmptyAckBeyondRcvNxt.Name)
	e.ExpectInOrder(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0), FateIs(harness.Dropped)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0)),
		S2C(FlagsInclude(RST), Seq(2)),
	)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.Closed)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.Closing, harness.Closed)
	if at := e.EnteredAt(c, harness.Closed); at != rst.Arrived {
		e.Fatalf("client CLOSED when the RST arrived, at "+rst.Arrived.String(), "at %v", at)
	}
	return nil
}
