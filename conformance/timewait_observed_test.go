package conformance

import (
	"testing"
)

// closingScenarios are the scenarios of the closing half of the catalogue
// (half-close, simultaneous-close, time-wait, rst, keepalive) written with
// the helpers in timewait_helpers.go.
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
			t.Run(name+"/"+p.Client+"-"+p.Server, func(t *testing.T) {
				res := Execute(s, RunOptions{Pairing: p, Seed: 1})
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				for _, note := range Observed(name, p, 1) {
					t.Logf("saw: %s", note)
				}
			})
		}
	}
}

// TestObservedKeepsOnlyTheLastRun checks that a second run of a scenario
// replaces the first run's notes instead of adding to them.
func TestObservedKeepsOnlyTheLastRun(t *testing.T) {
	p := Pairing{GVisor, GVisor}
	run := func(note string) {
		e := &Env{Scenario: Scenario{Name: "observed-test"}, Pairing: p, Seed: 7}
		e.observe("%s", note)
		e.observe("%s", note) // the same note twice counts once
	}
	run("first")
	run("second")
	got := Observed("observed-test", p, 7)
	if len(got) != 1 || got[0] != "second" {
		t.Fatalf("Observed = %q, want [second]", got)
	}
	if got := Observed("observed-test", p, 8); got != nil {
		t.Fatalf("Observed for another seed = %q, want none", got)
	}
}
