package conformance

import (
	"errors"
	"net"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
)

// rfc6298InitialRTO is the RTO before any RTT sample: "the sender SHOULD
// set RTO <- 1 second" (RFC 6298 2.1).
const rfc6298InitialRTO = time.Second

// How the catalogue's shared helpers accept lneto's registered departures
// (deviations_lneto.go), each only at a lneto end and only when the run
// shows it.

// lnetoClosedUnasked reports whether c's end is lneto and went from
// CLOSE-WAIT to LAST-ACK before its application asked for a FIN: lneto
// sent its FIN by itself (LnetoFINFromCloseWaitUnasked), so the
// application's Close or CloseWrite finds the connection closing or
// gone. It records the deviation when it does.
func (e *Env) lnetoClosedUnasked(c harness.Conn) bool {
	side := e.Side(c)
	if e.PeerKind(side) != Lneto {
		return false
	}
	h := e.Net.History(side, c.ID())
	for i := 1; i < len(h); i++ {
		if h[i-1].To == harness.CloseWait && h[i].To == harness.LastAck {
			e.Deviates(LnetoFINFromCloseWaitUnasked)
			return true
		}
	}
	return false
}

// lnetoStalled is asked when a wait ran out: if what stalled the run is
// a lneto end's registered departure, the run ends there accepting it
// (EndAccepting); otherwise it returns, and the wait fails.
//
//   - A lneto end still in SYN-SENT or SYN-RECEIVED that sent its SYN (or
//     SYN-ACK) once, an initial RTO (RFC 6298 2.1, 1 s) or more ago, and
//     never again: LnetoNoHandshakeRetransmission; one in FIN-WAIT-1,
//     CLOSING or LAST-ACK that sent its FIN so: LnetoNoFINRetransmission.
//   - A lneto end that took a FIN in TIME-WAIT, after its last ACK, and
//     answered nothing: LnetoTimeWaitUntimed (it is out of its port table).
func (e *Env) lnetoStalled() {
	t := e.Net.Trace()
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.PeerKind(side) != Lneto {
			continue
		}
		last := map[harness.FourTuple]harness.State{}
		for _, c := range t.Changes {
			if c.Side == side {
				last[c.ID] = c.To
			}
		}
		for id, st := range last {
			ctl, d := packet.Flags(0), Deviation{}
			switch st {
			case harness.SynSent, harness.SynReceived:
				ctl, d = packet.SYN, LnetoNoHandshakeRetransmission
			case harness.FinWait1, harness.Closing, harness.LastAck:
				ctl, d = packet.FIN, LnetoNoFINRetransmission
			default:
				continue
			}
			var sent []*harness.Record
			for _, r := range t.Records {
				if r.Dir.From() == side && r.ConnID(side) == id && r.Packet.TCP.Flags.Has(ctl) {
					sent = append(sent, r)
				}
			}
			if len(sent) == 1 && e.Now()-sent[0].At >= rfc6298InitialRTO+judge.TimerSlack {
				e.Observe("the %s (lneto) sent its %v once, at %v, and stayed in %v to %v", side, sent[0].Packet.TCP.Flags, sent[0].At, st, e.Now())
				e.EndAccepting(d)
			}
		}
		e.lnetoStalledOnZeroWindow(side)
		for i, r := range t.Records {
			if r.Dir.From() == side || !r.Reached || !r.Packet.TCP.Flags.Has(packet.FIN) || r.States[side] != harness.TimeWait && r.States[side] != harness.Closed {
				continue
			}
			id := r.ConnID(side)
			entered := time.Duration(-1)
			for _, c := range e.Net.History(side, id) {
				if c.To == harness.TimeWait && entered < 0 {
					entered = c.At
				}
			}
			if entered < 0 {
				continue
			}
			answered := false
			for _, s := range t.Records[i+1:] {
				answered = answered || s.Dir.From() == side && s.ConnID(side) == id
			}
			// The first FIN that put the end in TIME-WAIT was answered;
			// one it took there afterwards was not.
			if !answered && entered < r.Arrived {
				e.Observe("the %s (lneto) took the FIN #%d in TIME-WAIT and answered nothing", side, r.Index)
				e.EndAccepting(LnetoTimeWaitUntimed)
			}
		}
	}
}

// lnetoHeldOutOfOrder reports whether side is a lneto end that took a data
// segment ahead of RCV.NXT and held it: then a stream it delivered changed
// is LnetoReorderedDataCorrupted (a Read that empties its receive ring
// moves the ring away from the held bytes), recorded here.
func (e *Env) lnetoHeldOutOfOrder(side harness.Side) bool {
	if e.PeerKind(side) != Lneto {
		return false
	}
	var in []*harness.Record
	for _, r := range e.Net.Trace().Records {
		if r.Dir.From() != side && r.Reached && r.PayloadLen > 0 && r.ParseErr == nil {
			in = append(in, r)
		}
	}
	slices.SortFunc(in, harness.CompareArrivals)
	next, started := uint32(0), false
	for _, r := range in {
		end := r.RelSeq + uint32(r.PayloadLen)
		switch {
		case !started:
			next, started = end, true
		case Rel(next).LessThan(Rel(r.RelSeq)):
			e.Observe("the %s (lneto) took #%d (seq %d) ahead of %d, the next it expected", side, r.Index, r.RelSeq, next)
			e.Deviates(LnetoReorderedDataCorrupted)
			return true
		case Rel(next).LessThan(Rel(end)):
			next = end
		}
	}
	return false
}

// lnetoChallengeRun is how many pure ACKs in a row, all of one
// acknowledgment number, a lneto end sends before it aborts a connection
// on unacceptable segments: its maxChallengeRejects (8) and the one that
// tips it over (tcp/control.go).
const lnetoChallengeRun = 8

// lnetoAbortedOnUnacceptable ends the run accepting
// LnetoAbortsAfterUnacceptableSegments if a lneto end's connection went
// from a synchronized state to CLOSED with no RST reaching it and no
// Abort asked, right after a run of lnetoChallengeRun or more pure ACKs
// of one acknowledgment number: lneto's answers to unacceptable segments,
// the last of which tipped it over.
func (e *Env) lnetoAbortedOnUnacceptable() {
	t := e.Net.Trace()
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.PeerKind(side) != Lneto {
			continue
		}
		for _, c := range t.Changes {
			if c.Side != side || c.To != harness.Closed || c.From == harness.SynSent || c.From == harness.Listen || c.From == harness.TimeWait {
				continue
			}
			run, ack, reset := 0, uint32(0), false
			for _, r := range t.Records {
				if r.At > c.At {
					break
				}
				if r.ConnID(side) != c.ID {
					continue
				}
				if r.Dir.From() != side {
					reset = reset || r.Reached && r.Packet.TCP.Flags.Has(packet.RST)
					continue
				}
				switch {
				case r.At == c.At && r.Packet.TCP.Flags.Has(packet.RST):
					// The listener's answer to a segment for the connection
					// just aborted, sent at the same instant.
				case r.Packet.TCP.Flags != packet.ACK || r.PayloadLen > 0:
					run = 0
				case run > 0 && r.RelAck == ack:
					run++
				default:
					run, ack = 1, r.RelAck
				}
			}
			if !reset && run >= lnetoChallengeRun {
				e.Observe("the %s (lneto) went %v -> CLOSED at %v after %d ACKs of %d in a row, with no RST", side, c.From, c.At, run, ack)
				e.EndAccepting(LnetoAbortsAfterUnacceptableSegments)
			}
		}
	}
}

// LnetoResetUnreported reports whether err, from a call on c after a RST
// ended its connection, is lneto's net.ErrClosed where the RFC has
// "connection reset" (LnetoResetNotReported): c's end is lneto, a RST
// reached it on c's connection, and it then went CLOSED. It records the
// deviation when so.
func (e *Env) LnetoResetUnreported(c harness.Conn, err error) bool {
	side := e.Side(c)
	if e.PeerKind(side) != Lneto || !errors.Is(err, net.ErrClosed) || c.State() != harness.Closed {
		return false
	}
	for _, r := range e.Net.Trace().Records {
		if r.Dir.From() != side && r.Reached && r.Packet.TCP.Flags.Has(packet.RST) && r.ConnID(side) == c.ID() {
			e.Deviates(LnetoResetNotReported)
			return true
		}
	}
	return false
}

// lnetoStalledOnZeroWindow ends the run accepting LnetoNoZeroWindowProbe
// if the last segment that reached side's lneto end shut its send window
// (window 0), an initial RTO or more ago, and it has sent no data since:
// with the update that reopens the window lost, it never learns of it.
func (e *Env) lnetoStalledOnZeroWindow(side harness.Side) {
	var last *harness.Record
	for _, r := range e.Net.Trace().Records {
		if r.Dir.From() != side && r.Reached && r.ParseErr == nil && !r.Packet.TCP.Flags.Has(packet.RST) {
			last = r
		}
	}
	if last == nil || last.Packet.TCP.Window != 0 || e.Now()-last.Arrived < rfc6298InitialRTO {
		return
	}
	for _, r := range e.Net.Trace().Records {
		if r.Dir.From() == side && r.At >= last.Arrived && r.PayloadLen > 0 {
			return
		}
	}
	e.Observe("the %s (lneto) took window 0 from #%d at %v and sent no data after it", side, last.Index, last.Arrived)
	e.EndAccepting(LnetoNoZeroWindowProbe)
}

// errEndedAccepting is peerBroke's verdict on a sender storm a registered
// deviation explains (lnetoEndlessResend): the run passes with it noted.
var errEndedAccepting = errors.New("conformance: the run ended on a registered deviation")

// lnetoStormCopies is how many copies of one segment, in a row, make
// lneto's endless resend: far more than any fast retransmission sends.
const lnetoStormCopies = 64

// lnetoEndlessResend reports whether the sender storm that stopped the
// run is LnetoEndlessResend, and records it: a lneto end whose last
// lnetoStormCopies segments all carry the same data at the same sequence
// number.
func (e *Env) lnetoEndlessResend() bool {
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.PeerKind(side) != Lneto {
			continue
		}
		var last []*harness.Record
		for _, r := range e.Net.Trace().Records {
			if r.Dir.From() == side {
				last = append(last, r)
			}
		}
		if len(last) < lnetoStormCopies {
			continue
		}
		last = last[len(last)-lnetoStormCopies:]
		same := last[0].PayloadLen > 0
		for _, r := range last {
			same = same && r.RelSeq == last[0].RelSeq && r.PayloadLen == last[0].PayloadLen
		}
		if same {
			e.Observe("the %s (lneto) sent seq %d:%d %d times in a row, and was stopped", side, last[0].RelSeq, last[0].RelSeq+uint32(last[0].PayloadLen), lnetoStormCopies)
			e.Deviates(LnetoEndlessResend)
			return true
		}
	}
	return false
}

// lnetoLeftHalfClose ends the run accepting LnetoFINFromCloseWaitUnasked
// when a check that c's end is in a half-closed state (CLOSE-WAIT at the
// end that took a FIN, FIN-WAIT-2 at the end that sent it) fails because
// a lneto end sent its own FIN unasked: it entered LAST-ACK at the very
// instant it entered CLOSE-WAIT, with the ACK of the other end's FIN.
// The half-close the scenario is about cannot happen.
func (e *Env) lnetoLeftHalfClose(c harness.Conn, want harness.State) {
	if want != harness.CloseWait && want != harness.FinWait2 {
		return
	}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.PeerKind(side) != Lneto {
			continue
		}
		id := c.ID()
		if side != e.Side(c) {
			id = id.Reverse()
		}
		h := e.Net.History(side, id)
		for i := 1; i < len(h); i++ {
			if h[i-1].To == harness.CloseWait && h[i].To == harness.LastAck && h[i].At == h[i-1].At {
				e.Observe("the %s (lneto) went CLOSE-WAIT -> LAST-ACK at once, at %v", side, h[i].At)
				e.EndAccepting(LnetoFINFromCloseWaitUnasked)
			}
		}
	}
}

// lnetoSentUnaskedFIN ends the run accepting LnetoFINFromCloseWaitUnasked
// when recs, packets a check did not expect, hold a FIN a lneto end sent
// the instant it entered CLOSE-WAIT: the FIN its application never asked
// for, which no check of a half-close can expect.
func (e *Env) lnetoSentUnaskedFIN(recs []*harness.Record) {
	for _, r := range recs {
		side := r.Dir.From()
		if e.PeerKind(side) != Lneto || !r.Packet.TCP.Flags.Has(packet.FIN) {
			continue
		}
		h := e.Net.History(side, r.ConnID(side))
		for i := 1; i < len(h); i++ {
			if h[i-1].To == harness.CloseWait && h[i].To == harness.LastAck && h[i].At == h[i-1].At && h[i].At == r.At {
				e.Observe("the %s (lneto) sent its FIN #%d as it entered CLOSE-WAIT", side, r.Index)
				e.EndAccepting(LnetoFINFromCloseWaitUnasked)
			}
		}
	}
}
