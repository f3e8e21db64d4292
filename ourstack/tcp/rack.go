package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// RACK's time-based loss detection (RFC 8985 6) for every segment, not only
// retransmissions (lost_retransmit.go): "a segment is lost if a segment
// sent after it has been delivered and the reordering window has elapsed".
// RFC 6675's IsLost needs DupThresh segments SACKed above a hole; a flight
// of two or three segments, as NewReno's window is on a wire that loses one
// packet in twenty, never has them, and the hole waits for the
// retransmission timer: a full second at RFC 6298's floor. The trace that
// showed it (bulk-transfer-lossy, NewReno, 10 ms / 100 Mbit/s, seed 4):
// one segment lost in a flight of two, TLP's probe delivered and SACKed,
// two segments SACKed above the hole, then 1.01 s of silence until the RTO.
// RACK marks the hole lost on the probe's ACK: the probe was sent after it,
// was delivered, and the hole has been out longer than RTT + reo_wnd.
//
// What this keeps is RFC 8985's per-segment transmit time for original
// transmissions (retransmissions keep theirs in the recovery's log), and
// RACK.xmit_ts, RACK.end_seq and RACK.rtt of the most recently sent segment
// known delivered. Original transmissions go out in sequence order, so the
// segments RACK finds lost are a prefix of the log: everything unSACKed
// below lostEnd. RFC 8985 6.3's reordering timer is not kept: a hole too
// young at one ACK is looked at again on the next, else TLP and the RTO
// stand behind it.

// maxRACKLog bounds the log of original transmissions; a flight longer than
// this leaves its newest segments to RFC 6675 alone.
const maxRACKLog = 1 << 14

// sentSegment is one original transmission still above SND.UNA.
type sentSegment struct {
	end seqnum.Value
	at  time.Time
}

type rackState struct {
	// log holds the original transmissions above SND.UNA, in send order,
	// which is sequence order.
	log []sentSegment
	// xmitTS, endSeq and rtt are RACK.xmit_ts, RACK.end_seq and RACK.rtt
	// (RFC 8985 6.1).
	xmitTS time.Time
	endSeq seqnum.Value
	rtt    time.Duration
	// lostEnd: every unSACKed octet below it is lost by RACK's rule.
	lostEnd seqnum.Value
	// started: endSeq and lostEnd hold sequence numbers of this connection
	// (set from SND.UNA on the first ACK).
	started bool
}

// rackNoteSent logs the original transmission of [seq, end) at now.
func (t *TCB) rackNoteSent(now time.Time, seq, end seqnum.Value) {
	r := &t.snd.rack
	if !t.opts.sackOK || len(r.log) >= maxRACKLog || seq.LessThan(t.sndMax) {
		return
	}
	r.log = append(r.log, sentSegment{end: end, at: now})
}

// rackReset forgets the log: after a retransmission timeout everything from
// SND.UNA goes again, and the old transmit times no longer say when what is
// in flight left.
func (t *TCB) rackReset() {
	r := &t.snd.rack
	r.log = r.log[:0]
	r.xmitTS, r.rtt = time.Time{}, 0
	r.endSeq, r.lostEnd, r.started = t.sndUna, t.sndUna, true
}

// rackOnAck runs on each ACK once SND.UNA and the scoreboard are up to
// date: RFC 8985 6.2 steps 1 and 5 (update RACK's delivered segment, then
// detect losses). It reports whether it found new data lost.
func (t *TCB) rackOnAck(now time.Time, una seqnum.Value) bool {
	r := &t.snd.rack
	if !t.opts.sackOK {
		return false
	}
	if !r.started {
		r.endSeq, r.lostEnd, r.started = una, una, true
	}
	// Step 1: the most recently sent segment this ACK shows delivered. The
	// log is in sequence order: the newest delivered is the one holding
	// the highest SACKed octet, or, with nothing SACKed above SND.UNA, the
	// last one SND.UNA passed.
	sb := &t.snd.recovery.scoreboard
	delivered := -1
	popped := 0
	for popped < len(r.log) && r.log[popped].end.LessThanEq(una) {
		popped++
	}
	if popped > 0 {
		delivered = popped - 1
	}
	if high := sb.HighestSACKed(); high.GreaterThan(una) {
		for i := len(r.log) - 1; i >= popped; i-- {
			if r.log[i].end.LessThanEq(high) {
				if sb.IsSACKed(r.log[i].end - 1) {
					delivered = i
				}
				break
			}
		}
	}
	if delivered >= 0 {
		d := r.log[delivered]
		if r.xmitTS.IsZero() || d.at.After(r.xmitTS) || d.at.Equal(r.xmitTS) && d.end.GreaterThan(r.endSeq) {
			r.xmitTS, r.endSeq, r.rtt = d.at, d.end, now.Sub(d.at)
		}
	}
	r.log = r.log[:copy(r.log, r.log[popped:])]
	r.lostEnd = seqnum.Max(r.lostEnd, una)

	// Step 5: a segment sent no later than RACK.xmit_ts, and out longer
	// than RACK.rtt + reo_wnd, is lost. Without an RTT sample there is no
	// reordering window to wait (SRTT/4), as for TLP (loss_probe.go).
	if r.xmitTS.IsZero() || !t.rto.HasSample() {
		return false
	}
	// Never less than minPTO: like the probe timer, the rule stays above a
	// real clock's granularity, and a flight sent and SACKed within one
	// instant is not called lost by its first SACK.
	wait := max(r.rtt+t.reorderWindow(), minPTO)
	lostEnd := r.lostEnd
	for _, s := range r.log {
		if s.at.After(r.xmitTS) || !s.end.LessThan(r.endSeq) || now.Sub(s.at) < wait {
			break
		}
		lostEnd = s.end
	}
	if !lostEnd.GreaterThan(r.lostEnd) {
		return false
	}
	r.lostEnd = lostEnd
	return sb.UnSACKed(una, lostEnd) > 0
}

// rackLostAtUna: RACK finds the data at SND.UNA lost, which starts SACK
// recovery as RFC 6675's IsLost(SND.UNA) does (RFC 8985 6.2: "mark the
// segment lost ... and enter fast recovery").
func (t *TCB) rackLostAtUna() bool {
	return t.opts.sackOK && t.snd.rack.started && t.snd.rack.lostEnd.GreaterThan(t.sndUna)
}

// rackUncountedLost is how many octets of pipe RFC 6675 counts as in
// flight that RACK found lost: unSACKed, not yet retransmitted (at or above
// HighRxt+1), and above the point below which IsLost already has them.
func (t *TCB) rackUncountedLost() int {
	rec := &t.snd.recovery
	if !t.snd.rack.started {
		return 0
	}
	from := seqnum.Max(seqnum.Max(t.sndUna, rec.highRxt), rec.scoreboard.LostBelow(t.sndUna, t.opts.sendMSS))
	return rec.scoreboard.UnSACKed(from, seqnum.Min(t.snd.rack.lostEnd, t.sndMax))
}

// rackNextLost is the first hole at or above HighRxt+1 that RACK found
// lost, at most one SMSS and not past lostEnd.
func (t *TCB) rackNextLost() (seq seqnum.Value, n int, ok bool) {
	rec := &t.snd.recovery
	seq, n, ok = rec.scoreboard.NextSeg(t.sndUna, t.sndMax, rec.highRxt, t.opts.sendMSS)
	if !ok || !t.snd.rack.started || !seq.LessThan(t.snd.rack.lostEnd) {
		return 0, 0, false
	}
	return seq, min(n, int(seq.Size(t.snd.rack.lostEnd))), true
}
