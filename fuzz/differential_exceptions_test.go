package fuzz

import (
	"slices"
	"testing"
)

// Each exception happens on its example, and the differential accepts it.
func TestDifferentialExceptions(t *testing.T) {
	for _, e := range exceptions {
		t.Run(e.name, func(t *testing.T) {
			if e.rfc == "" || e.ours == "" || e.gvisor == "" {
				t.Fatal("exception without its RFC section or both answers")
			}
			used := differential(t, e.example())
			if !slices.Contains(used, e.name) {
				t.Errorf("example did not exercise %s; differential used %v", e.name, used)
			}
		})
	}
}
