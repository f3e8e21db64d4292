package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// The persist timer (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17) has two jobs.
//
// Zero window: while the peer's window is zero and we have something to
// send, the persist timer (not the retransmission timer) watches the
// connection. Each time it fires a probe goes out: one octet at SND.UNA
// ("the sending TCP peer must be prepared to accept from the user and send
// at least one octet of new data even if the send window is zero", RFC
// 9293 3.8.6.1), new data the first time, the same octet again after that.
// The first probe comes one RTO after the window closed, the next ones
// exponentially further apart, capped at MaxRTO. The connection is never
// given up while the peer answers the probes (RFC 1122 4.2.2.17: "MUST NOT
// close the connection as long as the receiving TCP continues to send
// acknowledgments"); DataRetries unanswered probes end it with ErrTimedOut.
//
// Small window: when sender SWS avoidance holds back a short segment and
// nothing in flight will bring an ACK, the persist timer is the "override
// timeout" of RFC 9293 3.8.6.2.1: it lets the short segment go.

// zeroWindow reports that the peer's window is closed while something
// (data or our FIN) waits to be sent or acknowledged.
func (t *TCB) zeroWindow() bool {
	if t.sndWnd != 0 || !t.canSendData() {
		return false
	}
	return t.sndUna.LessThan(t.dataEnd()) || t.finQueued && !t.finAcked()
}

// persistInterval is the time until the next probe: RTO, doubled for each
// probe already sent, at most MaxRTO.
func (t *TCB) persistInterval() time.Duration {
	d := t.rto.RTO()
	for i := 0; i < t.snd.persistBackoff && d < t.cfg.MaxRTO; i++ {
		d *= 2
	}
	return min(d, t.cfg.MaxRTO)
}

// updatePersist arms or disarms the persist timer after Poll has sent what
// it could.
func (t *TCB) updatePersist(now time.Time) {
	if t.zeroWindow() {
		// The probes watch the connection now, not the retransmission
		// timer: their backoff is theirs, and they never give up while
		// answered.
		t.disarm(timerRetransmit)
		t.armIfIdle(timerPersist, now.Add(t.persistInterval()))
		return
	}
	if t.sndMax != t.sndUna && !t.armed(timerRetransmit) {
		// The window has opened with data (a probe octet, say) still
		// unacknowledged: the retransmission timer takes over again.
		t.arm(timerRetransmit, now.Add(t.rto.RTO()))
	}
	waiting := t.sndNxt.LessThan(t.dataEnd()) || t.finQueued && t.sndNxt.LessThanEq(t.snd.finSeq)
	if !waiting || t.sndMax != t.sndUna {
		t.disarm(timerPersist)
		t.snd.persistBackoff = 0
		return
	}
	// Sender SWS avoidance holds a short segment and nothing is in flight.
	t.armIfIdle(timerPersist, now.Add(t.persistInterval()))
}

// persistTimeout: probe a zero window, or override SWS avoidance.
func (t *TCB) persistTimeout(now time.Time) {
	s := &t.snd
	if !t.zeroWindow() {
		s.persistBackoff++
		s.forceSend = true
		return
	}
	if !s.lastProbe.IsZero() && t.lastHeard.Before(s.lastProbe) {
		// The last probe went unanswered.
		if s.retries >= t.cfg.DataRetries {
			t.terminate(t.timeoutErr(), now)
			return
		}
		s.retries++
	}
	s.persistBackoff++
	s.zeroWindowProbe = true
}

// sendWindowProbe sends one octet at SND.UNA (or the FIN, if that is all
// that is left), whatever the window. SND.NXT does not move: when the window
// opens, the octet goes again with the data after it, unless the peer took
// it and acknowledged it.
func (t *TCB) sendWindowProbe(now time.Time, emit func(seg *wire.Segment)) {
	s := &t.snd
	s.zeroWindowProbe = false
	s.lastProbe = now
	seq := t.sndUna
	seg := t.segment(now, wire.FlagACK, seq)
	if seq.LessThan(t.dataEnd()) {
		seg.Payload = t.sendBuf.SliceSeq(seq, 1)
	} else if t.finQueued && seq == t.snd.finSeq {
		seg.Flags |= wire.FlagFIN
	} else {
		return
	}
	if seq.LessThan(t.sndMax) {
		t.stats.Retransmits++
	}
	s.timing = false
	t.sndMax = seqnum.Max(t.sndMax, seq.Add(1))
	t.send(seg, emit)
}

// sendKeepalive sends the RFC 1122 4.2.3.6 probe: SEG.SEQ = SND.NXT-1 (we
// use SND.UNA-1: the connection is idle, so they are equal) and no data,
// which the peer finds unacceptable and answers with an ACK. Linux's
// tcp_xmit_probe_skb sends the same.
func (t *TCB) sendKeepalive(now time.Time, emit func(seg *wire.Segment)) {
	t.keepalive.probeDue = false
	seg := t.segment(now, wire.FlagACK, t.sndUna.Add(^seqnum.Size(0)))
	t.send(seg, emit)
}
