package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/congestion"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// recoveryState is fast retransmit and fast recovery: NewReno (RFC 5681 3.2
// with RFC 6582) without SACK, RFC 6675's conservative SACK-based loss
// recovery with it.
type recoveryState struct {
	active bool
	// recover is RFC 6582's "recover" (and RFC 6675's RecoveryPoint) plus
	// one: recovery ends once SND.UNA reaches it.
	recover seqnum.Value
	// recoverSet: recover holds a value (it has none before the first loss).
	recoverSet bool
	// dupAcks counts duplicate ACKs (RFC 5681 2) since SND.UNA last moved.
	dupAcks int
	// retransmitUna asks the next Poll to resend the segment at SND.UNA
	// (NewReno: the fast retransmit and each partial ACK).
	retransmitUna bool
	// highRxt is one past the highest octet retransmitted in this SACK
	// recovery (RFC 6675 HighRxt+1).
	highRxt seqnum.Value
	// scoreboard holds the SACK blocks the peer reported (RFC 6675 3).
	scoreboard congestion.Scoreboard
	// rxts logs this SACK recovery's retransmissions, for RACK's
	// lost-retransmission rule (lost_retransmit.go).
	rxts []retransmission
	// undo remembers what a spurious recovery must restore (spurious_undo.go).
	undo undoState
}

// ackArrived is the fifth step of RFC 9293 3.10.7.4 for an acceptable ACK
// (SND.UNA - MAX.SND.WND =< SEG.ACK =< SND.MAX): advance SND.UNA, drop
// acknowledged data, measure the RTT, feed congestion control and loss
// recovery, manage the retransmission timer, and update the send window.
func (t *TCB) ackArrived(now time.Time, seg *wire.Segment) {
	ack := seg.Ack
	s := &t.snd
	rec := &s.recovery
	newSACK, rackLost := false, false
	if t.opts.sackOK {
		t.noteDSACK(seg)
		newSACK = t.updateScoreboard(seg)
		rackLost = t.rackOnAck(now, seqnum.Max(t.sndUna, ack))
	}

	defer func() {
		if rec.active && t.opts.sackOK && len(rec.rxts) > 0 {
			t.detectLostRetransmits(now)
		}
		t.undoIfDSACKed()
	}()

	switch {
	case ack.GreaterThan(t.sndUna):
		acked := int(t.sndUna.Size(ack))
		dataAcked := acked
		if t.sndUna == t.iss {
			dataAcked-- // the SYN
		}
		if t.finQueued && ack.GreaterThan(t.snd.finSeq) {
			dataAcked-- // the FIN
		}
		if t.sendBuf != nil {
			t.sendBuf.AckTo(ack)
		}
		t.sndUna = ack
		if t.sndNxt.LessThan(ack) {
			t.sndNxt = ack
		}
		s.retries = 0
		s.persistBackoff = 0
		s.lossProbe.outstanding = false
		t.sampleRTT(now, seg)
		if rec.active {
			t.recoveryAck(seg, acked)
		} else {
			if c, ok := s.cc.(congestion.Clocked); ok {
				c.Tick(now, t.rto.SRTT())
			}
			s.cc.OnAck(dataAcked)
		}
		rec.dupAcks = 0
		t.tuneSendBuffer()
		// RFC 6298 5.2 and 5.3.
		if t.sndUna == t.sndMax {
			t.disarm(timerRetransmit)
		} else {
			t.arm(timerRetransmit, now.Add(t.rto.RTO()))
		}
		if newSACK && !rec.active {
			// RFC 6675 5: an ACK with new SACK information counts as a
			// duplicate "regardless of its status as a cumulative
			// acknowledgment".
			rec.dupAcks++
			t.stats.DupACKs++
			t.duplicateAck()
		}
	case ack == t.sndUna && t.isDuplicateACK(seg, newSACK):
		rec.dupAcks++
		t.stats.DupACKs++
		t.duplicateAck()
	}
	if rackLost && !rec.active {
		t.startRecoveryIfLost() // RACK's verdict, on an ACK not counted as a duplicate
	}

	// Send window update (RFC 9293 3.10.7.4): only from a segment newer than
	// the one that last set it. The window of a SYN is not scaled and was
	// taken already.
	if !seg.Flags.Has(wire.FlagSYN) && ack.GreaterThanEq(t.sndUna) &&
		(t.sndWl1.LessThan(seg.Seq) || t.sndWl1 == seg.Seq && t.sndWl2.LessThanEq(ack)) {
		wasClosed := t.sndWnd == 0 && t.canSendData()
		t.setSendWindow(uint32(seg.Window)<<t.opts.sndShift, seg.Seq, ack)
		if wasClosed && t.sndWnd > 0 {
			// The window reopens. Whatever we had sent past SND.UNA met
			// a closed window and was dropped: send it again now rather
			// than one RTO from now.
			t.sndNxt = t.sndUna
		}
	}
}

// isDuplicateACK is RFC 5681 2's definition: outstanding data, no data and
// no SYN or FIN on the segment, the same acknowledgment and the same window
// (checked before the window update). With SACK in use, RFC 6675 2's
// definition replaces it: an ACK that SACKs octets not SACKed before is a
// duplicate whatever its window (a peer whose window moves as its
// application reads would otherwise never send three duplicates); a plain
// RFC 5681 duplicate still counts when it carries no SACK blocks at all.
// Behind a zero window nothing is a duplicate: the ACKs that answer window
// probes look like duplicates but say nothing about loss.
func (t *TCB) isDuplicateACK(seg *wire.Segment, newSACK bool) bool {
	if t.sndWnd == 0 || seg.Window == 0 {
		return false
	}
	if newSACK {
		return true
	}
	if t.opts.sackOK && seg.Options.NumSACKBlocks > 0 {
		return false
	}
	return t.sndMax != t.sndUna &&
		len(seg.Payload) == 0 &&
		seg.Flags&(wire.FlagSYN|wire.FlagFIN) == 0 &&
		uint32(seg.Window)<<t.opts.sndShift == t.sndWnd
}

// duplicateAck handles one more duplicate ACK: fast retransmit on the
// third (RFC 5681 3.2), or with SACK when the scoreboard says SND.UNA is
// lost (RFC 6675 5), and window inflation during NewReno recovery.
func (t *TCB) duplicateAck() {
	s := &t.snd
	rec := &s.recovery
	if rec.active {
		if !t.opts.sackOK {
			s.cc.OnDupAckInRecovery() // RFC 5681 3.2 step 4
		}
		return
	}
	t.startRecoveryIfLost()
}

// startRecoveryIfLost starts fast retransmit and recovery when the data at
// SND.UNA is lost: by the third duplicate ACK (RFC 5681 3.2), RFC 6675's
// IsLost, or RACK's rule (RFC 8985 6.2, rack.go).
func (t *TCB) startRecoveryIfLost() {
	s := &t.snd
	rec := &s.recovery
	mss := t.opts.sendMSS
	lost := rec.dupAcks >= congestion.DupThresh ||
		t.opts.sackOK && (rec.scoreboard.IsLost(t.sndUna, mss) || t.rackLostAtUna())
	if !lost {
		return
	}
	// RFC 6582 3.2 step 1: no new recovery until the data outstanding at
	// the last one has been acknowledged ("If the Cumulative
	// Acknowledgment field didn't cover more than recover, ... do not enter
	// the Fast Retransmit").
	if rec.recoverSet && t.sndUna.LessThan(rec.recover) {
		return
	}
	flight := int(t.sndUna.Size(t.sndMax))
	rec.active = true
	rec.recover, rec.recoverSet = t.sndMax, true
	rec.highRxt = t.sndUna
	t.stats.FastRecoveries++
	t.armUndo()
	s.cc.OnEnterRecovery(flight)
	rec.retransmitUna = true // the fast retransmit
	t.disarm(timerLossProbe)
}

// recoveryAck handles an ACK of new data during recovery (RFC 6582 3.2
// steps 3 and 5, RFC 6675 5).
func (t *TCB) recoveryAck(seg *wire.Segment, acked int) {
	s := &t.snd
	rec := &s.recovery
	if seg.Ack.GreaterThanEq(rec.recover) {
		// A full acknowledgment ends recovery.
		rec.active = false
		rec.retransmitUna = false
		rec.rxts = rec.rxts[:0]
		s.cc.OnExitRecovery()
		t.undoIfSpurious(seg)
		return
	}
	if t.opts.sackOK {
		return // RFC 6675: pipe and the scoreboard decide what goes next
	}
	// A partial ACK: "retransmit the first unacknowledged segment",
	// deflate the window (RFC 6582 3.2 step 5).
	s.cc.OnPartialAck(acked)
	rec.retransmitUna = true
}

// updateScoreboard records the SACK blocks of an ACK (RFC 6675 3), dropping
// the ones that cannot describe data in flight, and reports whether the ACK
// SACKed octets not SACKed before.
func (t *TCB) updateScoreboard(seg *wire.Segment) bool {
	var blocks [wire.MaxSACKBlocks]wire.SACKBlock
	n := 0
	una := seqnum.Max(t.sndUna, seg.Ack)
	for i := 0; i < seg.Options.NumSACKBlocks && i < wire.MaxSACKBlocks; i++ {
		b := seg.Options.SACKBlocks[i]
		if congestion.ValidBlock(b, una, t.sndMax) {
			blocks[n] = b
			n++
		}
	}
	sb := &t.snd.recovery.scoreboard
	before, highest := sb.SACKedBytes(), sb.HighestSACKed()
	sb.Update(una, blocks[:n])
	return n > 0 && (sb.SACKedBytes() > before || sb.HighestSACKed().GreaterThan(highest))
}

// pollSACKRecovery is RFC 6675 5 step (C): while cwnd - pipe >= 1 SMSS,
// send NextSeg: a lost hole, else new data, else any hole below the highest
// SACKed octet. cwnd during recovery is ssthresh (RFC 6675 5 step (4.2)),
// not NewReno's inflated window.
func (t *TCB) pollSACKRecovery(now time.Time, emit func(seg *wire.Segment)) {
	s := &t.snd
	rec := &s.recovery
	mss := t.opts.sendMSS
	cwnd := s.cc.Ssthresh()
	for i := 0; i < 1024; i++ {
		pipe := rec.scoreboard.Pipe(t.sndUna, t.sndMax, rec.highRxt, mss) - t.lostRetransmitBytes() - t.rackUncountedLost()
		if cwnd-pipe < mss {
			return
		}
		// A retransmission RACK found lost goes first: it is the oldest
		// data missing (RFC 8985 6.2).
		if t.resendLostRetransmit(now, emit) {
			continue
		}
		// Then the holes RACK found lost (RFC 8985 6.2), which RFC 6675's
		// IsLost may not call lost yet.
		if seq, n, ok := t.rackNextLost(); ok {
			if t.resendInRecovery(now, seq, n, emit) {
				continue
			}
			return
		}
		if seq, n, ok := rec.scoreboard.NextLost(t.sndUna, t.sndMax, rec.highRxt, mss); ok {
			if t.resendInRecovery(now, seq, n, emit) {
				continue
			}
			return
		}
		if t.sndNxt == t.sndMax && t.sendNextSegment(now, emit) {
			continue
		}
		if seq, n, ok := rec.scoreboard.NextSeg(t.sndUna, t.sndMax, rec.highRxt, mss); ok && t.resendInRecovery(now, seq, n, emit) {
			continue
		}
		return
	}
}

// resendInRecovery resends up to n bytes from seq during SACK recovery,
// moves HighRxt past them (RFC 6675 3) and logs the retransmission for
// RACK and undo. It reports whether anything went.
func (t *TCB) resendInRecovery(now time.Time, seq seqnum.Value, n int, emit func(seg *wire.Segment)) bool {
	sent := t.retransmitSegment(now, seq, n, emit)
	if sent == 0 {
		return false
	}
	rec := &t.snd.recovery
	rec.highRxt = seqnum.Max(rec.highRxt, seq.Add(sent))
	t.noteRetransmit(now, seq, sent)
	return true
}

// rtoFired is the congestion side of a retransmission timeout (RFC 5681
// 3.1; RFC 6582 4 and RFC 6675 5.1: recovery ends, and recover is set to
// the highest sequence number sent so that the duplicate ACKs the
// retransmissions draw do not start a new fast retransmit). The SACK
// scoreboard is cleared: the receiver may have reneged, and RFC 2018 8 has
// the sender "turn off all of the SACKed bits" after a timeout, so go-back-N
// resends SACKed data too.
func (s *sender) rtoFired(t *TCB, now time.Time) {
	s.timing = false // Karn
	if !t.state.Synchronized() {
		return
	}
	s.cc.OnRetransmitTimeout(int(t.sndUna.Size(t.sndMax)))
	s.restartFlight(t)
}

// resendFromUna sends everything unacknowledged again, from SND.UNA, with
// no congestion response: for segments the path dropped for being too big
// (RFC 1191 6.5), which says nothing of congestion. Recovery state goes as
// after a timeout, for the same reasons.
func (s *sender) resendFromUna(t *TCB) {
	s.timing = false // Karn: what is sent again is not timed
	s.restartFlight(t)
	t.sndNxt = t.sndUna
}

// restartFlight ends loss recovery and forgets the scoreboard and the loss
// probe, before everything from SND.UNA is sent again.
func (s *sender) restartFlight(t *TCB) {
	rec := &s.recovery
	t.disarm(timerLossProbe)
	s.lossProbe.due, s.lossProbe.outstanding = false, false
	rec.active = false
	rec.retransmitUna = false
	rec.dupAcks = 0
	rec.recover, rec.recoverSet = t.sndMax, true
	rec.scoreboard.Reset(t.sndUna)
	rec.rxts = rec.rxts[:0]
	rec.undo.armed, rec.undo.dsackLive = false, false
	t.rackReset()
}

// sampleRTT measures the RTT from an ACK of new data: from the timestamp
// echo when timestamps are in use (RFC 7323 4.1), else from the one timed
// segment (RFC 6298 3, Karn's rule).
func (t *TCB) sampleRTT(now time.Time, seg *wire.Segment) {
	s := &t.snd
	if t.opts.tsOK && seg.Options.HasTimestamps && seg.Options.TSEcr != 0 {
		ms := int32(t.opts.tsVal(now) - seg.Options.TSEcr)
		if ms >= 0 {
			t.rto.Sample(time.Duration(ms) * time.Millisecond)
			s.everTimed = true
		}
		return
	}
	if s.timing && seg.Ack.GreaterThanEq(s.timedSeq) {
		s.timing = false
		t.rto.Sample(now.Sub(s.timedAt))
		s.everTimed = true
	}
}
