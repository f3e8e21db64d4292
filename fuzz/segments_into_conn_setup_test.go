package fuzz

import (
	"testing"

	"github.com/tcpbed/tcpbed/judge"
)

// TestSegConnReachesEachState: the segment target's setup reaches
// every state it claims, with ourstack dialing and listening, and the way
// there is clean (no invariant broken, every state change an edge of the
// diagram).
func TestSegConnReachesEachState(t *testing.T) {
	for _, st := range segConnStates {
		for _, passive := range []bool{false, true} {
			c, err := segConnSetup(st, passive, 1)
			if err != nil {
				t.Errorf("passive=%v: %v", passive, err)
				continue
			}
			if got := c.state(); got != st {
				t.Errorf("%v passive=%v: ourstack is in %v", st, passive, got)
			}
			if len(c.violations) > 0 {
				t.Errorf("%v passive=%v: %v", st, passive, c.violations)
			}
			if bad := judge.StatePaths(c.net.Trace().Changes, c.oursSide); bad != "" {
				t.Errorf("%v passive=%v: %s", st, passive, bad)
			}
			c.net.Close()
		}
	}
}
