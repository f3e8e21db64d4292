package fuzz

import "testing"

// BenchmarkInteropSeeds runs every interop seed program in the three
// pairings, as one fuzz execution does: one op is one program, three runs.
// -cpu=1 runs it as a fuzz worker does (oneSchedulerPerWorker).
//
//	go test -run=NONE -bench=InteropSeeds -cpu=1 -cpuprofile=/tmp/interop.prof ./fuzz/
func BenchmarkInteropSeeds(b *testing.B) {
	seeds := interopSeeds()
	i := 0
	for b.Loop() {
		prog := seeds[i%len(seeds)].prog
		i++
		for _, p := range []interopPairing{oursDials, gvisorDials, gvisorPair} {
			if r := runInterop(prog, p); r.fatal != nil || len(r.violations) > 0 {
				b.Fatal(r.report())
			}
		}
	}
}
