package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/reassembly"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// receiver is the receive half: the in-order bytes the application has not
// read, the out-of-order ones, the FIN, and what the next ACK owes.
type receiver struct {
	// buf holds in-order data not yet read. It may hold up to limit plus one
	// window-scale unit: the advertised window is rounded up to the scale
	// so that its right edge never moves left, and the slack keeps that
	// promise.
	buf   byteRing
	limit int
	shift uint8

	// ooo holds segments beyond RCV.NXT (RFC 9293 3.10.7.4, seventh step),
	// created on first use.
	ooo *reassembly.Queue
	// lastOOO is the start of the most recent out-of-order segment: its
	// block goes first in our SACK option (RFC 2018 4).
	lastOOO seqnum.Value
	// dsack is a D-SACK block (RFC 2883) owed to the peer: data that
	// arrived a second time. It goes first in the next ACK, once.
	dsack        wire.SACKBlock
	dsackPending bool
	deliver      func(p []byte)

	// finPending: a FIN arrived at finSeq, possibly ahead of a hole.
	finPending bool
	finSeq     seqnum.Value
	// finReceived: RCV.NXT has passed the peer's FIN; Receive returns
	// io.EOF once buf is empty.
	finReceived bool
	// readClosed: the application called Close; data that arrives now is
	// answered with RST (RFC 1122 4.2.2.13).
	readClosed bool

	// Delayed ACK (RFC 9293 3.8.6.3, RFC 5681 4.2): bytes received since
	// the last ACK we sent, and the largest segment seen (the peer's
	// "full-sized segment").
	unacked  int
	segSize  int
	mssGuess int
	// quickAcks counts in-order segments still to be acknowledged at once
	// rather than delayed (see enterQuickAck).
	quickAcks int
}

// maxQuickAcks is Linux's TCP_MAX_QUICKACKS.
const maxQuickAcks = 16

// enterQuickAck makes the next in-order segments draw an immediate ACK, as
// Linux's quickack mode does: at the start of the connection (the peer's
// slow start grows by ACKs, RFC 5681 3.1), and when the peer is recovering
// from a loss (it retransmitted, or a hole appeared), where a delayed ACK
// would hold back a sender with a congestion window of one segment. RFC
// 5681 4.2 sets only a floor on how often to ACK; more ACKs are allowed.
func (r *receiver) enterQuickAck() { r.quickAcks = maxQuickAcks }

func (r *receiver) init(cfg Config) {
	r.limit = cfg.ReceiveBuffer
	r.buf.max = r.limit
	r.mssGuess = int(cfg.MSS)
}

// setShift fixes our window scale once the handshake settled it.
func (r *receiver) setShift(shift uint8) {
	r.shift = shift
	r.buf.max = r.limit + 1<<shift
}

// rememberMSS notes the segment size the peer is expected to send.
func (r *receiver) rememberMSS(mss int) { r.mssGuess = mss }

// synWindow is the window our SYN or SYN-ACK advertises: unscaled (RFC 7323
// 2.2), so at most 65535.
func (r *receiver) synWindow() int { return min(r.limit, 0xffff) }

// free is the buffer space not holding unread data.
func (r *receiver) free() int { return max(r.limit-r.buf.Len(), 0) }

func (r *receiver) ackSent() { r.unacked = 0 }

func (r *receiver) flush() {
	r.buf.Reset()
	if r.ooo != nil {
		r.ooo.Reset()
	}
}

func (r *receiver) release() {
	if r.buf.Len() == 0 {
		r.buf.Release()
	}
	r.ooo = nil
}

// rcvWnd is RCV.WND as the peer knows it: up to the right edge we last
// advertised.
func (t *TCB) rcvWnd() seqnum.Size {
	if !t.rcvAdv.GreaterThan(t.rcvNxt) {
		return 0
	}
	return t.rcvNxt.Size(t.rcvAdv)
}

// advertiseWindow computes the window field of the segment being sent and
// records its right edge.
//
// The window tells the truth: the space left in the receive buffer. Two
// rules bend it. Receiver SWS avoidance (RFC 9293 3.8.6.2.2): the right
// edge moves only once it can move by min(RCV.BUFF/2, Eff.snd.MSS). And the
// right edge never moves left (RFC 9293 3.8.6.2.2 "shrinking the window is
// strongly discouraged"; RFC 7323 2.4), so a scaled window is rounded up.
func (t *TCB) advertiseWindow() uint16 {
	r := &t.recv
	edge := t.rcvNxt.Add(seqnum.Size(r.free()))
	threshold := min(r.limit/2, r.mssGuess)
	if edge.GreaterThan(t.rcvAdv) && t.rcvAdv.GreaterThanEq(t.rcvNxt) && int(t.rcvAdv.Size(edge)) < threshold {
		edge = t.rcvAdv
	}
	if edge.LessThan(t.rcvAdv) {
		edge = t.rcvAdv
	}
	wnd := 0
	if edge.GreaterThan(t.rcvNxt) {
		wnd = int(t.rcvNxt.Size(edge))
	}
	unit := 1 << r.shift
	scaled := min((wnd+unit-1)>>r.shift, 0xffff)
	t.rcvAdv = seqnum.Max(t.rcvAdv, t.rcvNxt.Add(seqnum.Size(scaled<<r.shift)))
	return uint16(scaled)
}

// acceptText is the seventh and eighth steps of RFC 9293 3.10.7.4 for the
// part of a segment inside the window: payload starts at dataSeq; fin says
// a FIN follows it.
func (t *TCB) acceptText(now time.Time, seg *wire.Segment, dataSeq seqnum.Value, payload []byte, fin bool) {
	switch t.state {
	case Established, FinWait1, FinWait2:
	default:
		// CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT: "This should not occur
		// since a FIN has been received from the remote side. Ignore."
		return
	}
	r := &t.recv
	if r.readClosed && len(payload) > 0 {
		// RFC 1122 4.2.2.13 and RFC 2525 2.17: the application will never
		// read this, so the peer must learn its data was lost.
		t.queueRST(t.ackSeq(), t.rcvNxt.Add(seqnum.Size(len(payload))), true)
		t.terminate(ErrConnectionReset, now)
		return
	}
	if fin {
		r.finPending = true
		r.finSeq = dataSeq.Add(seqnum.Size(len(payload)))
	}
	if len(payload) > 0 {
		if dataSeq == t.rcvNxt {
			t.receiveInOrder(now, payload)
		} else {
			t.receiveOutOfOrder(dataSeq, payload)
		}
	}
	if r.finPending && r.finSeq == t.rcvNxt {
		t.finArrives(now)
	}
}

// receiveInOrder appends data at RCV.NXT, then whatever it made contiguous,
// and decides when to ACK.
func (t *TCB) receiveInOrder(now time.Time, payload []byte) {
	r := &t.recv
	if r.ooo != nil && r.ooo.Bytes() > 0 {
		// Bytes the out-of-order queue already holds, brought again.
		if dup, _, ok := r.ooo.FirstHeld(t.rcvNxt, len(payload)); ok {
			t.noteDuplicate(dup.Left, dup.Right)
		}
	}
	n := r.buf.Write(payload)
	t.rcvNxt = t.rcvNxt.Add(seqnum.Size(n))
	r.unacked += n
	r.segSize = max(r.segSize, min(len(payload), r.mssGuess))
	if r.ooo != nil && r.ooo.Bytes() > 0 {
		t.rcvNxt = r.ooo.Pop(t.rcvNxt, r.deliver)
		// RFC 5681 4.2: "an immediate ACK SHOULD be generated when the
		// incoming segment fills in all or part of a gap".
		t.ackNow = true
		return
	}
	// Delayed ACK: RFC 9293 3.8.6.3 / RFC 5681 4.2, "an ACK SHOULD be
	// generated for at least every second full-sized segment" and within
	// 500 ms (ours: at most DelayedACK, see delayedACKTimeout). We ACK once
	// more than one full segment's worth is unacknowledged, as Linux does
	// (__tcp_ack_snd_check): in a stream of full-sized segments that is
	// every second one, and a full segment followed by a short last one is
	// ACKed at once. Holding that pair would leave the sender two segments
	// in flight, and RFC 8985 7.2 gives such a flight a loss probe after
	// 2*SRTT, without the delayed-ACK allowance: a conformant sender would
	// resend data that had arrived.
	if r.quickAcks > 0 {
		r.quickAcks--
		t.ackNow = true
		return
	}
	if t.cfg.DelayedACK < 0 || r.unacked > max(r.segSize, 1) {
		t.ackNow = true
		return
	}
	t.armIfIdle(timerDelayedACK, now.Add(t.delayedACKTimeout()))
}

// minDelayedACK is the shortest delayed-ACK timeout (Linux's
// TCP_DELACK_MIN, 40 ms).
const minDelayedACK = 40 * time.Millisecond

// delayedACKTimeout is how long an ACK may wait: Config.DelayedACK, but no
// longer than the smoothed RTT (floored at minDelayedACK), as Linux does in
// tcp_send_delayed_ack. A flat 200 ms would tie with the 200 ms minimum RTO
// of a peer on a short path (Linux, gVisor, ourselves), and the peer would
// retransmit the last segment of every exchange just as our ACK left.
func (t *TCB) delayedACKTimeout() time.Duration {
	d := t.cfg.DelayedACK
	if t.rto.HasSample() {
		d = min(d, max(t.rto.SRTT(), minDelayedACK))
	}
	return d
}

// receiveOutOfOrder holds data beyond RCV.NXT and ACKs at once (RFC 5681
// 4.2: "A TCP receiver SHOULD send an immediate duplicate ACK when an
// out-of-order segment arrives"), with SACK blocks naming what it holds.
func (t *TCB) receiveOutOfOrder(dataSeq seqnum.Value, payload []byte) {
	r := &t.recv
	if r.ooo == nil {
		r.ooo = reassembly.New(r.limit)
		// One closure for the connection's life: Pop calls it with the
		// bytes a filled hole made contiguous.
		r.deliver = func(p []byte) { r.buf.Write(p) }
	}
	if dup, _, ok := r.ooo.FirstHeld(dataSeq, len(payload)); ok {
		t.noteDuplicate(dup.Left, dup.Right)
	}
	r.ooo.Insert(dataSeq, payload)
	r.lastOOO = dataSeq
	r.enterQuickAck()
	t.stats.OutOfOrder++
	t.ackNow = true
}

// fillSACKBlocks puts the SACK blocks in an ACK (RFC 2018 3, 4): four fit,
// three beside timestamps. A D-SACK block owed goes first (RFC 2883 4),
// then the out-of-order blocks, the one holding the latest segment first
// (after a duplicate above RCV.NXT, that is the block holding it, as RFC
// 2883 4 asks for the second block).
func (t *TCB) fillSACKBlocks(seg *wire.Segment) {
	r := &t.recv
	limit := wire.MaxSACKBlocks
	if seg.Options.HasTimestamps {
		limit = 3
	}
	blocks := seg.Options.SACKBlocks[:limit]
	n := 0
	if r.dsackPending {
		blocks[0] = r.dsack
		r.dsackPending = false
		n = 1
	}
	if r.ooo != nil && r.ooo.Bytes() > 0 {
		n += r.ooo.SACKBlocks(t.rcvNxt, blocks[n:], r.lastOOO)
	}
	seg.Options.NumSACKBlocks = n
}

// noteDuplicate records that [left, right) arrived again, for a D-SACK
// block in the next ACK (RFC 2883: "the first block of the SACK option
// should be a D-SACK block specifying the sequence numbers for the
// duplicate segment that triggers the acknowledgement"), which goes at
// once. Only with SACK in use; a second duplicate before that ACK leaves
// the first one's block.
func (t *TCB) noteDuplicate(left, right seqnum.Value) {
	r := &t.recv
	if !t.opts.sackOK || !left.LessThan(right) {
		return
	}
	if !r.dsackPending {
		r.dsack = wire.SACKBlock{Left: left, Right: right}
		r.dsackPending = true
	}
	t.ackNow = true
}

// finArrives is the eighth step of RFC 9293 3.10.7.4: RCV.NXT advances over
// the FIN, which is acknowledged at once, and the state moves on.
func (t *TCB) finArrives(now time.Time) {
	r := &t.recv
	r.finPending = false
	r.finReceived = true
	t.rcvNxt = t.rcvNxt.Add(1)
	// The FIN takes a sequence number but no buffer space: keep the window
	// the same size rather than one smaller.
	t.rcvAdv = seqnum.Max(t.rcvAdv.Add(1), t.rcvNxt)
	t.ackNow = true
	switch t.state {
	case SynReceived, Established:
		t.setState(CloseWait, now)
	case FinWait1:
		if t.finAcked() {
			t.setState(TimeWait, now)
		} else {
			t.setState(Closing, now) // simultaneous close
		}
	case FinWait2:
		t.setState(TimeWait, now)
	case TimeWait:
		t.arm(timerTimeWait, now.Add(2*t.cfg.MSL))
	}
}

// windowUpdateDue decides, after the application read, whether the opened
// window is worth an ACK of its own. The ACK goes only when the window the
// segment would carry really opens: by at least min(RCV.BUFF/2, Eff.snd.MSS)
// over the right edge the peer knows (receiver SWS avoidance, RFC 9293
// 3.8.6.2.2), and, as Linux's __tcp_cleanup_rbuf has it, from a window the
// peer knows that is at most half of the largest we can offer to one at
// least twice as large. The largest we can offer is the buffer, or 65535
// bytes shifted by our window scale when that is less (without window
// scaling, 65535): a buffer larger than that frees space the window field
// cannot show, and an ACK that shows nothing new, with data in flight, is a
// duplicate ACK to the peer (RFC 5681 2), three of which make a spurious
// fast retransmit.
func (t *TCB) windowUpdateDue() bool {
	r := &t.recv
	cur := int(t.rcvWnd())
	maxWnd := min(r.limit, 0xffff<<r.shift)
	offer := min(r.free(), maxWnd)
	// At least one unit of our window scale too, or the field would not
	// change.
	threshold := max(min(r.limit/2, r.mssGuess), 1<<r.shift)
	return 2*cur <= maxWnd && offer >= 2*cur && offer-cur >= threshold
}
