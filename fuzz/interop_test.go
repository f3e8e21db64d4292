package fuzz

import (
	"testing"
)

// FuzzInterop decodes its bytes into a program (interop_program.go):
// application calls on the client and the server, virtual time passing,
// and wire faults by rule. The program runs three times: ours dials gVisor,
// gVisor dials ours, and gVisor with gVisor as the control. Every run must
// pass the oracle (interop_oracle.go); the runs with ourstack must
// show the applications what the control shows them, but for the allowed
// differences (interop_compare.go).
//
//	go test -run=NONE -fuzz=FuzzInterop -fuzztime=60s ./fuzz/
//
// Seeds: testdata/fuzz/FuzzInterop, written from interopSeeds by
// go test -run=TestInteropSeedCorpus ./fuzz/ -write-interop-corpus.
// The body is checkInteropProgram (interop_run.go).
func FuzzInterop(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		oneSchedulerPerWorker.Do(oneScheduler)
		checkInteropProgram(t, decodeInteropProgram(in))
	})
}

// interopCorpus is the target's corpus directory. Only this file names the target: compile_native_go_fuzzer finds
// a target's file by searching its package for the name, and wants one file.
const interopCorpus = "testdata/fuzz/FuzzInterop"
