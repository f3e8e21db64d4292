package catalogue

import (
	"testing"

	. "github.com/tcpbed/tcpbed/conformance"
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
	p := Pairing{Client: GVisor, Server: GVisor}
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
