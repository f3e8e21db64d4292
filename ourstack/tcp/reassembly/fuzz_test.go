package reassembly

import (
	"testing"
)

// FuzzQueue turns the fuzz input into inserts, pops and SACK reports (three
// bytes per operation) and checks each against a model that keeps a set of
// held positions and applies the documented budget rule directly. The body
// is fuzzQueueOps (fuzz_queue.go).
//
// The seeds are in queueSeeds and, for engines that ignore f.Add, in
// testdata/fuzz/FuzzQueue/seed-* (TestSeedCorpus keeps them in step).
func FuzzQueue(f *testing.F) {
	for _, s := range queueSeeds {
		f.Add(s.base, s.limit, s.ops)
	}
	f.Fuzz(func(t *testing.T, base uint32, limitByte uint8, ops []byte) {
		fuzzQueueOps(t, base, limitByte, ops)
	})
}

// queueCorpus is the target's corpus directory. Only this file names the
// target: compile_native_go_fuzzer finds a target's file by searching the
// package for the name, and wants one file.
const queueCorpus = "testdata/fuzz/FuzzQueue"

type queueSeed struct {
	base  uint32
	limit uint8
	ops   []byte
}

var queueSeeds = []queueSeed{
	{0xFFFF_FFF0, 64, []byte{0, 40, 10, 0, 32, 8, 2, 0, 0}},
	{1, 16, []byte{0, 60, 30, 1, 20, 63, 0, 33, 5, 2, 0, 0, 0, 32, 40}},
	{0x7FFF_FFF8, 255, []byte{1, 200, 63, 0, 100, 63, 0, 40, 63, 2, 0, 0}},
}
