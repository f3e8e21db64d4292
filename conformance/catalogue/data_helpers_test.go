package catalogue

import (
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"
)

// The randomized data scenarios hold for more than one seed in the control
// pairing (the seeds decide which packets the wire loses, reorders and
// duplicates).
func TestDataScenariosOverSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("several seeds of the lossy scenarios")
	}
	p := Pairing{Client: GVisor, Server: GVisor}
	for _, name := range []string{"out-of-order", "duplicates", "fast-retransmit", "loss-recovery"} {
		s, ok := Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		for seed := uint64(2); seed <= 5; seed++ {
			if res := Execute(s, RunOptions{Pairing: p, Seed: seed}); res.Err != nil {
				t.Errorf("%s seed %d: %v", name, seed, firstLines(res.Err.Error(), 6))
			}
		}
	}
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	return strings.Join(lines[:min(n, len(lines))], "\n")
}

// dataScenarios are this section's scenarios (and loss-recovery), in
// catalogue order.
var dataScenarios = []string{
	"bulk-transfer", "bulk-transfer-both-ways", "small-mss", "bulk-transfer-lossy", "rto-backoff",
	"fast-retransmit", "fast-retransmit-nosack", "out-of-order", "out-of-order-nosack",
	"duplicates", "zero-window", "zero-window-update-lost", "window-scaling", "sws-avoidance", "delayed-ack", "nagle", "loss-recovery",
}

// bigTransfers are left out in -short mode: 16 MiB each.
var bigTransfers = []string{"bulk-transfer", "bulk-transfer-lossy"}

// TestDataScenariosAllPairings runs the data scenarios in every pairing,
// ourstack's included: a failure here is ourstack departing from the RFC
// (or a scenario to fix), and prints the replay command. Each run logs
// the allowed behaviours it saw.
func TestDataScenariosAllPairings(t *testing.T) {
	for _, name := range dataScenarios {
		s, ok := Lookup(name)
		if !ok {
			t.Errorf("scenario %s is not registered", name)
			continue
		}
		if testing.Short() && slices.Contains(bigTransfers, name) {
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
				start := time.Now()
				res := Execute(s, RunOptions{Pairing: p, Seed: 1})
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				t.Logf("%v of virtual time in %v", res.Elapsed, time.Since(start).Round(time.Millisecond))
				for _, note := range res.Observations {
					t.Logf("saw: %s", note)
				}
			})
		}
	}
}

// lossySeeds is how many seeds bulk-transfer-lossy must pass in every
// pairing (issue 5's done-when): the seed decides which packets the wire
// loses, reorders, duplicates and corrupts.
const lossySeeds = 20

// TestBulkTransferLossyOverSeeds runs bulk-transfer-lossy for seeds 1 to 20
// in ours->gvisor, gvisor->ours, ours<->ours and the gvisor<->gvisor
// control: about 20 s of real time for 80 runs of 16 MiB.
func TestBulkTransferLossyOverSeeds(t *testing.T) {
	if testing.Short() {
		t.Skip("80 runs of 16 MiB over a lossy wire")
	}
	s, ok := Lookup("bulk-transfer-lossy")
	if !ok {
		t.Fatal("bulk-transfer-lossy is not registered")
	}
	for _, p := range []Pairing{{Client: Ours, Server: GVisor}, {Client: GVisor, Server: Ours}, {Client: Ours, Server: Ours}, {Client: GVisor, Server: GVisor}} {
		for seed := uint64(1); seed <= lossySeeds; seed++ {
			if res := Execute(s, RunOptions{Pairing: p, Seed: seed}); res.Err != nil {
				t.Errorf("%s seed %d: %v", p, seed, firstLines(res.Err.Error(), 8))
			}
		}
	}
}
