package congestion

// The octet model below is the Scoreboard's reference: its unit tests
// (scoreboard_model_test.go) and its fuzz target (scoreboard_fuzz.go)
// compare every query with it. It lives outside the _test.go files so that
// a libFuzzer build of the fuzz target, which sees no test files, has it.

// octetModel is RFC 6675 section 4 transliterated octet by octet over a
// bitmap, with none of the Scoreboard's shortcuts. Index i is base+i.
type octetModel struct {
	sacked []bool
	una    int
}

func (m *octetModel) isLost(o, mss int) bool {
	if m.sacked[o] {
		return false
	}
	runs, bytes := 0, 0
	for i := o + 1; i < len(m.sacked); i++ {
		if m.sacked[i] {
			bytes++
			if !m.sacked[i-1] || i == o+1 {
				runs++ // a discontiguous SACKed sequence starts here
			}
		}
	}
	return runs >= DupThresh || bytes > (DupThresh-1)*mss
}

func (m *octetModel) pipe(nxt, highRxt, mss int) int {
	p := 0
	for o := m.una; o < nxt; o++ {
		if m.sacked[o] {
			continue
		}
		if !m.isLost(o, mss) {
			p++
		}
		if o < highRxt { // the RFC's "S1 <= HighRxt", HighRxt being highRxt-1
			p++
		}
	}
	return p
}

func (m *octetModel) nextSeg(nxt, highRxt, mss int, needLost bool) (int, int, bool) {
	highest := -1
	for i := range m.sacked {
		if m.sacked[i] {
			highest = i
		}
	}
	for o := max(m.una, highRxt); o < nxt && o < highest; o++ {
		if m.sacked[o] {
			continue
		}
		if needLost && !m.isLost(o, mss) {
			return 0, 0, false
		}
		n := 0
		for o+n < nxt && n < mss && !m.sacked[o+n] {
			n++
		}
		return o, n, true
	}
	return 0, 0, false
}
