package conformance

import (
	"testing"
)

// TestScenariosGVisorControl runs every scenario in the gVisor<->gVisor
// pairing: the control that proves the harness and the expectations. It
// also checks that every registered gVisor deviation is still shown by
// some scenario there: were gVisor to change, the test names the entry to
// revisit instead of letting a stale excuse linger.
func TestScenariosGVisorControl(t *testing.T) {
	p := Pairing{GVisor, GVisor}
	seen := map[string]bool{}
	want, ran := 0, 0
	for _, s := range All() {
		if !s.RunsIn(p) {
			continue
		}
		want++
		t.Run(s.Name, func(t *testing.T) {
			ran++
			res := Execute(s, RunOptions{Pairing: p, Seed: 1})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, d := range res.Deviations {
				seen[d] = true
			}
		})
	}
	if ran < want || t.Failed() {
		return // a failing or filtered-out scenario may be the one that shows a deviation
	}
	for _, d := range KnownDeviations() {
		if d.Peer == GVisor && !seen[d.Name] {
			t.Errorf("no scenario showed registered deviation %s in gvisor->gvisor: %s", d.Name, d)
		}
	}
}
