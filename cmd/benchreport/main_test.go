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
	err := run(&w, []string{path}, "", false)
	if err == nil || !strings.Contains(err.Error(), "figures missing") {
		t.Fatalf("got %v, want figures missing", err)
	}
	if !strings.Contains(w.String(), "0.50x") || !strings.Contains(w.String(), "targets met: 1 of") {
		t.Errorf("the table lacks the parse figure at 0.50x, met:\n%s", w.String())
	}
	if err := run(&w, []string{filepath.Join(t.TempDir(), "none.txt")}, "", false); err == nil {
		t.Error("a missing file passed")
	}
}
