package congestion

import (
	"testing"
)

// FuzzScoreboard reads ACKs from the fuzz input (four bytes each: how far
// SND.UNA moves, and a SACK block) over a 256-octet flight whose position in
// sequence space the fuzzer also picks, and compares every query with the
// octet-by-octet model of RFC 6675 section 4. The body is
// fuzzScoreboardACKs (scoreboard_fuzz.go).
//
// The seeds are in scoreboardSeeds and, for engines that ignore f.Add, in
// testdata/fuzz/FuzzScoreboard/seed-* (TestSeedCorpus keeps them in step).
func FuzzScoreboard(f *testing.F) {
	for _, s := range scoreboardSeeds {
		f.Add(s.base, s.mss, s.acks)
	}
	f.Fuzz(func(t *testing.T, base uint32, mssByte uint8, acks []byte) {
		fuzzScoreboardACKs(t, base, mssByte, acks)
	})
}

// scoreboardCorpus is the target's corpus directory. Only this file names
// the target: compile_native_go_fuzzer finds a target's file by searching
// the package for the name, and wants one file.
const scoreboardCorpus = "testdata/fuzz/FuzzScoreboard"

type scoreboardSeed struct {
	base uint32
	mss  uint8
	acks []byte
}

var scoreboardSeeds = []scoreboardSeed{
	{0xFFFF_FF80, 20, []byte{0, 40, 20, 0, 0, 80, 10, 0, 0, 120, 30, 5, 10, 0, 0, 0}},
	{0, 1, []byte{0, 10, 1, 0, 0, 12, 1, 0, 0, 14, 1, 0}},
}
