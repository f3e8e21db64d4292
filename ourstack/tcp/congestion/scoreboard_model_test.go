package congestion

import (
	"math/rand/v2"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

func TestScoreboardAgainstOctetModel(t *testing.T) {
	const span = 400
	for seed := range uint64(40) {
		rnd := rand.New(rand.NewPCG(seed, 3))
		base := seqnum.Value(0xFFFF_FFFF - 150) // 2^32 falls inside the flight
		m := &octetModel{sacked: make([]bool, span+1)}
		var s Scoreboard
		s.Reset(base)
		at := func(i int) seqnum.Value { return base.Add(seqnum.Size(i)) }
		for range 30 {
			if rnd.IntN(5) == 0 { // the cumulative ACK moves
				m.una = min(span, m.una+rnd.IntN(40))
				for i := range m.una {
					m.sacked[i] = false
				}
				s.Update(at(m.una), nil)
			}
			var blocks []wire.SACKBlock
			for range 1 + rnd.IntN(4) {
				l := rnd.IntN(span)
				r := min(span, l+1+rnd.IntN(30))
				blocks = append(blocks, wire.SACKBlock{Left: at(l), Right: at(r)})
				for i := max(l, m.una); i < r; i++ {
					m.sacked[i] = true
				}
			}
			s.Update(at(m.una), blocks)

			mss := 5 + rnd.IntN(40)
			nxt := m.una + rnd.IntN(span-m.una+1)
			highRxt := m.una + rnd.IntN(nxt-m.una+1)
			for o := m.una; o < span; o++ {
				if got, want := s.IsLost(at(o), mss), m.isLost(o, mss); got != want {
					t.Fatalf("seed %d: IsLost(+%d, mss %d) = %v, model says %v", seed, o, mss, got, want)
				}
				if got := s.IsSACKed(at(o)); got != m.sacked[o] {
					t.Fatalf("seed %d: IsSACKed(+%d) = %v, model says %v", seed, o, got, m.sacked[o])
				}
			}
			if got, want := s.Pipe(at(m.una), at(nxt), at(highRxt), mss), m.pipe(nxt, highRxt, mss); got != want {
				t.Fatalf("seed %d: Pipe(una +%d, nxt +%d, highRxt +%d, mss %d) = %d, model says %d",
					seed, m.una, nxt, highRxt, mss, got, want)
			}
			for _, needLost := range []bool{true, false} {
				next := s.NextSeg
				if needLost {
					next = s.NextLost
				}
				seq, n, ok := next(at(m.una), at(nxt), at(highRxt), mss)
				wo, wn, wok := m.nextSeg(nxt, highRxt, mss, needLost)
				if ok != wok || (ok && (seq != at(wo) || n != wn)) {
					t.Fatalf("seed %d: next (lost only %v) = +%d len %d ok %v, model says +%d len %d ok %v",
						seed, needLost, int32(seq-base), n, ok, wo, wn, wok)
				}
			}
			sacked := 0
			for _, b := range m.sacked {
				if b {
					sacked++
				}
			}
			if s.SACKedBytes() != sacked {
				t.Fatalf("seed %d: SACKedBytes = %d, model says %d", seed, s.SACKedBytes(), sacked)
			}
		}
	}
}

// Steady-state recovery bookkeeping allocates nothing.
func TestScoreboardNoAllocations(t *testing.T) {
	var s Scoreboard
	una := seqnum.Value(0xFFFF_0000)
	s.Reset(una)
	blocks := []wire.SACKBlock{{Left: una + 3000, Right: una + 4000}, {Left: una + 5000, Right: una + 6000}}
	s.Update(una, blocks)
	allocs := testing.AllocsPerRun(200, func() {
		s.Update(una, blocks)
		s.Pipe(una, una+10000, una, 1000)
		s.NextSeg(una, una+10000, una, 1000)
		s.IsLost(una, 1000)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per ACK, want 0", allocs)
	}
}
