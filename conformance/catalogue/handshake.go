package catalogue

import (
	. "github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// handshake: a client dials a listening server. Expected: SYN, SYN-ACK, ACK
	// (RFC 9293 3.5 figure 6), with an MSS option in both SYNs.
	Scenario{
		Name:    "handshake",
		Section: "handshake",
		Summary: "client dials a listening server: SYN, SYN-ACK, ACK, MSS in both SYNs",
		RFCs:    []string{"RFC 9293 3.5", "RFC 9293 3.7.1"},
		Run:     runHandshake,
	},
)

func runHandshake(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.ExpectState(c, harness.SynSent)
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })

	// SYN seq=x (no data); SYN-ACK seq=y ack=x+1; ACK seq=x+1 ack=y+1.
	e.ExpectExactly(mark,
		C2S(Flags(SYN), Seq(0), Len(0), HasMSS()),
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0), HasMSS()),
		C2S(Flags(ACK), Seq(1), Ack(1), Len(0)),
	)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	e.ExpectState(s, harness.Established)
	return nil
}
