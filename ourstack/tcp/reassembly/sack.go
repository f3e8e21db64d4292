package reassembly

import (
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// SACKBlocks fills dst with up to len(dst) blocks describing the data held
// above rcvNxt and returns how many it wrote.
//
// RFC 2018 section 4: "The first SACK block (i.e., the one immediately
// following the kind and length fields in the option) MUST specify the
// contiguous block of data containing the segment which triggered this ACK"
// — the range holding mostRecent, if any — and the remaining blocks repeat
// the most recently reported ones. This queue approximates "most recently
// reported" by "most recently received into": the others follow newest
// first, which sends the same blocks in the same order as long as every
// received segment is answered with an ACK (RFC 2018 section 4 asks for
// that: "the data receiver SHOULD send an ACK for every valid segment that
// arrives containing new data").
//
// Ranges that start at or below rcvNxt are left out: they are about to be
// (or should already have been) delivered by Pop, and the cumulative ACK
// covers them.
func (q *Queue) SACKBlocks(rcvNxt seqnum.Value, dst []wire.SACKBlock, mostRecent seqnum.Value) int {
	if len(dst) == 0 {
		return 0
	}
	n := 0
	first := -1
	for k, s := range q.spans {
		if s.left.GreaterThan(rcvNxt) && mostRecent.InRange(s.left, s.right) {
			first = k
			dst[0] = wire.SACKBlock{Left: s.left, Right: s.right}
			n = 1
			break
		}
	}
	// The rest, newest first, by repeated selection: len(dst) is at most
	// wire.MaxSACKBlocks, and this allocates nothing.
	newest := ^uint64(0)
	for n < len(dst) {
		best := -1
		for k, s := range q.spans {
			if k == first || !s.left.GreaterThan(rcvNxt) || s.stamp >= newest {
				continue
			}
			if best < 0 || s.stamp > q.spans[best].stamp {
				best = k
			}
		}
		if best < 0 {
			break
		}
		newest = q.spans[best].stamp
		dst[n] = wire.SACKBlock{Left: q.spans[best].left, Right: q.spans[best].right}
		n++
	}
	return n
}

// FirstHeld is the first run of bytes in [seq, seq+n) the queue already
// holds, for a D-SACK block (RFC 2883 4: the duplicate data, then the block
// that holds it): dup is that run, holder the held range around it.
func (q *Queue) FirstHeld(seq seqnum.Value, n int) (dup, holder wire.SACKBlock, ok bool) {
	end := seq.Add(seqnum.Size(n))
	for _, s := range q.spans {
		if !s.left.LessThan(end) || !seq.LessThan(s.right) {
			continue
		}
		dup = wire.SACKBlock{Left: seqnum.Max(seq, s.left), Right: s.right}
		if end.LessThan(s.right) {
			dup.Right = end
		}
		return dup, wire.SACKBlock{Left: s.left, Right: s.right}, true
	}
	return dup, holder, false
}
