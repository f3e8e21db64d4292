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
// mean (one seed decides which packets the wire loses); issue 18 asks for at
// least five.
var lossSeeds = []uint64{1, 2, 3, 4, 5}
