package bench

import (
	"fmt"
	"os"
	"strconv"
)

// The benchmarks' sizes, shared with the report that titles their figures.

// bulkMTUs are the MTUs the bulk benchmarks run at.
var bulkMTUs = []int{1500, 65535}

// DefaultConns is how many connections one op of BenchmarkConnRate makes,
// and how many idle ones BenchmarkIdleConnMemory holds open.
const DefaultConns = 10_000

// Conns is $BENCHCONNS if set (a smoke run shrinks it), else DefaultConns.
func Conns() (int, error) {
	v := os.Getenv("BENCHCONNS")
	if v == "" {
		return DefaultConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bench: BENCHCONNS=%q: want a positive count", v)
	}
	return n, nil
}

// lossSeeds are the seeds each loss workload runs with; the figure is their
// mean (one seed decides which packets the wire loses). Issue 18 asks for
// at least five; five do not decide a 5% target: one seed (5, CUBIC,
// bulk-transfer-lossy) moves ours->gvisor from 39 s to 18 s and the
// receiver ratio of five seeds from 1.03x to 1.11x, while twenty give
// 1.03x either way.
var lossSeeds = func() []uint64 {
	seeds := make([]uint64, 20)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}()
