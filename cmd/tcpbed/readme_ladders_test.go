package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// readmeLadders are the ladder diagrams README.md's tour shows, each drawn
// by `tcpbed run NAME --client ours --server gvisor --ladder ...` (make
// ladders writes them).
var readmeLadders = []string{"handshake", "half-close", "simultaneous-close", "time-wait"}

// TestREADMELaddersAreCurrent redraws each of the README's ladders and
// compares it byte for byte with the committed image: the tour must show
// what tcpbed draws today, not what it drew once.
func TestREADMELaddersAreCurrent(t *testing.T) {
	for _, name := range readmeLadders {
		t.Run(name, func(t *testing.T) {
			committed := filepath.Join("..", "..", "docs", "ladders", name+".svg")
			want, err := os.ReadFile(committed)
			if err != nil {
				t.Fatalf("README's ladder %s: %v (run make ladders)", committed, err)
			}
			fresh := filepath.Join(t.TempDir(), name+".svg")
			if code, _, stderr := runCmd("run", name, "--client", "ours", "--server", "gvisor", "--ladder", fresh); code != 0 {
				t.Fatalf("tcpbed run %s --client ours --server gvisor exited %d: %s", name, code, stderr)
			}
			got, err := os.ReadFile(fresh)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is not what tcpbed draws today for %s ours->gvisor (%d bytes drawn, %d committed): run make ladders and look at the change",
					committed, name, len(got), len(want))
			}
		})
	}
}
