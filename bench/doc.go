// Package bench measures ourstack against gVisor's netstack over the
// harness's in-memory wire, each figure beside the gvisor<->gvisor control
// measured in the same run: bulk throughput, connection rate, heap per idle
// connection, and completion time under loss (segment parsing is measured
// by the fuzz package's BenchmarkParseSegment pair). Bulk throughput and
// connection rate are also measured over two anchors outside the harness,
// gVisor on its own and Linux's loopback (anchor_gvisor.go,
// anchor_linux.go), so the report can show the harness's own cost.
//
// The benchmarks live in this package's _test files and report their figures
// with b.ReportMetric; the workloads they run are here, so that a test can
// check each one does what it says. Report reads `go test -bench` output
// (and the conformance matrix's Ginkgo JSON report) and prints one table of
// ratios to the control, marking each target met or not; cmd/benchreport is
// its command and `make bench` runs the lot.
package bench
