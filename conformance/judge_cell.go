package conformance

import (
	"fmt"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// judgeCell applies the judge's rules to every cell that passed its own
// checks: a verdict judges how the stacks got there, not only what
// arrived. Each stack's connections moved along the state diagram. On a
// wire that lost, delayed and duplicated nothing, and into which the
// scenario injected nothing, no stack sends data twice: a resend there is
// a retransmission timer that fired or a loss guessed with nothing lost
// (RFC 6298 5, RFC 5681 3.2, RFC 8985 6.2). Ends that keep no state (the
// raw peer) send what a test built, and are not judged; a Linux end's
// resends are noted, not judged (see below).
func (e *Env) judgeCell() error {
	// Every stack's connections went along RFC 9293's state diagram. A
	// Linux end's states are read from sock_diag on real time, and may
	// skip a state between two readings: its paths are not judged.
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.Net.KeepsNoState(side) || e.PeerKind(side) == Linux {
			continue
		}
		if bad := judge.StatePaths(e.Net.Trace().Changes, side); bad != "" {
			return e.failure(fmt.Sprintf("the %s (%s) to move along RFC 9293's state diagram (figure 5, 3.10)", side, e.PeerKind(side)), bad)
		}
	}
	recs := e.Net.Trace().Records
	if e.injected > 0 || e.Net.KeepsNoState(harness.Client) || e.Net.KeepsNoState(harness.Server) || !judge.CleanWire(recs) {
		return nil
	}
	var resends []*harness.Record
	for _, r := range judge.Resends(recs) {
		if e.PeerKind(r.Dir.From()) == Linux {
			// Linux's timers run on real time, and a loss probe's is a
			// few real milliseconds: a pause of the harness (a busy
			// machine) lets it fire before the ACK is handed over. The
			// harness, not Linux, made that resend.
			e.Observe("linux resent #%d (seq %d) on a clean wire: its real-time loss probe or RTO ran while the harness was busy", r.Index, r.RelSeq)
			continue
		}
		resends = append(resends, r)
	}
	if len(resends) == 0 {
		return nil
	}
	first := resends[0]
	return e.failure("on a wire that lost nothing, no data segment sent twice (no retransmission timer fires, no loss is guessed; "+
		"zero-window probes and keepalives excepted)",
		fmt.Sprintf("%d data segment(s) resent; the first: #%d, %s sent seq %d:%d again",
			len(resends), first.Index, first.Dir.From(), first.RelSeq, first.RelSeq+uint32(first.PayloadLen)))
}
