package congestion

import (
	"fmt"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// The scoreboard tables run at two bases; the second puts 2^32 in the middle
// of the flight. Offsets below are relative to the base. SMSS = 1000.
var sbBases = []seqnum.Value{100_000, 0xFFFF_FFFF - 4500}

func blk(base seqnum.Value, l, r int) wire.SACKBlock {
	return wire.SACKBlock{Left: base.Add(seqnum.Size(l)), Right: base.Add(seqnum.Size(r))}
}

// Ten 1000-byte segments [0, 10000) are in flight; the receiver has SACKed
// the 3rd, 5th and 7th: [2000,3000) [4000,5000) [6000,7000).
func flight(base seqnum.Value) *Scoreboard {
	var s Scoreboard
	s.Reset(base)
	s.Update(base, []wire.SACKBlock{blk(base, 6000, 7000), blk(base, 2000, 3000)})
	s.Update(base, []wire.SACKBlock{blk(base, 4000, 5000)})
	return &s
}

func TestIsLost(t *testing.T) {
	for _, base := range sbBases {
		s := flight(base)
		cases := []struct {
			off  int
			mss  int
			lost bool
			why  string
		}{
			{0, 1000, true, "three SACKed ranges above"},
			{1999, 1000, true, "three SACKed ranges above"},
			{2500, 1000, false, "SACKed itself"},
			{3000, 1000, false, "two ranges, 2000 bytes: not more than 2*SMSS"},
			{3000, 999, true, "2000 bytes > 2*999"},
			{5500, 1000, false, "one range above"},
			{7000, 1000, false, "nothing above"},
		}
		for _, c := range cases {
			if got := s.IsLost(base.Add(seqnum.Size(c.off)), c.mss); got != c.lost {
				t.Errorf("base %#x: IsLost(+%d, mss %d) = %v, want %v (%s)", uint32(base), c.off, c.mss, got, c.lost, c.why)
			}
		}
	}
}

// The count rule on its own: three SACKed ranges of 100 bytes each (300
// bytes, far below 2*SMSS) above an octet make it lost; two do not.
func TestIsLostByCount(t *testing.T) {
	for _, base := range sbBases {
		var s Scoreboard
		s.Reset(base)
		s.Update(base, []wire.SACKBlock{blk(base, 100, 200), blk(base, 300, 400), blk(base, 500, 600)})
		at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
		if !s.IsLost(at(0), 1000) || s.IsLost(at(200), 1000) {
			t.Errorf("base %#x: IsLost(+0)=%v IsLost(+200)=%v, want true false", uint32(base), s.IsLost(at(0), 1000), s.IsLost(at(200), 1000))
		}
		// Only [0,100) is lost; the other unSACKed octets below 1000 are in the pipe.
		if got := s.Pipe(base, at(1000), base, 1000); got != 600 {
			t.Errorf("base %#x: Pipe = %d, want 600", uint32(base), got)
		}
	}
}

func TestPipe(t *testing.T) {
	for _, base := range sbBases {
		s := flight(base)
		at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
		cases := []struct {
			sndNxt, highRxt int
			mss             int
			pipe            int
			why             string
		}{
			// Lost: [0,2000). Not lost and unSACKed: [3000,4000) [5000,6000) [7000,10000).
			{10000, 0, 1000, 5000, "nothing retransmitted"},
			// Plus the retransmitted [0,2000), each counted once more.
			{10000, 2000, 1000, 7000, "first hole retransmitted"},
			// Retransmitted octets below 3500 that are unSACKed: 2500; [3000,3500) counts twice.
			{10000, 3500, 1000, 7500, "retransmission reached past a SACKed range"},
			// With SMSS 999 the 2000 bytes above 3000 make [3000,4000) lost too.
			{10000, 0, 999, 4000, "smaller SMSS, more lost"},
			{8000, 0, 1000, 3000, "sndNxt bounds the count"},
			{0, 0, 1000, 0, "nothing in flight"},
		}
		for _, c := range cases {
			if got := s.Pipe(base, at(c.sndNxt), at(c.highRxt), c.mss); got != c.pipe {
				t.Errorf("base %#x: Pipe(sndNxt +%d, highRxt +%d, mss %d) = %d, want %d (%s)",
					uint32(base), c.sndNxt, c.highRxt, c.mss, got, c.pipe, c.why)
			}
		}
	}
}

func TestNextSeg(t *testing.T) {
	for _, base := range sbBases {
		s := flight(base)
		at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
		seg := func(seq seqnum.Value, n int, ok bool) string {
			if !ok {
				return "none"
			}
			return fmt.Sprintf("+%d len %d", int32(seq-base), n)
		}
		cases := []struct {
			sndNxt, highRxt int
			lost, next      string
		}{
			{10000, 0, "+0 len 1000", "+0 len 1000"},          // rule 1: the first hole is lost
			{10000, 1000, "+1000 len 1000", "+1000 len 1000"}, // past what was retransmitted
			{10000, 1500, "+1500 len 500", "+1500 len 500"},   // stops at the SACKed range
			{10000, 2000, "none", "+3000 len 1000"},           // 3000 is not lost: rule 3 only
			{10000, 5000, "none", "+5000 len 1000"},
			{10000, 7000, "none", "none"}, // nothing unSACKed below the highest SACK
			{2500, 0, "+0 len 1000", "+0 len 1000"},
		}
		for _, c := range cases {
			if got := seg(s.NextLost(base, at(c.sndNxt), at(c.highRxt), 1000)); got != c.lost {
				t.Errorf("base %#x: NextLost(highRxt +%d) = %s, want %s", uint32(base), c.highRxt, got, c.lost)
			}
			if got := seg(s.NextSeg(base, at(c.sndNxt), at(c.highRxt), 1000)); got != c.next {
				t.Errorf("base %#x: NextSeg(highRxt +%d) = %s, want %s", uint32(base), c.highRxt, got, c.next)
			}
		}
		// A partial segment's hole shorter than SMSS.
		s.Update(base, []wire.SACKBlock{blk(base, 300, 2000)})
		if got := seg(s.NextSeg(base, at(10000), base, 1000)); got != "+0 len 300" {
			t.Errorf("base %#x: NextSeg into a 300-byte hole = %s", uint32(base), got)
		}
	}
}

func TestUpdate(t *testing.T) {
	for _, base := range sbBases {
		s := flight(base)
		at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
		check := func(step string, sacked, highest int, in, out []int) {
			t.Helper()
			if s.SACKedBytes() != sacked || s.HighestSACKed() != at(highest) {
				t.Errorf("base %#x %s: SACKedBytes=%d HighestSACKed=+%d, want %d +%d",
					uint32(base), step, s.SACKedBytes(), int32(s.HighestSACKed()-base), sacked, highest)
			}
			for _, o := range in {
				if !s.IsSACKed(at(o)) {
					t.Errorf("base %#x %s: +%d not SACKed", uint32(base), step, o)
				}
			}
			for _, o := range out {
				if s.IsSACKed(at(o)) {
					t.Errorf("base %#x %s: +%d SACKed", uint32(base), step, o)
				}
			}
		}
		check("initial", 3000, 7000, []int{2000, 2999, 4000, 6999}, []int{1999, 3000, 5000, 7000})
		// Adjacent blocks merge into one range, which IsLost then counts once.
		s.Update(base, []wire.SACKBlock{blk(base, 7000, 8000), blk(base, 5000, 6000)})
		check("merge", 5000, 8000, []int{5000, 7999}, []int{8000})
		if !s.IsLost(at(3000), 1000) || s.IsLost(at(3000), 2000) {
			t.Errorf("base %#x: [4000,8000) is one range of 4000 bytes: lost iff 4000 > 2*SMSS", uint32(base))
		}
		// Invalid blocks are ignored: empty, reversed, absurdly wide, D-SACK.
		s.Update(base, []wire.SACKBlock{blk(base, 9000, 9000), blk(base, 9500, 9000),
			{Left: at(9000), Right: at(9000).Add(1 << 31)}, blk(base, -500, 0)})
		check("invalid ignored", 5000, 8000, nil, []int{9000, -1})
		// The cumulative ACK moves to 2500: [2000,3000) is trimmed.
		s.Update(at(2500), nil)
		check("ack to 2500", 4500, 8000, []int{2500}, []int{2499})
		// A block partly below SND.UNA counts only above it.
		s.Update(at(2500), []wire.SACKBlock{blk(base, 1000, 3500)})
		check("block straddling snd.una", 5000, 8000, []int{3499}, []int{3500})
		// An older ACK arriving late does not move SND.UNA back.
		s.Update(at(1000), nil)
		check("stale ack", 5000, 8000, nil, nil)
		s.Update(at(8000), nil)
		check("everything acked", 0, 8000, nil, []int{7999})
		s.Reset(at(8000))
		check("reset", 0, 8000, nil, nil)
	}
}

func TestValidBlock(t *testing.T) {
	una, nxt := seqnum.Value(0xFFFF_FF00), seqnum.Value(0x100)
	for _, c := range []struct {
		l, r seqnum.Value
		ok   bool
	}{
		{0xFFFF_FF00, 0x100, true},
		{0xFFFF_FFF0, 0x10, true}, // across 2^32
		{0x10, 0x10, false},
		{0x20, 0x10, false},
		{0xFFFF_FE00, 0xFFFF_FF10, false}, // D-SACK below snd.una
		{0x10, 0x101, false},              // beyond snd.nxt
	} {
		if got := ValidBlock(wire.SACKBlock{Left: c.l, Right: c.r}, una, nxt); got != c.ok {
			t.Errorf("ValidBlock([%#x,%#x)) = %v, want %v", uint32(c.l), uint32(c.r), got, c.ok)
		}
	}
}

// A zero Scoreboard used without Reset anchors on the first Update, even at
// a sequence number more than 2^31 from zero.
func TestZeroScoreboard(t *testing.T) {
	var s Scoreboard
	una := seqnum.Value(0xF000_0000)
	s.Update(una, []wire.SACKBlock{{Left: una + 1000, Right: una + 2000}})
	if s.SACKedBytes() != 1000 || s.HighestSACKed() != una+2000 {
		t.Errorf("SACKedBytes=%d HighestSACKed=%#x", s.SACKedBytes(), uint32(s.HighestSACKed()))
	}
}
