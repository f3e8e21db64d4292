// Package reassembly is a connection's out-of-order receive queue: the bytes
// that arrived beyond RCV.NXT, held until the hole before them is filled.
//
// RFC 9293 section 3.10.7.4 (seventh step): segments beyond RCV.NXT that are
// still within the window "should be held for later processing"; RFC 9293
// 3.4 asks that data be delivered in sequence. RFC 2018 section 4 asks the
// receiver to report the blocks it holds, the most recent first; SACKBlocks
// does that.
//
// Storage is one ring of bytes addressed by sequence number (the ring's size
// is a power of two, so a byte's slot is its sequence number masked, and
// runs that cross 2^32 stay contiguous). The ranges held are a small sorted
// slice of [left, right) spans, merged whenever they touch. The ring is as
// large as the sequence space held needs (at least minRing, at most the
// budget), grows by doubling, and goes back to bufpool when the queue
// empties: a connection that holds nothing out of order holds no ring, and
// one hole of a few segments costs a few kilobytes, not the whole receive
// buffer.
//
// The budget (limit) bounds the sequence space the queue spans, from its
// lowest held byte to its highest, and so also the bytes it holds. A TCB that
// passes its receive buffer size as the limit and only inserts in-window data
// never hits the budget, because the window never exceeds the buffer.
package reassembly

import (
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/bufpool"
)

// minRing is the smallest ring the queue takes: room for a couple of
// full-sized segments.
const minRing = 4 << 10

// MaxLimit is the largest budget a Queue accepts: a quarter of the sequence
// space, so every comparison between held bytes is unambiguous.
const MaxLimit = 1 << 30

// span is one contiguous run of held bytes, [left, right).
type span struct {
	left, right seqnum.Value
	// stamp orders spans by when data last arrived in them (RFC 2018
	// section 4 reports the most recent first). Stamps are unique.
	stamp uint64
}

func (s span) len() int { return int(s.left.Size(s.right)) }

// Queue holds out-of-order data. The zero value holds nothing; call New.
type Queue struct {
	limit int
	block *[]byte // the ring's memory, from bufpool; nil while nothing is held
	ring  []byte  // *block
	mask  uint32
	spans []span // sorted, disjoint and never adjacent
	bytes int
	clock uint64
}

// New returns an empty Queue that spans at most limit bytes of sequence
// space (clamped to [0, MaxLimit]).
func New(limit int) *Queue {
	return &Queue{limit: max(0, min(limit, MaxLimit))}
}

// Bytes is the number of bytes held.
func (q *Queue) Bytes() int { return q.bytes }

// Len is the number of separate ranges held.
func (q *Queue) Len() int { return len(q.spans) }

// Reset forgets everything held (RFC 2018 section 8 lets a receiver renege
// on SACKed data; a TCB does this when the connection is reset or aborted).
// The storage is kept for reuse.
func (q *Queue) Reset() {
	q.spans = q.spans[:0]
	q.bytes = 0
	q.release()
}

// release gives the ring back once nothing is held.
func (q *Queue) release() {
	if len(q.spans) == 0 && q.block != nil {
		bufpool.Put(q.block)
		q.block, q.ring, q.mask = nil, nil, 0
	}
}

// reserve makes the ring large enough for held bytes spanning need bytes
// of sequence space, moving what it holds into a larger one if it must.
func (q *Queue) reserve(need int) {
	if need <= len(q.ring) {
		return
	}
	size := minRing
	for size < need {
		size <<= 1
	}
	old, oldBlock := q.ring, q.block
	q.block = bufpool.Get(size)
	q.ring, q.mask = *q.block, uint32(size-1)
	if oldBlock == nil {
		return
	}
	oldMask := uint32(len(old) - 1)
	for _, s := range q.spans {
		at, n := int(uint32(s.left)&oldMask), s.len()
		if at+n <= len(old) {
			q.copyIn(s.left, old[at:at+n])
		} else {
			first := old[at:]
			q.copyIn(s.left, first)
			q.copyIn(s.left.Add(seqnum.Size(len(first))), old[:n-len(first)])
		}
	}
	bufpool.Put(oldBlock)
}

// Insert stores a copy of data, whose first byte has sequence number seq.
// Bytes already held keep their first copy (a retransmission must not
// change data the queue holds). The new bytes merge with every range they
// overlap or touch.
//
// Bytes that would take the queue's span beyond its limit are dropped: those
// more than limit bytes above the lowest byte held, those more than limit
// bytes below the highest, and, for a segment wider than the limit, its top.
// Insert reports stored=true when every byte of data is now held; false
// means some were dropped and the peer will have to send them again.
func (q *Queue) Insert(seq seqnum.Value, data []byte) (stored bool) {
	if len(data) == 0 {
		return true
	}
	// Clip to the budget, in offsets relative to seq.
	start, end := int64(0), int64(len(data))
	limit := int64(q.limit)
	if len(q.spans) > 0 {
		first, last := q.spans[0].left, q.spans[len(q.spans)-1].right
		off := int64(int32(seq - first)) // seq's position relative to the lowest byte held
		held := int64(first.Size(last))
		start = max(start, held-limit-off) // not more than limit below the highest byte
		end = min(end, limit-off)          // not more than limit above the lowest byte
	}
	end = min(end, start+limit)
	if start >= end {
		return false
	}
	stored = start == 0 && end == int64(len(data))
	seq = seq.Add(seqnum.Size(start))
	data = data[start:end]
	q.insertClipped(seq, data)
	return stored
}

func (q *Queue) insertClipped(seq seqnum.Value, data []byte) {
	left, right := seq, seq.Add(seqnum.Size(len(data)))
	lo, hi := left, right
	if len(q.spans) > 0 {
		lo, hi = seqnum.Min(lo, q.spans[0].left), seqnum.Max(hi, q.spans[len(q.spans)-1].right)
	}
	q.reserve(int(lo.Size(hi)))

	// spans[i:j] overlap or touch [left, right).
	i := 0
	for i < len(q.spans) && q.spans[i].right.LessThan(left) {
		i++
	}
	j := i
	for j < len(q.spans) && q.spans[j].left.LessThanEq(right) {
		j++
	}

	// Copy only the gaps between the spans already held.
	cursor := left
	for _, s := range q.spans[i:j] {
		if cursor.LessThan(s.left) {
			q.copyIn(cursor, data[left.Size(cursor):left.Size(s.left)])
		}
		cursor = seqnum.Max(cursor, s.right)
	}
	if cursor.LessThan(right) {
		q.copyIn(cursor, data[left.Size(cursor):])
	}

	q.clock++
	merged := span{left: left, right: right, stamp: q.clock}
	if i < j {
		merged.left = seqnum.Min(left, q.spans[i].left)
		merged.right = seqnum.Max(right, q.spans[j-1].right)
		for _, s := range q.spans[i:j] {
			q.bytes -= s.len()
		}
		q.spans[i] = merged
		q.spans = append(q.spans[:i+1], q.spans[j:]...)
	} else {
		q.spans = append(q.spans, span{})
		copy(q.spans[i+1:], q.spans[i:])
		q.spans[i] = merged
	}
	q.bytes += merged.len()
}

// copyIn writes p to the ring at seq's slot, wrapping at the ring's end.
func (q *Queue) copyIn(seq seqnum.Value, p []byte) {
	at := int(uint32(seq) & q.mask)
	n := copy(q.ring[at:], p)
	copy(q.ring, p[n:])
}

// Pop delivers, in order, every byte now contiguous with rcvNxt, and returns
// the new RCV.NXT. Ranges wholly below rcvNxt (the in-order path or a
// retransmission already covered them) are discarded; a range that starts
// below rcvNxt is trimmed. deliver may be called more than once (a range is
// handed over as at most two pieces, split where the ring wraps); p is valid
// only during the call, and deliver must not call back into the Queue.
func (q *Queue) Pop(rcvNxt seqnum.Value, deliver func(p []byte)) seqnum.Value {
	drop := 0
	for _, s := range q.spans {
		if s.left.GreaterThan(rcvNxt) {
			break
		}
		drop++
		q.bytes -= s.len()
		if s.right.LessThanEq(rcvNxt) {
			continue // wholly below: nothing new
		}
		at := int(uint32(rcvNxt) & q.mask)
		n := int(rcvNxt.Size(s.right))
		if at+n <= len(q.ring) {
			deliver(q.ring[at : at+n : at+n])
		} else {
			deliver(q.ring[at:len(q.ring):len(q.ring)])
			rest := at + n - len(q.ring)
			deliver(q.ring[:rest:rest])
		}
		rcvNxt = s.right
	}
	if drop > 0 {
		q.spans = append(q.spans[:0], q.spans[drop:]...)
		q.release()
	}
	return rcvNxt
}
