package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run whose output lacks most figures prints what it has and fails,
// naming how many are missing.
func TestRunReportsMissingFigures(t *testing.T) {
	out := "BenchmarkParseSegment-2  1000  100.0 ns/op\nBenchmarkParseSegmentGVisor-2  1000  200.0 ns/op\n"
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	err := run(&w, []string{path}, "", "", false)
	if err == nil || !strings.Contains(err.Error(), "figures missing") {
		t.Fatalf("got %v, want figures missing", err)
	}
	if !strings.Contains(w.String(), "0.50x") || !strings.Contains(w.String(), "targets met: 1 of") {
		t.Errorf("the table lacks the parse figure at 0.50x, met:\n%s", w.String())
	}
	if err := run(&w, []string{filepath.Join(t.TempDir(), "none.txt")}, "", "", false); err == nil {
		t.Error("a missing file passed")
	}
}

// The anchors come out of the same output: each pairing's figure beside
// gvisor-raw and linux-loopback, and the harness's cost, worked out here by
// hand from the figures below.
func TestRunReportsAnchors(t *testing.T) {
	out := `BenchmarkBulk/mtu=65535/pair=gvisor-gvisor-2   1  1 ns/op  500.0 MB/s  400.0 MB/cpu-s
BenchmarkBulk/mtu=65535/pair=ours-gvisor-2     1  1 ns/op  900.0 MB/s
BenchmarkBulk/mtu=65535/pair=gvisor-raw-2      1  1 ns/op  800.0 MB/s
BenchmarkBulk/mtu=65535/pair=linux-loopback-2  1  1 ns/op  3600.0 MB/s
BenchmarkConnRate/pair=gvisor-gvisor-2         1  1 ns/op  6000 conns/s
BenchmarkConnRate/pair=gvisor-raw-2            1  1 ns/op  15000 conns/s
`
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BENCHSIZE", "32MiB")
	t.Setenv("BENCHCONNS", "500")
	var w bytes.Buffer
	if err := run(&w, []string{path}, "", "", false); err == nil || !strings.Contains(err.Error(), "figures missing") {
		t.Fatalf("got %v, want figures missing", err)
	}
	table := w.String()
	for _, s := range []string{
		// ours->gvisor: 900/500 = 1.80x the control, 900/800 = 1.12x
		// (1.125) raw gVisor, 900/3600 = 0.25x Linux.
		"1.80x      1.12x      0.25x",
		// gvisor-raw against Linux: 800/3600 = 0.22x.
		"1.60x      anchor     0.22x",
		// The harness's cost: 800/500 at 65535, 15000/6000 for
		// connections.
		"inside takes 1.60x the time of gvisor-raw",
		"inside takes 2.50x the time of gvisor-raw",
		"bulk 32 MiB one way, MTU 65535",
		"x 500, real time",
	} {
		if !strings.Contains(table, s) {
			t.Errorf("the table lacks %q:\n%s", s, table)
		}
	}
}

// The fuzzer's rate comes from its own output, judged, and counts among
// the targets.
func TestRunReportsTheFuzzRate(t *testing.T) {
	dir := t.TempDir()
	bench, fuzz := filepath.Join(dir, "bench.txt"), filepath.Join(dir, "fuzz.txt")
	if err := os.WriteFile(bench, []byte("BenchmarkParseSegment-2  1000  100.0 ns/op\nBenchmarkParseSegmentGVisor-2  1000  200.0 ns/op\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	log := "fuzz: elapsed: 2s, gathering baseline coverage: 10/10 completed, now fuzzing with 2 workers\n" +
		"fuzz: elapsed: 12s, execs: 25000 (2500/sec), new interesting: 0 (total: 10)\n"
	if err := os.WriteFile(fuzz, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	var w bytes.Buffer
	run(&w, []string{bench}, "", fuzz, false)
	if !strings.Contains(w.String(), "2500 programs/s (target >= 2000: met)") || !strings.Contains(w.String(), "targets met: 2 of") {
		t.Errorf("the report lacks the fuzzer's 2,500 programs/s, met and counted:\n%s", w.String())
	}
}
