package catalogue

import (
	"fmt"
	"slices"
	"testing"

	. "github.com/tcpbed/tcpbed/conformance"
)

// closingScenarios are the scenarios of the closing half of the catalogue
// (half-close, simultaneous-close, time-wait, rst, keepalive) written with
// the helpers in closing.go (the conformance library).
var closingScenarios = []string{
	"half-close", "half-close-server", "fin-with-data", "close-unread", "close-unread-server", "close-wait-fin-again",
	"data-after-close", "close-wait-data-after-fin",
	"simultaneous-close", "simultaneous-close-loss",
	"time-wait-server", "time-wait-fin-retransmit", "time-wait-reuse", "time-wait-rst", "time-wait-old-duplicate", "time-wait-from-fin-wait-1",
	"abort", "abort-server", "rst-validation", "half-open", "rst-in-fin-wait-2", "rst-in-close-wait", "rst-in-last-ack", "syn-in-established",
	"keepalive", "keepalive-off-by-default",
}

// TestClosingScenariosAllPairings runs the closing scenarios in every
// pairing they run in and logs, for each, the allowed behaviour it saw and
// the gVisor deviations it accepted (go test -v -run
// TestClosingScenariosAllPairings ./conformance).
func TestClosingScenariosAllPairings(t *testing.T) {
	for _, name := range closingScenarios {
		s, ok := Lookup(name)
		if !ok {
			t.Errorf("scenario %s is not registered", name)
			continue
		}
		for _, p := range s.PairingsOrAll() {
			if IsLinuxPairing(p) {
				continue // TestScenariosLinux and the matrix run those
			}
			if IsLnetoPairing(p) {
				continue // the matrix judges lneto, against the baseline
			}
			t.Run(name+"/"+p.Client+"-"+p.Server, func(t *testing.T) {
				res := Execute(s, RunOptions{Pairing: p, Seed: 1})
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				for _, note := range res.Observations {
					t.Logf("saw: %s", note)
				}
			})
		}
	}
}

// TestObservationsBelongToTheirRun: a run's notes reach its Result, a
// note seen twice counts once, and a second run starts with none.
func TestObservationsBelongToTheirRun(t *testing.T) {
	s := Scenario{Name: "observed-test", Section: "rst", Run: func(e *Env) error {
		e.Observe("noted %d", e.Seed)
		e.Observe("noted %d", e.Seed)
		return nil
	}}
	for _, seed := range []uint64{7, 8} {
		res := Execute(s, RunOptions{Pairing: Pairing{Client: GVisor, Server: GVisor}, Seed: seed})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if want := []string{fmt.Sprintf("noted %d", seed)}; !slices.Equal(res.Observations, want) {
			t.Errorf("seed %d: Observations = %q, want %q", seed, res.Observations, want)
		}
	}
}
