package catalogue

import (
	"fmt"

	. "github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/judge"

	"github.com/tcpbed/tcpbed/harness"
)

// retransmit-only-lost: does a sender resend only what the wire lost?
// RFC 6675 4 lets a SACK sender retransmit a segment only once IsLost()
// holds for it (DupThresh segments SACKed above it), and RFC 8985 6.2 marks
// a segment lost only when one sent after it has been delivered and a
// reordering window has passed. On a wire that neither reorders nor
// duplicates, a segment sent later cannot arrive first: a sender following
// either rule resends a segment that arrived only when the ACK stream hid
// its arrival from it (a lost ACK), when a timeout's go-back resends what
// was in flight (RFC 6298 5.4) or when a tail loss probe repeats the last
// segment (RFC 8985 7.3). Everything else resent is needless: it costs the
// link what it carries, and shows the loss detection guessing.
//
// The run: 4 MiB (needlessSize) go client to server over a 100 Mbit/s link
// with 10 ms one-way delay that loses 1% of packets each way and never
// reorders. Expected: the client's retransmissions of data whose earlier
// copy had arrived number at most a quarter of the data segments the wire
// lost (at least 4, judge.NeedlessFloor, allowed: lost ACKs, a timeout, a
// tail loss probe; RFC 6675 4 IsLost, RFC 8985 6.2: only a segment shown
// lost is resent). The digest matches.
var retransmitOnlyLost = Scenario{
	Name:     "retransmit-only-lost",
	Section:  "loss",
	RealTime: TooSlowForRealTime,
	RealTimeNote: "it counts the segments the wire lost, which needs the link model; " +
		"a real-time kernel's own queue would lose others unseen",
	Summary: "4 MiB over a 1% lossy link: needless resends at most a quarter of the segments lost",
	RFCs:    []string{"RFC 6675 4", "RFC 8985 6.2"},
	Setup: func(s *Setup) {
		s.Net.Link = [2]harness.LinkConfig{lossRecoveryLink, lossRecoveryLink}
	},
	Run: runRetransmitOnlyLost,
}

// retransmit-only-lost-tied-clock is retransmit-only-lost on a frozen clock:
// every reading a stack takes at one virtual instant is the same, so the
// segments of one burst carry one transmit time. No real host's clock
// does that (the harness's ticks by default); the scenario asks for it to
// show how a sender's loss detection orders segments it cannot tell apart
// by time. RFC 8985 6.2 breaks the tie by end sequence number
// (RACK_sent_after: "t1 > t2 or (t1 == t2 and seq1 > seq2)"), so a sender
// following it still marks lost only what was sent before a delivered
// segment.
var retransmitOnlyLostTiedClock = func() Scenario {
	s := retransmitOnlyLost
	s.Name = "retransmit-only-lost-tied-clock"
	// retransmit-only-lost-tied-clock: retransmit-only-lost with a frozen
	// clock, so a burst's segments share one transmit time. Expected: a sender
	// breaking RACK's ties by end sequence (RFC 8985 6.2) still resends only
	// what the wire lost.
	s.Summary = "retransmit-only-lost on a frozen clock: RACK's ties broken, only lost data resent"
	s.RFCs = []string{"RFC 8985 6.2"}
	s.Setup = func(st *Setup) {
		retransmitOnlyLost.Setup(st)
		st.Net.FrozenClock = true
	}
	return s
}()

var _ = Register(retransmitOnlyLost, retransmitOnlyLostTiedClock)

const (
	// needlessSize is the stream: long enough for a few dozen losses.
	needlessSize = 4 << 20
	// needlessLoss is the wire's loss each way.
	needlessLoss = 0.01
)

func runRetransmitOnlyLost(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	for _, r := range (faultMix{loss: needlessLoss}).rules() {
		e.Net.AddRule(r)
	}
	t := e.NewTransfer(c, s, needlessSize)
	t.Run()

	needless, retransmitted, lost := judge.Needless(e.Since(mark), nil)
	e.Observe("%d of %d retransmissions resent data that had arrived; the wire lost %d data segments", len(needless), retransmitted, lost)
	if lost == 0 {
		e.Fail(fmt.Sprintf("the wire to lose some data segments (%g%% of them)", needlessLoss*100), "it lost none: the check below would prove nothing")
	}
	if bound := judge.NeedlessBound(lost); len(needless) > bound {
		if e.Pairing.Client == GVisor && e.Net.FrozenClock() {
			e.Deviates(GVisorRACKTieBreak)
		} else {
			e.Fatalf(fmt.Sprintf("at most %d retransmissions of data that had already arrived (a quarter of the %d data segments the wire lost, at least %d; "+
				"RFC 6675 4, RFC 8985 6.2: resend only what the ACKs show lost)", bound, lost, judge.NeedlessFloor),
				"%d of the client's %d retransmissions resent data whose earlier copy had arrived", len(needless), retransmitted)
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
