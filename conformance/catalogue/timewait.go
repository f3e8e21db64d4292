package catalogue

import (
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

var _ = Register(
	// time-wait: the client closes first, with a clean four-segment close.
	// Expected: the client holds TIME-WAIT for exactly 2MSL of virtual time,
	// then goes CLOSED; the server goes CLOSED on the last ACK.
	Scenario{
		Name:         "time-wait",
		OnProfiles:   true,
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "client closes first, four-segment close: client in TIME-WAIT for exactly 2MSL",
		RFCs:         []string{"RFC 9293 3.6", "RFC 9293 3.10.7.4", "RFC 9293 3.10.8"},
		Run:          runTimeWait,
	},
)

func runTimeWait(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()

	e.Close(c)
	e.ReadEOF(s)
	// The server closes a second after it saw EOF, so that its ACK of the
	// client's FIN has gone out on its own, even from a stack that delays
	// ACKs (at most 0.5 s, RFC 9293 3.8.6.3): four segments, not three.
	e.Advance(time.Second)
	e.Close(s)
	e.Settle()

	e.ExpectExactly(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		S2C(Flags(ACK), Seq(1), Ack(2), Len(0)),
		S2C(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0)),
	)
	lastACK := e.Since(mark)[3]

	// The server leaves LAST-ACK when the ACK of its FIN arrives.
	e.ExpectState(s, harness.Closed)
	if at := e.EnteredAt(s, harness.Closed); at != lastACK.Arrived {
		e.Fatalf("server CLOSED when the last ACK arrived, at "+lastACK.Arrived.String(), "server CLOSED at %v", at)
	}

	// RFC 9293 3.10.7.4: in TIME-WAIT, "remain ... restart the 2 MSL
	// time-wait timeout"; the connection is deleted when it expires.
	e.ExpectState(c, harness.TimeWait)
	twStart := e.EnteredAt(c, harness.TimeWait)
	twEnd := twStart + 2*e.MSL
	e.AdvanceTo(twEnd - time.Millisecond)
	if !e.LwIPTimeWaitEndedEarly(c, twEnd) {
		e.ExpectState(c, harness.TimeWait)
	}
	e.AdvanceTo(twEnd + judge.TimerSlack)
	switch {
	case e.TimeWaitObservedOnly(harness.Client):
		// Linux's 60 s run on real time: still TIME-WAIT, not timed further
		e.ExpectState(c, harness.TimeWait)
	case e.LwIPTimeWaitEndedEarly(c, twEnd) || e.LwIPTimeWaitEndsLate(c):
	default:
		e.ExpectState(c, harness.Closed)
		if at := e.EnteredAt(c, harness.Closed); !judge.OnTime(at-twStart, 2*e.MSL) {
			e.Fatalf("TIME-WAIT to last 2MSL = "+(2*e.MSL).String(), "it lasted %v", at-twStart)
		}
	}

	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectNoPackets(mark+4, "nothing crosses during TIME-WAIT")
	return nil
}
