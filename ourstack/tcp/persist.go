package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// pollProbes sends a zero-window probe or a keep-alive when one is due.
// Both are the same segment: an ACK with SEG.SEQ = SND.UNA-1 and no data,
// which the peer finds unacceptable and answers with an ACK carrying its
// current window (RFC 9293 3.8.6.1 allows a probe of zero data; Linux's
// tcp_xmit_probe_skb sends exactly this; RFC 1122 4.2.3.6 for keep-alives).
func (t *TCB) pollProbes(now time.Time, emit func(seg *wire.Segment)) {
	if !t.snd.zeroWindowProbe && !t.keepalive.probeDue {
		return
	}
	t.snd.zeroWindowProbe = false
	t.keepalive.probeDue = false
	seg := t.segment(now, wire.FlagACK, t.sndUna.Add(^seqnum.Size(0)))
	t.send(seg, emit)
}

// updatePersist arms the persist timer when data (or the FIN) waits, nothing
// is in flight to bring an ACK back, and the window or SWS avoidance holds
// it back; it disarms it otherwise.
func (t *TCB) updatePersist(now time.Time) {
	waiting := t.sndNxt.LessThan(t.dataEnd()) || t.finQueued && t.sndNxt.LessThanEq(t.snd.finSeq)
	if !waiting || t.sndMax != t.sndUna || t.armed(timerRetransmit) {
		t.disarm(timerPersist)
		if !waiting || t.sndWnd > 0 {
			t.snd.persistBackoff = 0
		}
		return
	}
	if t.armed(timerPersist) {
		return
	}
	// RFC 9293 3.8.6.1: the first probe after one RTO, then exponentially
	// further apart (RFC 1122 4.2.2.17), capped at MaxRTO.
	d := t.rto.RTO()
	for i := 0; i < t.snd.persistBackoff && d < t.cfg.MaxRTO; i++ {
		d *= 2
	}
	t.arm(timerPersist, now.Add(min(d, t.cfg.MaxRTO)))
}

// persistTimeout: probe a zero window, or override SWS avoidance.
func (t *TCB) persistTimeout(now time.Time) {
	t.snd.persistBackoff++
	if t.sndWnd == 0 {
		t.snd.zeroWindowProbe = true
	} else {
		t.snd.forceSend = true
	}
}
