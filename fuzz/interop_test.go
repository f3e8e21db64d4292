package fuzz

import (
	"testing"
)

// FuzzInterop decodes its bytes into a program (interop_program_test.go):
// application calls on the client and the server, virtual time passing,
// and wire faults by rule. The program runs three times: ours dials gVisor,
// gVisor dials ours, and gVisor with gVisor as the control. Every run must
// pass the oracle (interop_oracle_test.go); the runs with ourstack must
// show the applications what the control shows them, but for the allowed
// differences (interop_compare_test.go).
//
//	go test -run=NONE -fuzz=FuzzInterop -fuzztime=60s ./fuzz/
//
// Seeds: testdata/fuzz/FuzzInterop, written from interopSeeds by
// go test -run=TestInteropSeedCorpus ./fuzz/ -write-interop-corpus.
func FuzzInterop(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		checkInteropProgram(t, decodeInteropProgram(in))
	})
}

// checkInteropProgram runs prog in the three pairings and fails t with a
// report of each run the oracle rejects and each difference not allowed.
func checkInteropProgram(t *testing.T, prog *interopProgram) [3]*interopRun {
	t.Helper()
	var runs [3]*interopRun
	for i, p := range []interopPairing{oursDials, gvisorDials, gvisorPair} {
		runs[i] = runInterop(prog, p)
		if runs[i].fatal != nil || len(runs[i].violations) > 0 {
			t.Error(runs[i].report())
		}
	}
	if t.Failed() {
		return runs
	}
	for _, r := range runs {
		if r.deviation != "" {
			t.Logf("%s: known gVisor deviation %s; no differential for this input", r.pairing.name, r.deviation)
			return runs
		}
	}
	for _, r := range runs[:2] {
		if diff, _ := compareOutcomes(r, runs[2]); diff != "" {
			t.Errorf("%s and %s differ: %s\nprogram: %s\n%s", r.pairing.name, runs[2].pairing.name, diff, prog, r.report())
		}
	}
	return runs
}
