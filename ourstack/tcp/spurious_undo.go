package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Spurious fast retransmits, detected with timestamps (the Eifel detection
// algorithm, RFC 3522) and answered by undoing the congestion response
// (RFC 4015's restoration of the window, as Linux's tcp_try_undo_recovery
// does for a recovery). A wire that reorders packets delivers a segment
// after three later ones; the sender sees three duplicate ACKs, resends it,
// and halves its window for a loss that never happened. RFC 3522 3.2: keep
// the TSval of the first retransmission; when the ACK that ends the
// recovery echoes an older TSval, the segment that completed the data was an
// original transmission, not a retransmission, so the retransmissions were
// not needed and the reduction was spurious. (RFC 7323 4.3: a receiver
// echoes the TSval of the segment that fills a hole, so a real loss, filled
// by a retransmission, always echoes a TSval at or after RetransmitTS.)
//
// Without timestamps the same conclusion comes from D-SACK (RFC 3708): when
// the receiver reports, with a D-SACK block (RFC 2883), that it got every
// byte the recovery retransmitted twice, the originals had arrived and the
// recovery was spurious. Those reports come about an RTT after each
// retransmission, so they are counted until the next recovery or timeout,
// not only up to the ACK that ends this one.

// undoState is what a recovery must remember to be undone.
type undoState struct {
	// armed: timestamps are in use and the values below describe the
	// current recovery.
	armed bool
	// cwnd and ssthresh before the recovery reduced them.
	cwnd, ssthresh int
	// retransmitTS is the TSval of the recovery's first retransmission
	// (RFC 3522's RetransmitTS); retransmitted says it is set.
	retransmitTS  uint32
	retransmitted bool
	// For RFC 3708: live while SACK is in use and neither undo nor a
	// timeout has closed it; the ranges the recovery resent, each marked
	// once a D-SACK block covers it.
	dsackLive bool
	resent    []resentRange // allocated at a connection's first recovery
}

// resentRange is one retransmission of a recovery, and whether the
// receiver has D-SACKed it.
type resentRange struct {
	from, to seqnum.Value
	dsacked  bool
}

// maxUndoRanges bounds the retransmissions a recovery tracks for D-SACK
// undo; a recovery that resends more is not undone that way (RFC 3708
// lets the sender give up on counting).
const maxUndoRanges = 16

// armUndo records the congestion state a recovery is about to reduce
// (RFC 3522 3.2 step (1)).
func (t *TCB) armUndo() {
	u := &t.snd.recovery.undo
	*u = undoState{armed: t.opts.tsOK, cwnd: t.snd.cc.Cwnd(), ssthresh: t.snd.cc.Ssthresh(), dsackLive: t.opts.sackOK,
		resent: u.resent[:0]}
}

// noteRecoveryRetransmit records RetransmitTS at the recovery's first
// retransmission (RFC 3522 3.2 step (2)), and the n bytes resent from seq.
func (t *TCB) noteRecoveryRetransmit(now time.Time, seq seqnum.Value, n seqnum.Size) {
	u := &t.snd.recovery.undo
	if u.armed && !u.retransmitted {
		u.retransmitTS, u.retransmitted = t.opts.tsVal(now), true
	}
	if len(u.resent) == maxUndoRanges {
		u.dsackLive = false
		return
	}
	u.resent = append(u.resent, resentRange{from: seq, to: seq.Add(n)})
}

// noteDSACK counts an ACK's D-SACK block (RFC 2883 4: the first block,
// when it lies at or below the cumulative ACK or inside the second block)
// against the recovery's retransmissions.
func (t *TCB) noteDSACK(seg *wire.Segment) {
	u := &t.snd.recovery.undo
	o := &seg.Options
	if !u.dsackLive || o.NumSACKBlocks == 0 {
		return
	}
	b := o.SACKBlocks[0]
	inSecond := o.NumSACKBlocks > 1 && o.SACKBlocks[1].Left.LessThanEq(b.Left) && b.Right.LessThanEq(o.SACKBlocks[1].Right)
	if !b.Left.LessThan(b.Right) || !(b.Right.LessThanEq(seg.Ack) || inSecond) {
		return
	}
	for i := range u.resent {
		r := &u.resent[i]
		if b.Left.LessThanEq(r.from) && r.to.LessThanEq(b.Right) {
			r.dsacked = true
		}
	}
}

// undoIfDSACKed undoes a recovery that has ended once every byte it resent
// has been D-SACKed (RFC 3708 with RFC 4015's restoration).
func (t *TCB) undoIfDSACKed() {
	rec := &t.snd.recovery
	u := &rec.undo
	if rec.active || !u.dsackLive || len(u.resent) == 0 {
		return
	}
	for _, r := range u.resent {
		if !r.dsacked {
			return
		}
	}
	u.dsackLive, u.armed = false, false
	t.snd.cc.Undo(u.cwnd, u.ssthresh)
	t.stats.SpuriousRecoveries++
}

// undoIfSpurious runs on the ACK that ends a recovery: when its echo is
// older than RetransmitTS (RFC 3522 3.2 step (3)), the recovery was
// spurious and the window it cut is restored. It reports whether it undid.
func (t *TCB) undoIfSpurious(seg *wire.Segment) bool {
	u := &t.snd.recovery.undo
	defer func() { u.armed = false }()
	if !u.armed || !u.retransmitted || !seg.Options.HasTimestamps || seg.Options.TSEcr == 0 {
		return false
	}
	if int32(seg.Options.TSEcr-u.retransmitTS) >= 0 {
		return false
	}
	u.dsackLive = false // undone once
	t.snd.cc.Undo(u.cwnd, u.ssthresh)
	t.stats.SpuriousRecoveries++
	return true
}
