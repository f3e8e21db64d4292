package congestion

import (
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// maxBlockSize bounds a SACK block the Scoreboard accepts: a block wider than
// a quarter of the sequence space cannot describe data in flight.
const maxBlockSize = 1 << 30

// Scoreboard is the data sender's record of what the receiver has SACKed
// (RFC 6675 section 3, "the scoreboard"), with the routines RFC 6675
// section 4 defines over it: IsLost, SetPipe (Pipe) and NextSeg.
//
// It works octet by octet, as RFC 6675 allows ("for each octet or segment"),
// so it needs no record of where segments began.
//
// The zero value is an empty scoreboard at sequence number 0; call Reset
// when loss recovery begins to anchor it at SND.UNA.
type Scoreboard struct {
	sndUna seqnum.Value
	// ranges are the SACKed octets above sndUna: sorted, disjoint, and
	// never adjacent (adjacent blocks merge), so each is one "discontiguous
	// SACKed sequence" in IsLost's sense.
	ranges []wire.SACKBlock
	sacked int
}

// Reset empties the scoreboard; sndUna is the new SND.UNA (RFC 6675's
// HighACK + 1).
func (s *Scoreboard) Reset(sndUna seqnum.Value) {
	s.sndUna = sndUna
	s.ranges = s.ranges[:0]
	s.sacked = 0
}

// ValidBlock reports whether b can describe data in flight: non-empty and
// within [sndUna, sndNxt]. RFC 2883 blocks below sndUna (D-SACK) and blocks
// beyond SND.NXT fail it; the TCB drops those before Update (a block above
// SND.NXT would make IsLost count octets never sent).
func ValidBlock(b wire.SACKBlock, sndUna, sndNxt seqnum.Value) bool {
	return b.Left.LessThan(b.Right) && b.Left.GreaterThanEq(sndUna) && b.Right.LessThanEq(sndNxt)
}

// Update records an ACK: the cumulative acknowledgment (sndUna, which drops
// everything below it from the scoreboard) and its SACK blocks. Blocks that
// are empty, reversed or absurdly wide are ignored; the parts of blocks below
// sndUna (D-SACK, RFC 2883) are ignored.
func (s *Scoreboard) Update(sndUna seqnum.Value, blocks []wire.SACKBlock) {
	s.advance(sndUna)
	for _, b := range blocks {
		if !b.Left.LessThan(b.Right) || b.Left.Size(b.Right) > maxBlockSize {
			continue
		}
		if b.Right.LessThanEq(s.sndUna) {
			continue
		}
		b.Left = seqnum.Max(b.Left, s.sndUna)
		s.add(b)
	}
}

// advance moves SND.UNA forward, trimming what is now cumulatively acked.
func (s *Scoreboard) advance(sndUna seqnum.Value) {
	if len(s.ranges) == 0 {
		s.sndUna = sndUna // nothing to trim; also anchors a zero Scoreboard
		return
	}
	if sndUna.LessThanEq(s.sndUna) {
		return // a reordered, older ACK
	}
	s.sndUna = sndUna
	drop := 0
	for k := range s.ranges {
		r := &s.ranges[k]
		if r.Right.LessThanEq(sndUna) {
			s.sacked -= int(r.Left.Size(r.Right))
			drop++
			continue
		}
		if r.Left.LessThan(sndUna) {
			s.sacked -= int(r.Left.Size(sndUna))
			r.Left = sndUna
		}
		break
	}
	s.ranges = append(s.ranges[:0], s.ranges[drop:]...)
}

// add merges b into the sorted ranges.
func (s *Scoreboard) add(b wire.SACKBlock) {
	i := 0
	for i < len(s.ranges) && s.ranges[i].Right.LessThan(b.Left) {
		i++
	}
	j := i
	for j < len(s.ranges) && s.ranges[j].Left.LessThanEq(b.Right) {
		b.Left = seqnum.Min(b.Left, s.ranges[j].Left)
		b.Right = seqnum.Max(b.Right, s.ranges[j].Right)
		s.sacked -= int(s.ranges[j].Left.Size(s.ranges[j].Right))
		j++
	}
	s.sacked += int(b.Left.Size(b.Right))
	if i < j {
		s.ranges[i] = b
		s.ranges = append(s.ranges[:i+1], s.ranges[j:]...)
		return
	}
	s.ranges = append(s.ranges, wire.SACKBlock{})
	copy(s.ranges[i+1:], s.ranges[i:])
	s.ranges[i] = b
}

// IsSACKed reports whether the octet seq has been SACKed.
func (s *Scoreboard) IsSACKed(seq seqnum.Value) bool {
	for _, r := range s.ranges {
		if seq.InRange(r.Left, r.Right) {
			return true
		}
	}
	return false
}

// SACKedBytes is the number of octets above SND.UNA the receiver has SACKed.
func (s *Scoreboard) SACKedBytes() int { return s.sacked }

// HighestSACKed is one past the highest SACKed octet (RFC 6675's "highest
// octet covered by any received SACK", plus one), or SND.UNA if nothing is
// SACKed.
func (s *Scoreboard) HighestSACKed() seqnum.Value {
	if len(s.ranges) == 0 {
		return s.sndUna
	}
	return s.ranges[len(s.ranges)-1].Right
}

// IsLost is RFC 6675 section 4's IsLost(SeqNum): "The routine returns true
// when either DupThresh discontiguous SACKed sequences have arrived above
// 'SeqNum' or more than (DupThresh - 1) * SMSS bytes with sequence numbers
// greater than 'SeqNum' have been SACKed." A SACKed octet is not lost.
func (s *Scoreboard) IsLost(seq seqnum.Value, mss int) bool {
	if s.IsSACKed(seq) {
		return false
	}
	count, bytes := 0, 0
	for k := len(s.ranges) - 1; k >= 0 && s.ranges[k].Left.GreaterThan(seq); k-- {
		count++
		bytes += int(s.ranges[k].Left.Size(s.ranges[k].Right))
		if lostBy(count, bytes, mss) {
			return true
		}
	}
	return false
}

func lostBy(count, bytes, mss int) bool {
	return count >= DupThresh || bytes > (DupThresh-1)*mss
}

// lostBelow returns the point below which every unSACKed octet is lost: IsLost
// only grows as the octet moves down, so there is one such point. It is
// sndUna when nothing is lost.
func (s *Scoreboard) lostBelow(sndUna seqnum.Value, mss int) seqnum.Value {
	count, bytes := 0, 0
	for k := len(s.ranges) - 1; k >= 0; k-- {
		count++
		bytes += int(s.ranges[k].Left.Size(s.ranges[k].Right))
		if lostBy(count, bytes, mss) {
			return seqnum.Max(s.ranges[k].Left, sndUna)
		}
	}
	return sndUna
}

// unSACKed counts the octets in [from, to) that are not SACKed.
func (s *Scoreboard) unSACKed(from, to seqnum.Value) int {
	if !from.LessThan(to) {
		return 0
	}
	n := int(from.Size(to))
	for _, r := range s.ranges {
		lo, hi := seqnum.Max(r.Left, from), seqnum.Min(r.Right, to)
		if lo.LessThan(hi) {
			n -= int(lo.Size(hi))
		}
	}
	return n
}

// Pipe is RFC 6675 section 4's SetPipe: the octets the sender estimates are
// still in the network. For each octet S1 in [sndUna, sndNxt) that has not
// been SACKed: "(a) If IsLost (S1) returns false: Pipe is incremented by 1
// octet. ... (b) If S1 <= HighRxt: Pipe is incremented by 1 octet."
//
// highRxt here is one past the highest octet retransmitted in this recovery
// (the RFC's HighRxt + 1); pass sndUna when nothing has been retransmitted.
func (s *Scoreboard) Pipe(sndUna, sndNxt, highRxt seqnum.Value, mss int) int {
	if !sndUna.LessThan(sndNxt) {
		return 0
	}
	notLost := s.unSACKed(seqnum.Max(s.lostBelow(sndUna, mss), sndUna), sndNxt)
	retransmitted := 0
	if highRxt.GreaterThan(sndUna) {
		retransmitted = s.unSACKed(sndUna, seqnum.Min(highRxt, sndNxt))
	}
	return notLost + retransmitted
}

// NextLost is rule (1) of RFC 6675 section 4's NextSeg: the first segment of
// up to mss octets starting at the smallest unSACKed octet S2 that is
// (1.a) above HighRxt (at or above highRxt, which is one past it),
// (1.b) below the highest SACKed octet, and (1.c) lost by IsLost. The segment
// stops short of the next SACKed range and of sndNxt.
func (s *Scoreboard) NextLost(sndUna, sndNxt, highRxt seqnum.Value, mss int) (seq seqnum.Value, length int, ok bool) {
	seq, length, ok = s.nextHole(sndUna, sndNxt, highRxt, mss)
	if !ok || !s.IsLost(seq, mss) {
		return 0, 0, false
	}
	return seq, length, true
}

// NextSeg is RFC 6675 section 4's NextSeg with rules (1) and (3): the first
// hole that rule (1) finds lost, or failing that, rule (3)'s "unSACKed
// sequence number 'S3' that meets the criteria for detecting loss given in
// steps (1.a) and (1.b) above (specifically excluding step (1.c))". Since
// IsLost falls as the octet rises, both rules pick the same octet: the
// smallest unSACKed one at or above max(sndUna, highRxt) and below
// HighestSACKed.
//
// Rule (2), sending new data, comes between rules (1) and (3), and only the
// TCB knows whether it has new data and window to send it: a TCB that does
// calls NextLost, then sends new data if it can, and only then NextSeg.
// Rule (4), the rescue retransmission, is not implemented (RFC 6675 makes it
// a MAY).
func (s *Scoreboard) NextSeg(sndUna, sndNxt, highRxt seqnum.Value, mss int) (seq seqnum.Value, length int, ok bool) {
	return s.nextHole(sndUna, sndNxt, highRxt, mss)
}

// nextHole finds the smallest unSACKed octet at or above max(sndUna, highRxt)
// that is below both HighestSACKed and sndNxt, and the segment there.
func (s *Scoreboard) nextHole(sndUna, sndNxt, highRxt seqnum.Value, mss int) (seqnum.Value, int, bool) {
	if mss <= 0 {
		return 0, 0, false
	}
	seq := seqnum.Max(sndUna, highRxt)
	for _, r := range s.ranges {
		if r.Right.LessThanEq(seq) {
			continue
		}
		if r.Left.LessThanEq(seq) {
			seq = r.Right // inside this range: the hole starts after it
			continue
		}
		// The hole is [seq, r.Left): below a SACKed range, so (1.b) holds.
		end := seqnum.Min(r.Left, sndNxt)
		if !seq.LessThan(end) {
			return 0, 0, false
		}
		return seq, min(mss, int(seq.Size(end))), true
	}
	return 0, 0, false
}

// LostBelow is the point below which RFC 6675's IsLost holds for every
// unSACKed octet (sndUna when nothing is lost).
func (s *Scoreboard) LostBelow(sndUna seqnum.Value, mss int) seqnum.Value {
	return s.lostBelow(sndUna, mss)
}

// UnSACKed counts the octets in [from, to) that are not SACKed.
func (s *Scoreboard) UnSACKed(from, to seqnum.Value) int { return s.unSACKed(from, to) }
