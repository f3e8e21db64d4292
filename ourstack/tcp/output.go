package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// This file builds the segments Poll hands out: every one goes through
// segment (or emitRST) and send, so that the ACK, window, timestamps and
// SACK blocks are filled in one place.

// ackSeq is the sequence number of a segment that carries no data: RFC
// 9293's SND.NXT, which here is SND.MAX. After a timeout SND.NXT rewinds
// (go-back-N) below what the peer may already have received; a bare ACK
// numbered there would fail the peer's acceptability test, its ACK field
// would be ignored, and two ends in that state answer each other's ACKs
// forever. BSD sends pure ACKs at snd_max for the same reason.
func (t *TCB) ackSeq() seqnum.Value { return t.sndMax }

// segment builds the outgoing segment: ports, seq, flags, and (with ACK)
// the acknowledgment, window, timestamps and SACK blocks.
func (t *TCB) segment(now time.Time, flags wire.Flags, seq seqnum.Value) *wire.Segment {
	seg := &t.out
	*seg = wire.Segment{
		SrcPort: t.id.LocalPort,
		DstPort: t.id.RemotePort,
		Seq:     seq,
		Flags:   flags,
	}
	if t.opts.tsOK {
		seg.Options.HasTimestamps = true
		seg.Options.TSVal = t.opts.tsVal(now)
		seg.Options.TSEcr = t.opts.tsRecent
	}
	if flags.Has(wire.FlagACK) {
		seg.Ack = t.rcvNxt
		seg.Window = t.advertiseWindow()
		if t.opts.sackOK {
			t.fillSACKBlocks(seg)
		}
	}
	return seg
}

// send hands a segment to emit and records that an ACK went with it.
func (t *TCB) send(seg *wire.Segment, emit func(seg *wire.Segment)) {
	if seg.Flags.Has(wire.FlagACK) {
		t.ackNow = false
		t.disarm(timerDelayedACK)
		t.recv.ackSent()
		t.opts.lastAckSent = seg.Ack
	}
	t.stats.SegmentsSent++
	emit(seg)
}

// emitRST sends the RST the TCB owes.
func (t *TCB) emitRST(emit func(seg *wire.Segment)) {
	r := t.rst
	t.rst = pendingRST{}
	seg := &t.out
	*seg = wire.Segment{
		SrcPort: t.id.LocalPort,
		DstPort: t.id.RemotePort,
		Seq:     r.seq,
		Flags:   wire.FlagRST,
	}
	if r.withACK {
		seg.Flags |= wire.FlagACK
		seg.Ack = r.ack
	}
	t.stats.SegmentsSent++
	emit(seg)
}
