package congestion

import (
	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// fuzzT is what the scoreboard's fuzz body needs of its *testing.T. The
// body takes an interface, and lives outside the _test.go files, so that a
// libFuzzer build of the target (go-118-fuzz-build, as ClusterFuzzLite and
// OSS-Fuzz build it) can call it with a stand-in of its own.
type fuzzT interface {
	Fatalf(format string, args ...any)
}

// fuzzScoreboardACKs is the scoreboard's fuzz target
// (scoreboard_fuzz_test.go) for one input: base places the flight in
// sequence space, mssByte picks the MSS, and acks are the ACKs, four bytes
// each.
func fuzzScoreboardACKs(t fuzzT, base uint32, mssByte uint8, acks []byte) {
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
}
