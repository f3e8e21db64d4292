package bench

// The benchmarks' sizes, shared with the report that titles their figures.

// bulkMTUs are the MTUs the bulk benchmarks run at.
var bulkMTUs = []int{1500, 65535}

// connRateCount is how many connections one op of BenchmarkConnRate makes.
const connRateCount = 10_000

// idleConns is how many idle connections BenchmarkIdleConnMemory holds open.
const idleConns = 10_000

// lossSeeds are the seeds each loss workload runs with; the figure is their
// mean (one seed decides which packets the wire loses).
var lossSeeds = []uint64{1, 2, 3}
