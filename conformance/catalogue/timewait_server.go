package catalogue

import (
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// time-wait-server: the server closes first, with a clean exchange of four
	// segments. Expected: the server goes FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT
	// and holds it for exactly 2MSL, then goes CLOSED; the client goes
	// CLOSE-WAIT -> LAST-ACK -> CLOSED on the last ACK.
	Scenario{
		Name:         "time-wait-server",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "the server closes first: TIME-WAIT for exactly 2MSL; the client ends via LAST-ACK",
		RFCs:         []string{"RFC 9293 3.6", "RFC 9293 3.10.7.4", "RFC 9293 3.10.8"},
		Run:          runTimeWaitServer,
	},
	// time-wait-fin-retransmit: the client closes first, and the last ACK (of
	// the server's FIN) is dropped. Expected: the server, in LAST-ACK,
	// retransmits its FIN; the client, in TIME-WAIT, ACKs it again and restarts
	// its 2MSL timer (RFC 9293 3.10.7.4), so it goes CLOSED 2MSL after the
	// second ACK, not the first.
	Scenario{
		Name:         "time-wait-fin-retransmit",
		OnProfiles:   true,
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "the last ACK is lost: the FIN is resent, TIME-WAIT ACKs it and restarts its 2MSL timer",
		RFCs:         []string{"RFC 9293 3.10.7.4"},
		Run:          runTimeWaitFINRetransmit,
	},
)

func runTimeWaitServer(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.Close(s)
	e.ReadEOF(c)
	// A second for any delayed ACK of the FIN: four segments, not three.
	e.Advance(time.Second)
	e.Close(c)
	e.ExpectExactly(mark,
		S2C(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		C2S(Flags(ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		S2C(Flags(ACK), Seq(2), Ack(2), Len(0)),
	)
	lastACK := e.Since(mark)[3]
	e.ExpectState(c, harness.Closed)
	if at := e.EnteredAt(c, harness.Closed); at != lastACK.Arrived {
		e.Fatalf("client CLOSED when the last ACK arrived, at "+lastACK.Arrived.String(), "client CLOSED at %v", at)
	}
	e.ExpectTimeWaitLasts2MSL(s)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectNoPackets(mark+4, "nothing crosses during TIME-WAIT")
	return nil
}

func runTimeWaitFINRetransmit(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	// The client's first bare ACK from now on, the ACK of the server's
	// FIN, is lost (its FIN before it carries FIN|ACK). The rule is in
	// place before the client closes: a lneto server sends its FIN as soon
	// as the client's arrives (LnetoFINFromCloseWaitUnasked).
	e.Net.AddRule(&harness.Rule{Name: "drop the last ACK", Dirs: harness.OnlyClientToServer, Times: 1,
		Match: []harness.SegCheck{harness.Flags(ACK)}, Action: harness.Drop})
	e.Close(c)
	e.ReadEOF(s)
	e.Advance(time.Second)
	e.Close(s)
	e.WaitFor("the server to leave LAST-ACK", func() bool { return s.State() != harness.LastAck })
	e.ExpectExactly(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		S2C(Flags(ACK), Seq(1), Ack(2), Len(0)),
		S2C(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0), FateIs(harness.Dropped)),
		S2C(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0), FateIs(harness.Delivered)),
	)
	recs := e.Since(mark)
	firstACK, secondACK := recs[3], recs[5]
	e.ExpectState(s, harness.Closed)
	if at := e.EnteredAt(s, harness.Closed); at != secondACK.Arrived {
		e.Fatalf("server CLOSED when the second ACK arrived, at "+secondACK.Arrived.String(), "at %v", at)
	}
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)

	// The client entered TIME-WAIT when it sent the first ACK; the FIN that
	// came again restarted the 2MSL timer when it sent the second.
	if at := e.EnteredAt(c, harness.TimeWait); at != firstACK.At {
		e.Fatalf("client in TIME-WAIT from the first ACK, at "+firstACK.At.String(), "from %v", at)
	}
	e.AdvanceTo(firstACK.At + 2*e.MSL)
	if st := c.State(); st != harness.TimeWait {
		e.Fatalf("client still in TIME-WAIT 2MSL after the first ACK ("+(firstACK.At+2*e.MSL).String()+"): the retransmitted FIN restarted the timer", "client in %v since %v", st, e.LastChangeAt(c))
	}
	starts := e.ExpectTimeWaitLasts2MSL(c)
	if starts[0] != secondACK.At {
		e.Fatalf("the 2MSL wait to restart at the second ACK, "+secondACK.At.String(), "it ran from %v", starts[0])
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	e.ExpectNoPackets(mark+6, "nothing crosses after the second ACK")
	return nil
}
