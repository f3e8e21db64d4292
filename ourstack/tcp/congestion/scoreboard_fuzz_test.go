package congestion

import (
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// FuzzScoreboard reads ACKs from the fuzz input (four bytes each: how far
// SND.UNA moves, and a SACK block) over a 256-octet flight whose position in
// sequence space the fuzzer also picks, and compares every query with the
// octet-by-octet model of RFC 6675 section 4.
func FuzzScoreboard(f *testing.F) {
	f.Add(uint32(0xFFFF_FF80), uint8(20), []byte{0, 40, 20, 0, 0, 80, 10, 0, 0, 120, 30, 5, 10, 0, 0, 0})
	f.Add(uint32(0), uint8(1), []byte{0, 10, 1, 0, 0, 12, 1, 0, 0, 14, 1, 0})
	f.Fuzz(func(t *testing.T, base uint32, mssByte uint8, acks []byte) {
		const span = 256
		mss := int(mssByte%64) + 1
		start := seqnum.Value(base)
		at := func(i int) seqnum.Value { return start.Add(seqnum.Size(i)) }
		m := &octetModel{sacked: make([]bool, span+1)}
		var s Scoreboard
		s.Reset(start)
		for len(acks) >= 4 {
			move, left, width, rxt := int(acks[0]), int(acks[1]), int(acks[2]), int(acks[3])
			acks = acks[4:]
			m.una = min(span, m.una+move%16)
			for i := range m.una {
				m.sacked[i] = false
			}
			right := min(span, left+width%48)
			// A reversed block (width 0) and blocks below SND.UNA are
			// legal input that Update must ignore.
			s.Update(at(m.una), []wire.SACKBlock{{Left: at(left), Right: at(right)}})
			for i := max(left, m.una); i < right; i++ {
				m.sacked[i] = true
			}
			nxt := span
			highRxt := min(nxt, m.una+rxt%64)
			for o := m.una; o < span; o++ {
				if got, want := s.IsLost(at(o), mss), m.isLost(o, mss); got != want {
					t.Fatalf("IsLost(+%d, mss %d) = %v, model says %v", o, mss, got, want)
				}
			}
			if got, want := s.Pipe(at(m.una), at(nxt), at(highRxt), mss), m.pipe(nxt, highRxt, mss); got != want {
				t.Fatalf("Pipe(una +%d, highRxt +%d, mss %d) = %d, model says %d", m.una, highRxt, mss, got, want)
			}
			seq, n, ok := s.NextSeg(at(m.una), at(nxt), at(highRxt), mss)
			wo, wn, wok := m.nextSeg(nxt, highRxt, mss, false)
			if ok != wok || (ok && (seq != at(wo) || n != wn)) {
				t.Fatalf("NextSeg = +%d len %d ok %v, model says +%d len %d ok %v", int32(seq-start), n, ok, wo, wn, wok)
			}
			seq, n, ok = s.NextLost(at(m.una), at(nxt), at(highRxt), mss)
			wo, wn, wok = m.nextSeg(nxt, highRxt, mss, true)
			if ok != wok || (ok && (seq != at(wo) || n != wn)) {
				t.Fatalf("NextLost = +%d len %d ok %v, model says +%d len %d ok %v", int32(seq-start), n, ok, wo, wn, wok)
			}
		}
	})
}
