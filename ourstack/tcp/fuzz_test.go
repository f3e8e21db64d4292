package tcp

import (
	"testing"
)

// FuzzConnection turns the fuzz input into a list of operations (segments
// from the peer near the window or anywhere, application calls, time
// passing) against a live TCB, quic-go frame_sorter style, and checks after
// each that nothing panicked and the TCB's invariants hold:
//
//	SND.UNA =< SND.NXT =< SND.MAX, RCV.NXT =< the advertised right edge,
//	no segment longer than the MSS, no timer left in CLOSED.
//
// go test -fuzz FuzzConnection ./ourstack/tcp
//
// The body is fuzzConnectionOps (fuzz_connection.go). The seeds are in
// connectionSeeds and, for engines that ignore f.Add, in
// testdata/fuzz/FuzzConnection/seed-* (TestSeedCorpus keeps them in step).
func FuzzConnection(f *testing.F) {
	for _, s := range connectionSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzConnectionOps(t, in)
	})
}

// connectionCorpus is the target's corpus directory. Only this file names
// the target: compile_native_go_fuzzer finds a target's file by searching
// the package for the name, and wants one file.
const connectionCorpus = "testdata/fuzz/FuzzConnection"

var connectionSeeds = [][]byte{
	{0, 0, 0x10, 0, 0, 0, 1, 0xff, 0xff, 5},
	{1, 0, 0x12, 0, 0, 0, 1, 0xff, 0xff, 0, 1, 200, 3, 10, 0, 0x11, 0, 1, 0, 1, 0, 16, 0},
	{2, 1, 100, 0, 0x10, 0, 50, 0, 1, 0x10, 0, 0, 4, 0, 0, 3, 1, 5, 1, 0, 0x04, 0, 0, 0, 0, 0, 0, 0},
	{0, 1, 255, 1, 255, 3, 255, 0, 0x18, 0, 0, 0, 0, 0x01, 0, 200, 0, 0x14, 0, 0, 0, 0, 0, 0, 0},
}
