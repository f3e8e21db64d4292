package bench

import (
	"bytes"
	"strings"
	"testing"
)

// benchOutput is go test -bench output as two packages print it, with the
// lines around the results that the parser must skip.
const benchOutput = `goos: linux
goarch: amd64
pkg: github.com/tcpbed/tcpbed/bench
BenchmarkBulk/mtu=1500/pair=ours-gvisor-2         	       1	 676407638 ns/op	  50.00 MB/s
BenchmarkBulk/mtu=1500/pair=gvisor-ours-2         	       1	 999473692 ns/op	  30.00 MB/s
BenchmarkBulk/mtu=1500/pair=ours-ours-2           	       1	 216207381 ns/op	 150.00 MB/s
BenchmarkBulk/mtu=1500/pair=gvisor-gvisor-2       	       1	1565961739 ns/op	  40.00 MB/s
BenchmarkBulk/mtu=1500/pair=gvisor-gvisor-2       	       1	1565961739 ns/op	  20.00 MB/s
BenchmarkBulk/mtu=1500/pair=gvisor-gvisor-2       	       1	1565961739 ns/op	  35.00 MB/s
BenchmarkIdleConnMemory/stack=ours-2   	       1	  9 ns/op	  5000 B/conn
--- FAIL: BenchmarkIdleConnMemory/stack=gvisor
    bench_test.go:1: some failure
PASS
pkg: github.com/tcpbed/tcpbed/fuzz
BenchmarkParseSegment-2         	 1000000	       100.0 ns/op	 15120 MB/s	       0 B/op	       0 allocs/op
BenchmarkParseSegmentGVisor-2   	 1000000	       200.0 ns/op	  7560 MB/s	       0 B/op	       0 allocs/op
ok  	github.com/tcpbed/tcpbed/fuzz	3.1s
`

func TestParseBenchOutput(t *testing.T) {
	figs, err := ParseBenchOutput(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	if m, runs := figs.Median("Bulk/mtu=1500/pair=gvisor-gvisor", "MB/s"); m != 35 || runs != 3 {
		t.Errorf("control: median %v of %d runs, want 35 of 3", m, runs)
	}
	if m, _ := figs.Median("ParseSegment", "allocs/op"); m != 0 || len(figs["ParseSegment"]["allocs/op"]) != 1 {
		t.Errorf("allocs/op of ParseSegment: %v", figs["ParseSegment"])
	}
	if _, ok := figs["IdleConnMemory/stack=gvisor"]; ok {
		t.Error("a FAIL line read as a result")
	}
	if _, err := ParseBenchOutput(strings.NewReader("BenchmarkX-2 1 abc ns/op\n")); err == nil {
		t.Error("a result that is not a number passed")
	}
}

func TestEvaluate(t *testing.T) {
	figs, err := ParseBenchOutput(strings.NewReader(benchOutput))
	if err != nil {
		t.Fatal(err)
	}
	cells := Evaluate(ReportFigures(256<<20, 10_000), figs)
	want := map[string]struct {
		ratio   float64
		verdict Verdict
	}{
		// Against the control's median, 35: 50/35 at least 1x, 30/35
		// not, 150/35 at least 2x.
		"Bulk/mtu=1500/pair=ours-gvisor MB/s":  {50.0 / 35, Met},
		"Bulk/mtu=1500/pair=gvisor-ours MB/s":  {30.0 / 35, NotMet},
		"Bulk/mtu=1500/pair=ours-ours MB/s":    {150.0 / 35, Met},
		"Bulk/mtu=65535/pair=ours-gvisor MB/s": {0, Missing},
		// The absolute bound holds even with the control missing.
		"IdleConnMemory/stack=ours B/conn": {0, NotMet},
		// Lower is better: 100 ns against 200 ns.
		"ParseSegment ns/op": {0.5, Met},
	}
	seen := 0
	for _, c := range cells {
		key := c.Figure.Bench[c.Column] + " " + c.Figure.Unit
		w, ok := want[key]
		if !ok {
			continue
		}
		seen++
		if c.Verdict != w.verdict || (w.ratio != 0 && abs(c.Ratio-w.ratio) > 1e-9) {
			t.Errorf("%s: ratio %v %v, want %v %v", key, c.Ratio, c.Verdict, w.ratio, w.verdict)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d cells checked are in the report", seen, len(want))
	}
	var out bytes.Buffer
	met, targets, err := WriteTable(&out, cells)
	if err != nil {
		t.Fatal(err)
	}
	if met != 3 || targets != 22 {
		t.Errorf("met %d of %d targets, want 3 of 22\n%s", met, targets, out.String())
	}
	if !strings.Contains(out.String(), "ours<->ours") || !strings.Contains(out.String(), "4.29x") {
		t.Errorf("the table lacks ours<->ours at 4.29x:\n%s", out.String())
	}
}

func TestReadMatrixTimes(t *testing.T) {
	report := `[{"RunTime": 7000000000, "SpecReports": [
		{"LeafNodeType": "It", "LeafNodeLabels": ["ours-gvisor"], "State": "passed", "RunTime": 1000000000},
		{"LeafNodeType": "It", "LeafNodeLabels": ["gvisor-gvisor"], "State": "failed", "RunTime": 4000000000},
		{"LeafNodeType": "It", "LeafNodeLabels": ["gvisor-gvisor"], "State": "skipped", "RunTime": 0},
		{"LeafNodeType": "BeforeSuite", "State": "passed", "RunTime": 9000000000}]}]`
	m, err := ReadMatrixTimes(strings.NewReader(report))
	if err != nil {
		t.Fatal(err)
	}
	if m.Wall.Seconds() != 7 || m.Cells != 2 || m.Failed != 1 || m.ByPairing["gvisor-gvisor"].Seconds() != 4 {
		t.Fatalf("read %+v", m)
	}
	var out bytes.Buffer
	if err := m.WriteTable(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0.25x") {
		t.Errorf("ours->gvisor's 1 s against the control's 4 s is not 0.25x:\n%s", out.String())
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
