package catalogue

import (
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// time-wait-from-fin-wait-1: the server's bare ACK of the client's FIN is
	// lost and the server closes 10 ms later, so the first thing the client
	// hears is the server's FIN, which also ACKs its own. Expected: the client
	// goes FIN-WAIT-1 -> TIME-WAIT directly (RFC 9293 3.10.7.4, FIN in
	// FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this segment), then
	// enter TIME-WAIT"), ACKs the FIN at seq=2 ack=2, and goes CLOSED 2MSL
	// later. Nothing is retransmitted.
	Scenario{
		Name:         "time-wait-from-fin-wait-1",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "the client first hears a FIN that ACKs its own: FIN-WAIT-1 -> TIME-WAIT directly",
		RFCs:         []string{"RFC 9293 3.10.7.4"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{
				Name: "drop the ACK of the FIN", Dirs: harness.OnlyServerToClient, Times: 1,
				Match: []harness.SegCheck{harness.Flags(ACK)}, Action: harness.Drop,
			})
		},
		Run: runTimeWaitFromFinWait1,
	},
)

func runTimeWaitFromFinWait1(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.Close(c)
	e.ReadEOF(s)
	// Well before the client's RTO (at least 200 ms), so its FIN is not
	// sent again first.
	e.Advance(10 * time.Millisecond)
	e.Close(s)
	e.Drain()
	e.ExpectExactly(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		S2C(Flags(ACK), Seq(1), Ack(2), Len(0), FateIs(harness.Dropped)),
		S2C(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0)),
	)
	fin := e.Since(mark)[2]
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.TimeWait)
	if at := e.EnteredAt(c, harness.TimeWait); at != fin.Arrived {
		e.Fatalf("client in TIME-WAIT when the FIN+ACK arrived, at "+fin.Arrived.String(), "at %v", at)
	}
	e.ExpectTimeWaitLasts2MSL(c)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.TimeWait, harness.Closed)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectNoPackets(mark+4, "nothing retransmitted, nothing during TIME-WAIT")
	return nil
}
