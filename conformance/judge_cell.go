package conformance

import (
	"fmt"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
)

// judgeCell applies the judge's rules to every cell that passed its own
// checks: a verdict judges how the stacks got there, not only what
// arrived. Each stack's connections moved along the state diagram. On a
// wire that lost, delayed and duplicated nothing (what a scenario injected
// is no stack's sending, and is left out), no stack sends data twice: a resend there is
// a retransmission timer that fired or a loss guessed with nothing lost
// (RFC 6298 5, RFC 5681 3.2, RFC 8985 6.2). Ends that keep no state (the
// raw peer) send what a test built, and are not judged; a Linux end's
// resends are noted, not judged (see below). On a wire that lost packets
// but kept their order, resends of data that had arrived are bounded.
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
	if err := e.judgeTimeWaits(); err != nil {
		return err
	}
	recs := e.Net.Trace().Records
	if err := e.judgeACKDelays(recs); err != nil {
		return err
	}
	if e.Net.KeepsNoState(harness.Client) || e.Net.KeepsNoState(harness.Server) {
		return nil
	}
	if !judge.CleanWire(recs) {
		return e.judgeResendsOnALossyWire(recs)
	}
	var resends []*harness.Record
	all, _ := judge.Resends(recs)
	for _, resend := range all {
		r := resend.Rec
		if !resend.Delivered {
			continue // the receiving stack discarded the first copy (a full accept queue)
		}
		from := r.Dir.From()
		if e.OnRealTime(from) {
			// Linux's timers run on real time (as do an exec stack's that
			// says so), and a loss probe's is a few real milliseconds: a
			// pause of the harness (a busy machine) lets it fire before
			// the ACK is handed over. The harness, not the stack, made
			// that resend.
			e.Observe("%s resent #%d (seq %d) on a clean wire: its real-time loss probe or RTO ran while the harness was busy", e.PeerKind(from), r.Index, r.RelSeq)
			continue
		}
		if !resend.Acked && resend.Since() >= rfc6298MinRTO {
			// A timer no shorter than RFC 6298's floor fired: the
			// receiver's conduct, not the sender's.
			if err := e.judgeHeldACK(resend); err != nil {
				return err
			}
			continue
		}
		if floor, ok := rtoFloorDeviations[e.PeerKind(from)]; ok && !resend.Acked {
			// A retransmission timer that fired before RFC 6298's floor,
			// while the receiver still held its ACK.
			e.Deviates(floor)
			e.Observe("%s resent #%d (seq %d) %v after its last copy, unacknowledged on a clean wire: an RTO below 1 s", e.PeerKind(from), r.Index, r.RelSeq, resend.Since())
			continue
		}
		resends = append(resends, r)
	}
	if len(resends) == 0 {
		return nil
	}
	first := resends[0]
	return e.failure("on a wire that lost nothing, no data sent twice once it had reached its connection (no retransmission timer fires, no loss is guessed; "+
		"zero-window probes and keepalives excepted)",
		fmt.Sprintf("%d data segment(s) resent; the first: #%d, %s sent seq %d:%d again",
			len(resends), first.Index, first.Dir.From(), first.RelSeq, first.RelSeq+uint32(first.PayloadLen)))
}

// judgeACKDelays: every stack acknowledged what took sequence space within
// RFC 9293's 500 ms (judge.LateACKs), lost or not on the way back. An end
// that keeps no state, or one on real time (a busy machine delays its
// ACK, not the stack), is not judged.
func (e *Env) judgeACKDelays(recs []*harness.Record) error {
	late := judge.LateACKs(recs, e.Net.Now(), func(receiver harness.Side) bool {
		return !e.Net.KeepsNoState(receiver) && !e.OnRealTime(receiver)
	})
	late = slices.DeleteFunc(late, e.lnetoHeldACK)
	if len(late) == 0 {
		return nil
	}
	first := late[0]
	r, to := first.Rec, first.Rec.Dir.To()
	what := fmt.Sprintf("seq %d:%d", r.RelSeq, r.RelSeq+uint32(r.PayloadLen))
	if r.PayloadLen == 0 {
		what = fmt.Sprintf("its FIN, seq %d", r.RelSeq)
	}
	answer := fmt.Sprintf("the run ended %v later with no segment carrying an ACK from it on that connection", first.Delay(e.Net.Now()))
	if first.Next != nil {
		answer = fmt.Sprintf("its next segment carrying an ACK on that connection was #%d, %v later", first.Next.Index, first.Delay(0))
	}
	return e.failure(fmt.Sprintf("the %s (%s) to acknowledge within %v every segment that took sequence space (RFC 9293 3.8.6.3, MUST-40; RFC 5681 4.2)",
		to, e.PeerKind(to), judge.MaxACKDelay),
		fmt.Sprintf("%d segment(s) held longer; the first: #%d (%s) reached it at %v, and %s", len(late), r.Index, what, r.Arrived, answer))
}

// lnetoHeldACK reports whether a lneto receiver held l's ACK by one of
// its registered departures, and notes which: once in TIME-WAIT it
// answers no retransmitted FIN, a full receive buffer drops
// data unanswered (the last window it had sent was 0), and a connection
// waiting to be accepted sends nothing (it had sent nothing on that
// connection since its SYN-ACK).
func (e *Env) lnetoHeldACK(l judge.LateACK) bool {
	to := l.Rec.Dir.To()
	if e.PeerKind(to) != Lneto {
		return false
	}
	var last *harness.Record // the receiver's last segment before the arrival
	for _, r := range e.Net.Trace().Records {
		if r.At > l.Rec.Arrived {
			break
		}
		if r.Dir.From() == to && r.ParseErr == nil && r.ConnID(harness.Client) == l.Rec.ConnID(harness.Client) {
			last = r
		}
	}
	switch {
	case l.Rec.States[to] == harness.TimeWait && l.Rec.Packet.TCP.Flags.Has(packet.FIN):
		// Out of its port table once in TIME-WAIT: a retransmitted FIN
		// gets no ACK.
		e.Deviates(LnetoTimeWaitUntimed)
		return true
	case last == nil:
		return false
	case last.Packet.TCP.Flags.Has(packet.SYN) && to == harness.Server:
		e.Deviates(LnetoUnacceptedConnectionSilent)
		return true
	case last.Packet.TCP.Window == 0:
		e.Deviates(LnetoFullBufferDropsUnanswered)
		return true
	}
	return false
}

// rtoFloorDeviations are the registered RTO floors under RFC 6298 2.4's
// 1 s, by the peer kind whose sender has one.
// (lneto's rtoMin is 200 ms as well, TestLnetoRTOFloorIs200ms in
// harness/lneto, but no run of the matrix shows it yet: not registered.)
var rtoFloorDeviations = map[string]Deviation{GVisor: GVisorRTOFloor200ms}

// rfc6298MinRTO is RFC 6298 2.4's floor under the retransmission timeout.
const rfc6298MinRTO = time.Second

// judgeHeldACK: on a clean wire, data resent unacknowledged a full RFC
// 6298 RTO after its previous copy reached the receiver's connection: its
// peer's timer was right to fire, and the receiver is to blame. An ACK
// held past 500 ms was already judged (judgeACKDelays); what reaches here
// is a receiver that answered in time without acknowledging the data (it
// dropped what had reached its connection).
func (e *Env) judgeHeldACK(resend judge.Resend) error {
	prev := resend.Previous
	receiver := prev.Dir.To()
	if e.lnetoHeldACK(judge.LateACK{Rec: prev}) {
		return nil
	}
	return e.failure(fmt.Sprintf("the %s (%s) to acknowledge data within %v of taking it (RFC 9293 3.8.6.3, MUST-40), "+
		"so that on a wire that lost nothing its peer's retransmission timer (at least %v, RFC 6298 2.4) never fires",
		receiver, e.PeerKind(receiver), judge.MaxACKDelay, rfc6298MinRTO),
		fmt.Sprintf("#%d (seq %d:%d) reached it at %v, and no ACK covering it came before the %s resent it as #%d at %v",
			prev.Index, prev.RelSeq, prev.RelSeq+uint32(prev.PayloadLen), prev.Arrived, prev.Dir.From(), resend.Rec.Index, resend.Rec.At))
}

// judgeResendsOnALossyWire: on a wire that lost packets but kept their
// order and made no copies, a stack resends data that had arrived only a
// few times (judge.Needless, judge.NeedlessBound). A Linux end's sending
// (an end's on real time) is not judged, nor a run on a frozen clock,
// which retransmit-only-lost-tied-clock judges itself, nor one where a
// receiver closed its window (RFC 6675 NextSeg rule (3) then lets a
// sender resend unSACKed data it has not seen lost).
func (e *Env) judgeResendsOnALossyWire(recs []*harness.Record) error {
	if !judge.NoReorderingOrCopies(recs) || judge.ReceiverWindowClosed(recs) || e.Net.FrozenClock() {
		return nil
	}
	needless, resent, lost := judge.Needless(recs, func(sender harness.Side) bool { return !e.OnRealTime(sender) })
	// A lneto sender goes back N on a timeout (LnetoGoBackNOnRTO): every
	// segment after the lost one is resent, arrived or not.
	if kept := slices.DeleteFunc(slices.Clone(needless), func(r *harness.Record) bool { return e.PeerKind(r.Dir.From()) == Lneto }); len(kept) < len(needless) {
		e.Deviates(LnetoGoBackNOnRTO)
		needless = kept
	}
	if bound := judge.NeedlessBound(lost); len(needless) > bound {
		return e.failure(fmt.Sprintf("on a wire that loses but never reorders or copies, at most %d resends of data that had arrived "+
			"(a quarter of the %d data segments lost, at least %d: lost ACKs, a timeout, a tail loss probe; RFC 6675 4, RFC 8985 6.2)",
			bound, lost, judge.NeedlessFloor),
			fmt.Sprintf("%d of %d retransmissions resent data whose earlier copy had arrived; the first: #%d, %s seq %d:%d",
				len(needless), resent, needless[0].Index, needless[0].Dir.From(), needless[0].RelSeq, needless[0].RelSeq+uint32(needless[0].PayloadLen)))
	}
	return nil
}

// judgeTimeWaits: every stay in TIME-WAIT that ended by its timer lasted
// 2MSL from its last restart (RFC 9293 3.10.7.4), by the rule the fuzzers
// apply too (judge.TimeWaitStay.Lasted2MSL). A stay that a segment ended
// (a SYN that opens a new incarnation, a RST) or the end itself ended with
// a RST (an ABORT, or unread data at CLOSE) is judged by the scenario that
// sent it; a Linux end's TIME-WAIT (an end's on real time) runs on real
// time.
func (e *Env) judgeTimeWaits() error {
	t := e.Net.Trace()
	for _, stay := range judge.TimeWaitStays(t) {
		if stay.Exit == nil || e.Net.KeepsNoState(stay.Side) || e.OnRealTime(stay.Side) || stay.EndedByArrival(t) || stay.ResetAsItLeft(t) {
			continue
		}
		if bad := stay.Lasted2MSL(t, e.MSL, judge.EveryFINRestarts); bad != "" {
			if last, _ := stay.Restarts(t, stay.Exit.At, judge.EveryFINRestarts); e.lwipTimeWaitStay(stay, last) {
				continue
			}
			if e.PeerKind(stay.Side) == Lneto && stay.Exit.At == stay.Entered {
				// An accepted lneto connection leaves TIME-WAIT the instant
				// it enters it (its listener hands it back to the pool).
				e.Deviates(LnetoTimeWaitUntimed)
				continue
			}
			return e.failure(fmt.Sprintf("the %s (%s) to hold TIME-WAIT for 2MSL (%v) from its last restart (RFC 9293 3.10.7.4)", stay.Side, e.PeerKind(stay.Side), 2*e.MSL), bad)
		}
	}
	return nil
}
