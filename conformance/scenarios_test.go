package conformance

import (
	"testing"
)

// TestScenariosGVisorControl runs every scenario in the gVisor<->gVisor
// pairing: the control that proves the harness and the expectations.
func TestScenariosGVisorControl(t *testing.T) {
	p := Pairing{GVisor, GVisor}
	for _, s := range All() {
		if !s.RunsIn(p) {
			continue
		}
		t.Run(s.Name, func(t *testing.T) {
			res := Execute(s, RunOptions{Pairing: p, Seed: 1})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
		})
	}
}
