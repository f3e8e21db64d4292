package catalogue

import (
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

var _ = Register(
	// time-wait-rst: a RST with seq = RCV.NXT reaches the client in TIME-WAIT
	// (an old duplicate, or the answer to one). Expected: it is ignored
	// (RFC 1337 section 3, fix (1), against TIME-WAIT assassination): no reply,
	// and the client stays in TIME-WAIT and goes CLOSED exactly 2MSL after
	// entering it.
	Scenario{
		Name:         "time-wait-rst",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "a RST at RCV.NXT reaches TIME-WAIT: ignored, CLOSED exactly 2MSL after entering it",
		RFCs:         []string{"RFC 1337 3"},
		Run:          runTimeWaitRST,
	},
)

// gVisor too ignores a RST in TIME-WAIT (rcv.go handleTimeWaitSegment,
// "fix 1"), although RFC 9293 3.10.7.4's text for TIME-WAIT and Linux's
// default (net.ipv4.tcp_rfc1337=0) end TIME-WAIT on it.

func runTimeWaitRST(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	e.Close(c)
	e.ReadEOF(s)
	e.Advance(time.Second)
	e.Close(s)
	e.Drain()
	e.ExpectState(c, harness.TimeWait)
	entered := e.EnteredAt(c, harness.TimeWait)
	e.Advance(10 * time.Second)

	_, rcvNxt := e.StreamEnd(harness.Server) // after the server's FIN
	mark := e.Mark()
	e.InjectRST(c, rcvNxt)
	e.Advance(time.Second)
	if got := e.Since(mark); len(got) != 0 {
		e.Fail("no reply to a RST in TIME-WAIT", DescribeRecords(got))
	}
	if e.RSTEndedLinuxTimeWait(c) {
		e.ExpectNoPackets(mark, "no reply to the RST")
		return nil
	}
	if st := c.State(); st != harness.TimeWait {
		e.Fatalf("client to stay in TIME-WAIT after the RST (RFC 1337)", "client in %v since %v", st, e.LastChangeAt(c))
	}
	starts := e.ExpectTimeWaitLasts2MSL(c)
	if starts[0] != entered {
		e.Fatalf("the 2MSL wait to run from "+entered.String()+", unchanged by the RST", "it ran from %v", starts[0])
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	e.ExpectNoPackets(mark, "nothing crosses during TIME-WAIT")
	return nil
}
