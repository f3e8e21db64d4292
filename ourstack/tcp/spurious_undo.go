package tcp

import (
	"time"

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
}

// armUndo records the congestion state a recovery is about to reduce
// (RFC 3522 3.2 step (1)).
func (t *TCB) armUndo() {
	u := &t.snd.recovery.undo
	*u = undoState{armed: t.opts.tsOK, cwnd: t.snd.cc.Cwnd(), ssthresh: t.snd.cc.Ssthresh()}
}

// noteRecoveryRetransmit records RetransmitTS at the recovery's first
// retransmission (RFC 3522 3.2 step (2)).
func (t *TCB) noteRecoveryRetransmit(now time.Time) {
	u := &t.snd.recovery.undo
	if u.armed && !u.retransmitted {
		u.retransmitTS, u.retransmitted = t.opts.tsVal(now), true
	}
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
	t.snd.cc.Undo(u.cwnd, u.ssthresh)
	t.stats.SpuriousRecoveries++
	return true
}
