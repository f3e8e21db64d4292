package conformance

import (
	"slices"
	"testing"
)

// handshakeScenarios are the scenarios the handshake_*.go and flood.go files
// register.
var handshakeScenarios = []string{
	"handshake-options", "handshake-options-ours-declines", "handshake-options-gvisor-no-sack",
	"connect-refused", "listen-ack-rst", "listen-ignores-rst-and-ackless", "syn-sent-bad-ack",
	"syn-retransmit", "syn-retransmit-exhausted", "syn-retransmit-3min", "syn-timeout-rto-3s", "synack-retransmit",
	"third-ack-lost", "third-ack-lost-data", "data-on-third-ack", "listen-backlog", "listen-close-pending",
	"syn-received-checks", "syn-with-data", "syn-without-mss", "synack-with-data", "simultaneous-open", "syn-flood",
}

// The handshake scenarios hold for more seeds than the control's one in
// the gVisor<->gVisor pairing (the seeds choose ISNs, ports and, for the
// flood, nothing else: it must not depend on them).
func TestHandshakeScenariosOverSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("several seeds of every handshake scenario")
	}
	p := Pairing{GVisor, GVisor}
	for _, name := range handshakeScenarios {
		s, ok := Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		for seed := uint64(2); seed <= 4; seed++ {
			if res := Execute(s, RunOptions{Pairing: p, Seed: seed}); res.Err != nil {
				t.Errorf("%s seed %d: %v", name, seed, firstLines(res.Err.Error(), 6))
			}
		}
	}
}

// The control pairing shows each gVisor deviation the handshake scenarios
// register: were gVisor to change, the test says which entry to revisit.
func TestHandshakeDeviationsSeenInControl(t *testing.T) {
	for name, want := range map[string][]string{
		"syn-sent-bad-ack":         {gvisorSYNTimerAfterBadACK.Name},
		"syn-retransmit-exhausted": {gvisorSynRetriesIgnored.Name},
		"syn-retransmit-3min":      {gvisorSYNGiveUpBefore3Min.Name},
		"syn-timeout-rto-3s":       {gvisorNoRTO3sAfterSYNTimeout.Name},
		"synack-with-data":         {gvisorSYNACKTextDropped.Name},
	} {
		s, ok := Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		var seen []string
		run := s.Run
		s.Run = func(e *Env) error {
			err := run(e)
			seen = e.DeviationsSeen()
			return err
		}
		if res := Execute(s, RunOptions{Pairing: Pairing{GVisor, GVisor}, Seed: 1}); res.Err != nil {
			t.Fatalf("%s: %v", name, firstLines(res.Err.Error(), 6))
		}
		for _, d := range want {
			if !slices.Contains(seen, d) {
				t.Errorf("%s in gvisor->gvisor: deviation %s not seen (saw %v)", name, d, seen)
			}
		}
	}
}
