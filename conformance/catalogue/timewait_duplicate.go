package catalogue

import (
	"fmt"
	"net/netip"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// time-wait-old-duplicate: an old duplicate data segment (seq below
	// RCV.NXT, no FIN) reaches the client in TIME-WAIT. Expected: it is
	// unacceptable, so the client answers <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
	// (RFC 9293 3.10.7.4, first check) and stays in TIME-WAIT, also when the
	// server answers that ACK with a RST (RFC 1337). Only a retransmitted FIN
	// restarts the 2MSL timer, so it still goes CLOSED 2MSL after entering
	// TIME-WAIT.
	Scenario{
		Name:         "time-wait-old-duplicate",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "time-wait",
		Summary:      "an old duplicate reaches TIME-WAIT: ACKed, but the 2MSL timer is not restarted",
		RFCs:         []string{"RFC 9293 3.10.7.4", "RFC 1337 3"},
		Run:          runTimeWaitOldDuplicate,
	},
)

// Linux would restart TIME-WAIT here (tcp_timewait_state_process
// reschedules it for any out-of-window segment with ACK); gVisor and
// ourstack keep the RFC's rule.

func runTimeWaitOldDuplicate(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	e.Close(c)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)
	e.Close(s)
	e.Drain()
	e.ExpectState(c, harness.TimeWait)
	entered := e.EnteredAt(c, harness.TimeWait)
	e.Advance(10 * time.Second)

	sndNxtRel, sndNxt := e.StreamEnd(harness.Client) // after the client's FIN
	rcvNxtRel, rcvNxt := e.StreamEnd(harness.Server) // after the server's FIN
	id := c.ID()
	mark := e.Mark()
	// The server's first 100 data bytes again, as a duplicate delayed in
	// the network would bring them.
	old := rcvNxt - seqnum.Value(rcvNxtRel) + 1 // relative seq 1
	e.InjectTo(harness.Client, netip.Addr{}, packet.Segment{
		SrcPort: id.RemotePort, DstPort: id.LocalPort, Seq: old, Ack: sndNxt - 1,
		Flags: ACK | PSH, Window: 1024, Payload: make([]byte, 100),
	})
	dupAt := e.Now()
	e.Drain()
	// The server, whose connection is gone (its listener stands for the
	// port), answers that ACK with <SEQ=SEG.ACK><CTL=RST> (RFC 9293
	// 3.10.7.2); the client, in TIME-WAIT, ignores the RST (RFC 1337, see
	// time-wait-rst): the assassination RFC 1337 section 2 describes.
	e.ExpectExactly(mark,
		C2S(Flags(ACK), Seq(sndNxtRel), Ack(rcvNxtRel), Len(0)),
		S2C(e.ResetFlags(harness.Server), Seq(rcvNxtRel), Len(0)),
	)
	if e.RSTEndedLinuxTimeWait(c) {
		e.ExpectNoPackets(mark+3, "nothing else crosses after the RST") // after the injected duplicate, the ACK and the RST
		return nil
	}
	e.ExpectState(c, harness.TimeWait)

	// TIME-WAIT ends 2MSL after it began, not 2MSL after the duplicate.
	end := entered + 2*e.MSL
	e.AdvanceTo(end + judge.TimerSlack)
	if e.TimeWaitObservedOnly(harness.Client) {
		e.ExpectState(c, harness.TimeWait) // Linux's 60 s run on real time
	} else if st := c.State(); st != harness.Closed {
		e.Fatalf(fmt.Sprintf("client CLOSED at %v, 2MSL after entering TIME-WAIT; the old duplicate (at %v) does not restart the timer", end, dupAt),
			"client in %v (since %v)", st, e.LastChangeAt(c))
	}
	if e.PeerKind(harness.Client) == Linux {
		// its TIME-WAIT is observed, not timed (linux_timewait.go)
	} else if e.LwIPTimeWaitEndedEarly(c, end) {
		// timed from before the FIN that moved it into TIME-WAIT
	} else if at := e.EnteredAt(c, harness.Closed); !judge.OnTime(at, end) {
		e.Fatalf(fmt.Sprintf("client CLOSED at %v", end), "at %v", at)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	e.ExpectNoPackets(mark+3, "nothing else crosses during TIME-WAIT") // after the injected duplicate, the ACK and the RST
	return nil
}
