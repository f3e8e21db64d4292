package tcp

import (
	"math"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/congestion"
	"github.com/tcpbed/tcpbed/ourstack/tcp/sendbuf"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// sender is the send half's state beyond the RFC 9293 sequence variables:
// RTT timing, retries, congestion control and loss recovery, probes.
type sender struct {
	cc congestion.Controller

	// finSeq is the FIN's sequence number, fixed when CloseWrite queues it
	// (no byte can be written after it).
	finSeq seqnum.Value

	// retries counts retransmission timeouts since SND.UNA last advanced.
	retries int

	// RTT timing of one segment per round trip without timestamps, with
	// Karn's rule: a retransmission cancels the measurement (RFC 6298 3).
	timing    bool
	timedSeq  seqnum.Value // the measurement ends when SND.UNA passes this
	timedAt   time.Time
	everTimed bool // a SYN retransmission left RTO at its initial value (RFC 6298 5.7)

	recovery  recoveryState
	lossProbe lossProbeState
	rack      rackState

	// persistBackoff counts persist timeouts since the window last opened.
	persistBackoff int
	// zeroWindowProbe: the persist timer fired on a zero window; the next
	// Poll sends a probe. lastProbe is when the last one went.
	zeroWindowProbe bool
	lastProbe       time.Time
	// forceSend: the persist timer fired while sender SWS avoidance held
	// back a small segment: send it anyway (RFC 9293 3.8.6.2.1, "the
	// override timeout").
	forceSend bool

	// lastSend is when we last sent data, for the RFC 5681 4.1 restart
	// window.
	lastSend time.Time

	// smallEnd is the end of the last segment sent shorter than a full
	// one; while it is unacknowledged, Nagle holds further small ones.
	smallEnd seqnum.Value

	// bufLimit is how many bytes the send buffer may hold now; bufAuto:
	// it grows with the congestion window (sendbuf_tune.go).
	bufLimit int
	bufAuto  bool
}

func (s *sender) init(t *TCB) {
	cc, err := congestion.New(t.cfg.Congestion, t.opts.sendMSS)
	if err != nil {
		cc = congestion.NewReno(t.opts.sendMSS)
	}
	s.cc = cc
	s.smallEnd = t.iss
	s.initSendBufferLimit(t.cfgSendBuffer, t.cfg.SendBuffer)
}

// mssChanged tells the congestion controller the SMSS the handshake settled.
func (s *sender) mssChanged(t *TCB) { s.cc.SetMSS(t.opts.sendMSS) }

// releaseBuffers lets go of the send buffer once nothing more will be sent.
func (s *sender) releaseBuffers(t *TCB) { t.sendBuf = nil }

// dataEnd is the sequence number after the last byte the application wrote.
func (t *TCB) dataEnd() seqnum.Value {
	if t.sendBuf == nil {
		if t.finQueued {
			return t.snd.finSeq
		}
		return t.iss.Add(1)
	}
	return t.sendBuf.End()
}

// initialSendBuffer is the send buffer's first size: a connection that
// writes a request and reads a reply never needs Config.SendBuffer bytes,
// and allocating (and zeroing) all of them for it would cost more than the
// exchange itself.
const initialSendBuffer = 16 << 10

// ensureSendBuffer creates the send buffer on first use, or raises its
// capacity (doubling, up to the send buffer's limit) when want bytes do
// not fit. The first data byte follows the SYN (RFC 9293 3.3.1: the SYN
// takes the ISS). The capacity grows in place: copying what the buffer
// holds into a new one each time an autotuned limit crept up cost the
// zero-window scenarios 1,309 copies of about 2.3 MB each.
func (t *TCB) ensureSendBuffer(want int) *sendbuf.Buffer {
	b := t.sendBuf
	if b == nil {
		b = sendbuf.New(min(initialSendBuffer, t.snd.bufLimit))
		b.SetBase(t.iss.Add(1))
		t.sendBuf = b
	}
	if b.Free() >= want || b.Cap() >= t.snd.bufLimit {
		return b
	}
	size := b.Cap()
	for size-b.Len() < want && size < t.snd.bufLimit {
		size *= 2
	}
	b.Grow(min(size, t.snd.bufLimit))
	return b
}

// sendBufferFree is how many more bytes Send would take now.
func (t *TCB) sendBufferFree() int {
	if t.sendBuf == nil {
		return t.snd.bufLimit
	}
	return t.snd.bufLimit - t.sendBuf.Len()
}

// finSent: our FIN has gone out at least once.
func (t *TCB) finSent() bool {
	return t.finQueued && t.sndMax.GreaterThan(t.snd.finSeq)
}

// finAcked: the peer acknowledged our FIN.
func (t *TCB) finAcked() bool {
	return t.finQueued && t.sndUna.GreaterThan(t.snd.finSeq)
}

// canSendData: the states in which data (and our FIN) may go out. In
// SYN-RECEIVED data waits for ESTABLISHED (RFC 9293 3.10.2); in TIME-WAIT
// everything has been sent and acknowledged.
func (t *TCB) canSendData() bool {
	switch t.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
		return true
	}
	return false
}

// Poll hands each segment the TCB wants sent to emit, in order, with ports,
// seq, ack, window and options filled in. The segment (and its Payload, which
// may alias the send buffer) is valid only during the call.
func (t *TCB) Poll(now time.Time, emit func(seg *wire.Segment)) {
	if t.rst.pending {
		t.emitRST(emit)
	}
	switch t.state {
	case Closed, Listen:
		return
	case SynSent, SynReceived:
		t.pollHandshake(now, emit)
	default:
		if t.canSendData() {
			t.pollData(now, emit)
			if t.snd.zeroWindowProbe {
				t.sendWindowProbe(now, emit)
			}
			t.updatePersist(now)
			t.scheduleLossProbe(now)
		}
		if t.keepalive.probeDue {
			t.sendKeepalive(now, emit)
		}
	}
	if t.ackNow {
		seg := t.segment(now, wire.FlagACK, t.ackSeq())
		t.send(seg, emit)
	}
}

// pollHandshake sends the SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) when it
// is due: first time, after the retransmission timer rewound SND.NXT, or
// when the peer's SYN came again.
func (t *TCB) pollHandshake(now time.Time, emit func(seg *wire.Segment)) {
	if t.sndNxt != t.iss && !t.resendSyn {
		return
	}
	flags := wire.FlagSYN
	if t.state == SynReceived {
		flags |= wire.FlagACK
	}
	seg := t.segment(now, flags, t.iss)
	seg.Options = t.opts.synOptions(t.state == SynReceived, now)
	// RFC 7323 2.2: the window of a SYN is never scaled.
	seg.Window = uint16(t.recv.synWindow())
	if t.state == SynReceived {
		t.rcvAdv = seqnum.Max(t.rcvAdv, t.rcvNxt.Add(seqnum.Size(seg.Window)))
	}
	t.resendSyn = false
	t.noteSent(now, t.iss, 1)
	t.sndNxt = t.iss.Add(1)
	t.send(seg, emit)
}

// pollData sends what the windows allow: retransmissions that loss recovery
// asks for, then new (or, after a timeout, resent) data and the FIN.
func (t *TCB) pollData(now time.Time, emit func(seg *wire.Segment)) {
	rec := &t.snd.recovery
	if t.snd.lossProbe.due {
		t.sendLossProbe(now, emit)
	}
	if rec.retransmitUna {
		// The fast retransmit (RFC 5681 3.2 step 2, RFC 6675 5 step
		// (4.3)) or, without SACK, NewReno's answer to a partial ACK.
		rec.retransmitUna = false
		if rec.active && t.opts.sackOK {
			t.resendInRecovery(now, t.sndUna, t.opts.sendMSS, emit)
		} else if sent := t.retransmitSegment(now, t.sndUna, t.opts.sendMSS, emit); sent > 0 {
			rec.highRxt = seqnum.Max(rec.highRxt, t.sndUna.Add(sent))
			if rec.active {
				t.noteRecoveryRetransmit(now, t.sndUna, sent)
			}
		}
	}
	if rec.active && t.opts.sackOK {
		// RFC 6675 5 step (C): pipe decides, new data included.
		t.pollSACKRecovery(now, emit)
	} else {
		// RFC 5681 4.1: after an idle period longer than an RTO, restart
		// from the restart window.
		if t.sndMax == t.sndUna && !t.snd.lastSend.IsZero() && now.Sub(t.snd.lastSend) > t.rto.RTO() {
			t.snd.cc.OnIdle()
		}
		for t.sendNextSegment(now, emit) {
		}
	}
	t.snd.forceSend = false
}

// sendNextSegment sends one segment from SND.NXT if the send window, the
// congestion window, Nagle and sender SWS avoidance all allow it, and
// reports whether it sent one.
func (t *TCB) sendNextSegment(now time.Time, emit func(seg *wire.Segment)) bool {
	seq := t.sndNxt
	end := t.dataEnd()
	avail := 0
	if seq.LessThan(end) {
		avail = int(seq.Size(end))
	}
	finPending := t.finQueued && seq.LessThanEq(t.snd.finSeq)
	if avail == 0 && !finPending {
		return false
	}
	maxPayload := t.maxPayload()
	rwnd := t.usableSendWindow(seq)
	cwnd := t.usableCongestionWindow(seq)
	offered := min(avail, rwnd, maxPayload) // what the peer's window allows
	n := min(offered, cwnd)
	// The FIN needs room in the peer's window (it takes a sequence number)
	// but none in the congestion window: it carries no data.
	fin := finPending && n == avail && rwnd > n
	if n == 0 && !fin {
		return false
	}
	if n > 0 {
		if !t.mayTransmit(seq, offered, avail, maxPayload, finPending) {
			return false
		}
		// A segment cut short by the congestion window waits for the ACK
		// clock to open it, unless nothing is in flight to bring an ACK.
		if n < offered && t.sndMax != t.sndUna {
			return false
		}
	}
	seg := t.segment(now, wire.FlagACK, seq)
	if n > 0 {
		seg.Payload = t.sendBuf.SliceSeq(seq, n)
		if n == avail {
			seg.Flags |= wire.FlagPSH
		}
		if n < maxPayload {
			t.snd.smallEnd = seq.Add(seqnum.Size(n))
		}
	}
	if fin {
		seg.Flags |= wire.FlagFIN
	}
	occupied := seqnum.Size(n)
	if fin {
		occupied++
	}
	t.noteSent(now, seq, occupied)
	t.sndNxt = seq.Add(occupied)
	t.send(seg, emit)
	return true
}

// usableSendWindow is how much the peer's window lets us send from seq
// (RFC 9293 3.8.6.2.1's U, from seq rather than SND.NXT).
func (t *TCB) usableSendWindow(seq seqnum.Value) int {
	return usableFrom(t.sndUna, seq, int64(t.sndWnd))
}

// usableCongestionWindow is how much the congestion window lets us send
// from seq (RFC 5681 2: "a TCP MUST NOT send data with a sequence number
// higher than the sum of the highest acknowledged sequence number and the
// minimum of cwnd and rwnd"). During SACK recovery pipe, not the window
// edge, limits sending (pollSACKRecovery), so this does not.
//
// Limited Transmit (RFC 3042, which RFC 5681 3.2 says SHOULD be used): on
// the first and second duplicate ACK, one new segment each may go beyond
// cwnd, so that a small window still draws the three duplicate ACKs fast
// retransmit needs instead of ending in a timeout.
func (t *TCB) usableCongestionWindow(seq seqnum.Value) int {
	rec := &t.snd.recovery
	if rec.active && t.opts.sackOK || t.snd.lossProbe.probing {
		return math.MaxInt32
	}
	cwnd := t.snd.cc.Cwnd()
	if !rec.active && rec.dupAcks > 0 && seq == t.sndMax {
		cwnd += min(rec.dupAcks, 2) * t.opts.sendMSS
	}
	return usableFrom(t.sndUna, seq, int64(cwnd))
}

func usableFrom(una, seq seqnum.Value, wnd int64) int {
	edge := una.Add(seqnum.Size(min(wnd, math.MaxInt32)))
	if !edge.GreaterThan(seq) {
		return 0
	}
	return int(seq.Size(edge))
}

// mayTransmit is the sender's SWS avoidance (RFC 9293 3.8.6.2.1) with
// Nagle's algorithm (3.7.4). Send when
//
//	(1) a maximum-sized segment can be sent,
//	(2) all queued data can be sent now and no short segment is
//	    unacknowledged (Nagle, with Minshall's refinement that Linux also
//	    uses: a full-sized segment in flight does not hold a short one
//	    back, so the tail of a write is not delayed by an RTT) or NoDelay
//	    is set,
//	(3) at least half the largest window the peer ever offered can be sent
//	    (Fs = 1/2), or
//	(4) the override timeout (the persist timer here) fired.
//
// Retransmissions and the last data before our FIN are never held back.
func (t *TCB) mayTransmit(seq seqnum.Value, n, avail, maxPayload int, finPending bool) bool {
	switch {
	case n >= maxPayload:
		return true
	case seq.LessThan(t.sndMax):
		return true // resending after a timeout
	case n == avail && (t.cfg.NoDelay || !t.snd.smallEnd.GreaterThan(t.sndUna)):
		return true
	case n == avail && finPending:
		return true
	case t.maxSndWnd > 0 && n >= int(t.maxSndWnd/2):
		return true
	case t.snd.forceSend, t.snd.lossProbe.probing:
		return true
	}
	return false
}

// maxPayload is Eff.snd.MSS less the option bytes an ACK carries now: the
// timestamps, and the SACK blocks we are reporting (RFC 6691: options come
// out of the payload).
func (t *TCB) maxPayload() int {
	var o wire.Options
	o.HasTimestamps = t.opts.tsOK
	if t.opts.sackOK && t.recv.ooo != nil {
		o.NumSACKBlocks = min(t.recv.ooo.Len(), wire.MaxSACKBlocks)
		if o.HasTimestamps {
			o.NumSACKBlocks = min(o.NumSACKBlocks, 3)
		}
	}
	return max(t.opts.segmentLimit()-o.Len(), 1)
}

// retransmitSegment resends up to mss bytes from seq (with the FIN if the
// data reaches it and the FIN was already sent).
func (t *TCB) retransmitSegment(now time.Time, seq seqnum.Value, limit int, emit func(seg *wire.Segment)) seqnum.Size {
	if !seq.LessThan(t.sndMax) {
		return 0
	}
	n := min(limit, t.maxPayload())
	end := t.dataEnd()
	if seq.LessThan(end) {
		n = min(n, int(seq.Size(end)), int(seq.Size(t.sndMax)))
	} else {
		n = 0
	}
	occupied := seqnum.Size(n)
	seg := t.segment(now, wire.FlagACK, seq)
	if n > 0 {
		seg.Payload = t.sendBuf.SliceSeq(seq, n)
	}
	if t.finSent() && seq.Add(occupied) == t.snd.finSeq {
		seg.Flags |= wire.FlagFIN
		occupied++
	}
	if occupied == 0 {
		return 0
	}
	t.noteSent(now, seq, occupied)
	t.send(seg, emit)
	return occupied
}

// noteSent does the bookkeeping for a segment occupying [seq, seq+n) of
// sequence space: SND.MAX, retransmission statistics and Karn's rule, RTT
// timing, the retransmission timer (RFC 6298 5.1).
func (t *TCB) noteSent(now time.Time, seq seqnum.Value, n seqnum.Size) {
	end := seq.Add(n)
	if seq.LessThan(t.sndMax) {
		t.stats.Retransmits++
		t.snd.timing = false // Karn: no sample from a retransmitted segment
	} else if !t.snd.timing && !t.opts.tsOK {
		t.snd.timing, t.snd.timedSeq, t.snd.timedAt = true, end, now
	}
	if end.GreaterThan(t.sndMax) {
		t.rackNoteSent(now, seq, end)
		t.sndMax = end
	}
	t.snd.lastSend = now
	// "Every time a packet containing data is sent (including a
	// retransmission), if the timer is not running, start it running."
	t.disarm(timerPersist)
	t.armIfIdle(timerRetransmit, now.Add(t.rto.RTO()))
}
