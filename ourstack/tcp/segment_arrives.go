package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// HandleSegment is SEGMENT ARRIVES (RFC 9293 3.10.7) for this connection.
// seg has been parsed and its checksums verified by the Stack. seg (and its
// payload) is not retained after the call.
func (t *TCB) HandleSegment(now time.Time, seg *wire.Segment) Verdict {
	t.stats.SegmentsReceived++
	switch t.state {
	case Closed, Listen:
		// 3.10.7.1: a TCB that is gone answers like no TCB at all. (The TCB
		// never sits in LISTEN: listening is the Stack's.)
		if rst, ok := RespondClosed(seg); ok {
			t.rst = pendingRST{pending: true, seq: rst.Seq, ack: rst.Ack, withACK: rst.Flags.Has(wire.FlagACK)}
		}
		return Handled
	case SynSent:
		t.synSentArrives(now, seg)
		return Handled
	}
	return t.synchronizedArrives(now, seg)
}

// synSentArrives is RFC 9293 3.10.7.3.
func (t *TCB) synSentArrives(now time.Time, seg *wire.Segment) {
	f := seg.Flags
	// First, check the ACK bit: it must acknowledge our SYN and nothing more.
	ackOK := false
	if f.Has(wire.FlagACK) {
		if seg.Ack.LessThanEq(t.iss) || seg.Ack.GreaterThan(t.sndMax) {
			if !f.Has(wire.FlagRST) {
				t.queueRST(seg.Ack, 0, false)
			}
			return
		}
		ackOK = true
	}
	// Second, the RST bit. RFC 5961 3.2: in SYN-SENT an RST is valid only
	// if its ACK acknowledges our SYN; without an ACK it is dropped.
	if f.Has(wire.FlagRST) {
		if ackOK {
			t.terminate(ErrConnectionRefused, now)
		}
		return
	}
	// Third, security: not implemented (RFC 9293 3.10.7.3 allows that).
	// Fourth, the SYN bit.
	if !f.Has(wire.FlagSYN) {
		return // fifth: neither SYN nor RST, drop
	}
	t.irs = seg.Seq
	t.rcvNxt = seg.Seq.Add(1)
	t.opts.negotiateFromSYNACK(t.cfg, seg, now)
	t.recv.setShift(t.opts.rcvShift)
	t.recv.rememberMSS(t.opts.sendMSS)
	t.snd.mssChanged(t)
	// Our SYN advertised an unscaled window (RFC 7323 2.2).
	t.rcvAdv = t.rcvNxt.Add(seqnum.Size(t.recv.synWindow()))
	t.opts.lastAckSent = t.rcvNxt
	t.heardFromPeer(now)
	if !ackOK {
		// Simultaneous open (RFC 9293 figure 7): SYN-RECEIVED, and our SYN
		// goes out again as a SYN-ACK with the same ISS. Text on the SYN is
		// not accepted; the peer sends it again.
		t.setState(SynReceived, now)
		t.setSendWindow(uint32(seg.Window), seg.Seq, seg.Ack)
		t.sndNxt = t.iss
		return
	}
	// Our SYN is acknowledged: ESTABLISHED. RFC 7323 2.2: the window of a
	// SYN-ACK is not scaled.
	t.setSendWindow(uint32(seg.Window), seg.Seq, seg.Ack)
	t.ackArrived(now, seg)
	t.setState(Established, now)
	t.ackNow = true
	if t.finQueued {
		t.setState(FinWait1, now)
	}
	// "If there are other controls or text in the segment, then continue
	// processing at the sixth step below where the URG bit is checked."
	if payload, dataSeq, fin := trimToWindow(seg, t.rcvNxt, t.rcvWnd()); len(payload) > 0 || fin {
		t.acceptText(now, seg, dataSeq, payload, fin)
	}
}

// synchronizedArrives is RFC 9293 3.10.7.4: SYN-RECEIVED and every
// synchronized state.
func (t *TCB) synchronizedArrives(now time.Time, seg *wire.Segment) Verdict {
	f := seg.Flags

	if t.state == TimeWait && f&(wire.FlagSYN|wire.FlagACK|wire.FlagRST) == wire.FlagSYN && t.timeWaitAcceptsSYN(seg) {
		return ReopenFromTimeWait
	}
	if t.state == SynReceived && t.handshakeSpecialCase(now, seg) {
		return Handled
	}

	// RFC 7323 3.2: once both SYNs carried timestamps, "If a non-RST
	// segment is received without a TSopt, a TCP SHOULD silently drop the
	// segment". We take it in, as Linux and gVisor do: dropping it would
	// also silence the answers RFC 9293 and RFC 5961 owe such a segment
	// (the challenge ACK to a SYN, the ACK of an old duplicate), and PAWS
	// below still guards the segments that carry timestamps. Tried and
	// reverted: the catalogue's own injected segments lost those answers.

	// RFC 7323 5.3 R1 (PAWS) runs before the acceptability test: an old
	// duplicate is acknowledged and dropped.
	if t.opts.pawsRejects(seg, now) {
		t.ackNow = true
		return Handled
	}

	// First, check the sequence number (the table of 3.10.7.4).
	wnd := t.rcvWnd()
	segLen := seg.Len()
	if !segmentAcceptable(seg.Seq, segLen, t.rcvNxt, wnd) {
		if f.Has(wire.FlagRST) {
			return Handled // an unacceptable RST is dropped silently
		}
		// "send an acknowledgment: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>"
		t.ackNow = true
		if segLen > 0 && seg.Seq.LessThan(t.rcvNxt) {
			t.recv.enterQuickAck() // the peer retransmits: it is recovering
			t.noteOldData(seg)
		}
		if t.state == TimeWait && f.Has(wire.FlagFIN) && seg.Seq.Add(segLen) == t.rcvNxt {
			// The peer did not hear our ACK of its FIN and sent the FIN
			// again: "Acknowledge it, and restart the 2 MSL timeout."
			t.arm(timerTimeWait, now.Add(2*t.cfg.MSL))
		}
		return Handled
	}
	t.heardFromPeer(now)

	// Second, the RST bit.
	if f.Has(wire.FlagRST) {
		t.rstArrives(now, seg)
		return Handled
	}
	// RFC 7323 4.3: TS.Recent from a segment that passed the checks.
	t.opts.updateTSRecent(seg, now)

	// Third, security and precedence: not implemented.

	// Fourth, the SYN bit. RFC 5961 4.2 (RFC 9293 3.10.7.4): in a
	// synchronized state a SYN, whatever its sequence number, draws a
	// challenge ACK and is dropped.
	if f.Has(wire.FlagSYN) {
		if t.state == SynReceived && !t.activeOpen {
			// "If the connection was initiated with a passive OPEN, then
			// return this connection to the LISTEN state": this half-open
			// TCB is done (a retransmission of the SYN that made it was
			// answered above).
			t.terminate(ErrConnectionReset, now)
			return Handled
		}
		t.challengeACK(now)
		return Handled
	}

	// Fifth, the ACK field. "if the ACK bit is off, drop the segment."
	if !f.Has(wire.FlagACK) {
		return Handled
	}
	if t.state == SynReceived {
		// "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED state."
		if !seg.Ack.GreaterThan(t.sndUna) || seg.Ack.GreaterThan(t.sndMax) {
			t.queueRST(seg.Ack, 0, false) // <SEQ=SEG.ACK><CTL=RST>
			return Handled
		}
		t.setSendWindow(uint32(seg.Window)<<t.opts.sndShift, seg.Seq, seg.Ack)
		t.setState(Established, now)
		if t.finQueued {
			t.setState(FinWait1, now)
		}
	}
	if seg.Ack.GreaterThan(t.sndMax) {
		// "If the ACK acks something not yet sent (SEG.ACK > SND.NXT) then
		// send an ACK, drop the segment, and return." Rate-limited like a
		// challenge ACK so that two confused ends cannot ACK each other
		// forever.
		t.challengeACK(now)
		return Handled
	}
	// RFC 5961 5.2: an ACK older than the largest window the peer ever
	// offered is not from this connection's recent past.
	if seg.Ack.LessThan(t.sndUna.Add(seqnum.Size(0) - seqnum.Size(t.maxSndWnd))) {
		t.challengeACK(now)
		return Handled
	}
	finWasAcked := t.finAcked()
	t.ackArrived(now, seg)
	if t.finAcked() && !finWasAcked {
		switch t.state {
		case FinWait1:
			t.setState(FinWait2, now)
			if t.recv.readClosed {
				t.arm(timerFinWait2, now.Add(2*t.cfg.MSL))
			}
		case Closing:
			t.setState(TimeWait, now)
		case LastAck:
			t.setState(Closed, now)
			return Handled
		}
	}
	if t.state == Closing {
		return Handled // waiting for the ACK of our FIN; nothing else matters
	}

	// Sixth, the URG bit: the urgent pointer is not supported (RFC 6093
	// advises new applications not to use it); urgent data is delivered
	// inline like any other.

	// Seventh and eighth: the segment text and the FIN.
	t.noteOldData(seg)
	payload, dataSeq, fin := trimToWindow(seg, t.rcvNxt, wnd)
	if len(payload) > 0 || fin {
		t.acceptText(now, seg, dataSeq, payload, fin)
	} else if segLen > 0 {
		// Everything was outside the window (a zero-window probe, say):
		// tell the peer where we are.
		t.ackNow = true
	}
	return Handled
}

// noteOldData reports the part of seg's data below RCV.NXT, which we have
// already, as a duplicate (RFC 2883 4, a D-SACK block below the cumulative
// ACK).
func (t *TCB) noteOldData(seg *wire.Segment) {
	dataSeq := seg.Seq
	if seg.Flags.Has(wire.FlagSYN) {
		dataSeq = dataSeq.Add(1)
	}
	if len(seg.Payload) == 0 || !dataSeq.LessThan(t.rcvNxt) {
		return
	}
	t.noteDuplicate(dataSeq, seqnum.Min(dataSeq.Add(seqnum.Size(len(seg.Payload))), t.rcvNxt))
}

// segmentAcceptable is the acceptability test of RFC 9293 3.10.7.4:
//
//	Segment Length  Receive Window  Test
//	0               0               SEG.SEQ = RCV.NXT
//	0               >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	>0              0               not acceptable
//	>0              >0              RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//	                                or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
//
// One allowance: "If the RCV.WND is zero, no segments will be acceptable,
// but special allowance should be made to accept valid ACKs, URGs, and RSTs."
// A segment starting exactly at RCV.NXT is let through to the ACK step; its
// text is trimmed away as lying outside the window.
func segmentAcceptable(seq seqnum.Value, segLen seqnum.Size, rcvNxt seqnum.Value, wnd seqnum.Size) bool {
	switch {
	case segLen == 0 && wnd == 0:
		return seq == rcvNxt
	case segLen == 0:
		return seq.InWindow(rcvNxt, wnd)
	case wnd == 0:
		return seq == rcvNxt
	default:
		return seq.InWindow(rcvNxt, wnd) || seq.Add(segLen-1).InWindow(rcvNxt, wnd)
	}
}

// trimToWindow cuts an acceptable segment down to the part inside
// [RCV.NXT, RCV.NXT+RCV.WND) (RFC 9293 3.10.7.4: "segments with higher
// beginning sequence numbers ... should be trimmed"). fin is kept only when
// the FIN's own sequence number is inside the window.
func trimToWindow(seg *wire.Segment, rcvNxt seqnum.Value, wnd seqnum.Size) (payload []byte, dataSeq seqnum.Value, fin bool) {
	payload = seg.Payload
	dataSeq = seg.Seq
	if seg.Flags.Has(wire.FlagSYN) {
		dataSeq = dataSeq.Add(1)
	}
	fin = seg.Flags.Has(wire.FlagFIN)
	if dataSeq.LessThan(rcvNxt) {
		cut := dataSeq.Size(rcvNxt)
		if int64(cut) >= int64(len(payload)) {
			finSeq := dataSeq.Add(seqnum.Size(len(payload)))
			if fin && finSeq.LessThan(rcvNxt) {
				fin = false // a FIN we already have
			}
			payload = nil
		} else {
			payload = payload[cut:]
		}
		dataSeq = rcvNxt
	}
	edge := rcvNxt.Add(wnd)
	if end := dataSeq.Add(seqnum.Size(len(payload))); end.GreaterThan(edge) {
		keep := 0
		if edge.GreaterThan(dataSeq) {
			keep = int(dataSeq.Size(edge))
		}
		payload = payload[:keep]
		fin = false
	} else if fin && end == edge {
		fin = false // the FIN's sequence number is just outside
	}
	return payload, dataSeq, fin
}

// handshakeSpecialCase covers two segments SYN-RECEIVED must answer before
// the 3.10.7.4 checks, which would otherwise turn them into a bare ACK:
//
//   - the peer's SYN again (it did not hear our SYN-ACK): send the SYN-ACK
//     again, as Linux does (tcp_check_req);
//   - in a simultaneous open, the peer's SYN-ACK (RFC 9293 figure 7, line
//     6): its SYN is one we already have, its ACK completes our handshake.
//     Linux lets exactly this segment through (tcp_validate_incoming).
func (t *TCB) handshakeSpecialCase(now time.Time, seg *wire.Segment) bool {
	f := seg.Flags
	if !f.Has(wire.FlagSYN) || f.Has(wire.FlagRST) || seg.Seq != t.irs {
		return false
	}
	if !f.Has(wire.FlagACK) {
		if t.activeOpen {
			return false
		}
		t.resendSyn = true
		return true
	}
	if !t.activeOpen || seg.Ack != t.iss.Add(1) || t.sndMax != t.iss.Add(1) {
		return false
	}
	if t.opts.tsOK && seg.Options.HasTimestamps {
		t.opts.tsRecent, t.opts.tsRecentAt = seg.Options.TSVal, now
	}
	t.heardFromPeer(now)
	t.setSendWindow(uint32(seg.Window), seg.Seq, seg.Ack) // a SYN's window: unscaled
	t.ackArrived(now, seg)
	t.setState(Established, now)
	if t.finQueued {
		t.setState(FinWait1, now)
	}
	t.ackNow = true
	return true
}

// rstArrives is the second check of RFC 9293 3.10.7.4 with RFC 5961 3.2:
// only an RST at exactly RCV.NXT resets; one elsewhere in the window draws a
// challenge ACK (the sequence-number test has already dropped the rest).
func (t *TCB) rstArrives(now time.Time, seg *wire.Segment) {
	if t.state == TimeWait {
		// RFC 1337 ("TIME-WAIT Assassination Hazards") fix 1: ignore RST
		// segments in TIME-WAIT, so an old RST cannot cut the 2MSL wait
		// short. RFC 9293 says to close; Linux (rfc1337 sysctl off) closes
		// too. We follow RFC 1337.
		return
	}
	if seg.Seq != t.rcvNxt {
		t.challengeACK(now)
		return
	}
	switch t.state {
	case SynReceived:
		if t.activeOpen {
			// "If this connection was initiated with an active OPEN ...
			// the connection was refused."
			t.terminate(ErrConnectionRefused, now)
			return
		}
		// Passive OPEN: "return this connection to LISTEN state": the
		// listener is the Stack's; this half-open TCB is simply done.
		t.terminate(ErrConnectionReset, now)
	case Established, FinWait1, FinWait2, CloseWait:
		// "any outstanding RECEIVEs and SEND should receive reset
		// responses. All segment queues should be flushed."
		t.terminate(ErrConnectionReset, now)
	case Closing, LastAck:
		t.terminate(nil, now)
	}
}

// timeWaitAcceptsSYN decides whether a SYN arriving in TIME-WAIT may start a
// new incarnation (RFC 9293 3.10.7.4 fourth check's note, RFC 6191 2): with
// timestamps on both, its TSval must exceed the last one seen; otherwise its
// sequence number must lie beyond the old connection's final RCV.NXT.
func (t *TCB) timeWaitAcceptsSYN(seg *wire.Segment) bool {
	if t.opts.tsOK && seg.Options.HasTimestamps {
		return tsLess(t.opts.tsRecent, seg.Options.TSVal)
	}
	return seg.Seq.GreaterThan(t.rcvNxt)
}

// challengeACK sends the ACK of RFC 5961 3.2, 4.2 and 5.2, at most
// ChallengeACKLimit per second (RFC 5961 7).
func (t *TCB) challengeACK(now time.Time) {
	c := &t.challenge
	if c.windowStart.IsZero() || now.Sub(c.windowStart) >= time.Second {
		c.windowStart, c.sent = now, 0
	}
	if c.sent >= t.cfg.ChallengeACKLimit {
		return
	}
	c.sent++
	t.stats.ChallengeACKs++
	t.ackNow = true
}

// challengeLimiter counts challenge ACKs in the current one-second window.
type challengeLimiter struct {
	windowStart time.Time
	sent        int
}

// queueRST makes the next Poll send an RST.
func (t *TCB) queueRST(seq, ack seqnum.Value, withACK bool) {
	t.rst = pendingRST{pending: true, seq: seq, ack: ack, withACK: withACK}
}

// setSendWindow takes the peer's window (already scaled) from a segment that
// passed the SND.WL1/SND.WL2 test.
func (t *TCB) setSendWindow(wnd uint32, seq, ack seqnum.Value) {
	t.sndWnd = wnd
	t.maxSndWnd = max(t.maxSndWnd, wnd)
	t.sndWl1, t.sndWl2 = seq, ack
}
