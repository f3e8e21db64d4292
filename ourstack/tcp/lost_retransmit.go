package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Lost retransmissions during SACK recovery, detected by RACK's rule (RFC
// 8985 6.2): "a segment is lost if a segment sent after it has been
// delivered and the reordering window has elapsed". RFC 6675 retransmits
// each hole once per recovery (HighRxt only moves up), so when a
// retransmission is lost too, nothing but the retransmission timer repairs
// it: 200 ms or more of silence, then go-back-N from a one-segment window.
// On a wire that loses 5% of packets one retransmission in twenty is lost
// that way. RACK tells by time: once data sent after the retransmission has
// been SACKed, and more than RTT plus a reordering window has passed since
// the retransmission went out, it is lost and goes again.
//
// This is the part of RACK that RFC 6675's duplicate counting lacks;
// first-time losses are still found by RFC 6675's IsLost.

// maxTrackedRetransmits bounds the log; a recovery with more holes than this
// falls back on the retransmission timer for the rest, as before.
const maxTrackedRetransmits = 256

// retransmission is one segment resent during SACK recovery.
type retransmission struct {
	seq, end seqnum.Value
	at       time.Time
	// sndMax was SND.MAX when it went: data at or beyond it was sent later.
	sndMax seqnum.Value
	// lost: RACK's rule found it lost; pollSACKRecovery sends it again.
	lost bool
}

// noteRetransmit logs a retransmission of [seq, seq+n) made in SACK
// recovery, replacing an older entry for the same segment.
func (t *TCB) noteRetransmit(now time.Time, seq seqnum.Value, n seqnum.Size) {
	rec := &t.snd.recovery
	t.noteRecoveryRetransmit(now, seq, n)
	r := retransmission{seq: seq, end: seq.Add(n), at: now, sndMax: t.sndMax}
	for i := range rec.rxts {
		if rec.rxts[i].seq == seq {
			rec.rxts[i] = r
			return
		}
	}
	if len(rec.rxts) < maxTrackedRetransmits {
		rec.rxts = append(rec.rxts, r)
	}
}

// reorderWindow is RACK's reo_wnd (RFC 8985 6.2 step 4), which the RFC
// sets to min(reo_wnd_mult * min_RTT/4, SRTT), widening reo_wnd_mult on each
// D-SACK that shows a retransmission spurious. We hold it at its cap,
// SRTT: slower to call a loss, never quicker. gVisor sends no D-SACK, so
// the multiplier would stay at 1 against it however far the path
// reorders, and bulk-transfer-lossy's wire holds a packet up to 10 ms,
// half its RTT: with a quarter RTT, RACK called reordered segments lost
// and ourstack on CUBIC took 48.3 s instead of 38.8 s (ours->gvisor, seeds
// 1-5, bench.LossRecovery).
func (t *TCB) reorderWindow() time.Duration { return t.rto.SRTT() }

// detectLostRetransmits runs on each ACK during SACK recovery: it forgets
// retransmissions the ACK shows delivered (cumulatively or SACKed) and marks
// lost those RFC 8985 6.2's rule convicts. It reports whether it marked any.
func (t *TCB) detectLostRetransmits(now time.Time) bool {
	rec := &t.snd.recovery
	sb := &rec.scoreboard
	wait := t.rto.SRTT() + t.reorderWindow()
	highest := sb.HighestSACKed()
	marked := false
	kept := rec.rxts[:0]
	for _, r := range rec.rxts {
		if !r.end.GreaterThan(t.sndUna) || sb.IsSACKed(seqnum.Max(r.seq, t.sndUna)) {
			continue // delivered
		}
		if !r.lost && sb.SACKedBytes() > 0 && highest.GreaterThan(r.sndMax) && now.Sub(r.at) >= wait {
			r.lost = true
			marked = true
		}
		kept = append(kept, r)
	}
	rec.rxts = kept
	return marked
}

// lostRetransmitBytes is how much of the flight RACK found lost again: not
// in the network, so not in pipe (RFC 6675 counts every retransmitted octet
// below HighRxt as in flight).
func (t *TCB) lostRetransmitBytes() int {
	n := 0
	for _, r := range t.snd.recovery.rxts {
		if r.lost {
			n += int(seqnum.Max(r.seq, t.sndUna).Size(r.end))
		}
	}
	return n
}

// resendLostRetransmit sends the first retransmission marked lost, if any,
// and reports whether it sent one.
func (t *TCB) resendLostRetransmit(now time.Time, emit func(seg *wire.Segment)) bool {
	rec := &t.snd.recovery
	for i := range rec.rxts {
		r := &rec.rxts[i]
		if !r.lost {
			continue
		}
		seq := seqnum.Max(r.seq, t.sndUna)
		sent := t.retransmitSegment(now, seq, int(seq.Size(r.end)), emit)
		if sent == 0 {
			r.lost = false
			continue
		}
		t.stats.LostRetransmits++
		*r = retransmission{seq: seq, end: seq.Add(sent), at: now, sndMax: t.sndMax}
		return true
	}
	return false
}
