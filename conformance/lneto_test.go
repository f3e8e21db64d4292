package conformance_test

import (
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
)

// TestLnetoSameSeedSameTrace runs scenarios with lneto at either end twice
// on one seed: the traces must match packet for packet (lneto reads time
// only from the Net's clock and its ISNs and ports come from the seed), and
// another seed must give another trace. bulk-transfer-lossy puts loss,
// lneto's retransmissions and its abort into the trace.
func TestLnetoSameSeedSameTrace(t *testing.T) {
	for _, name := range []string{"echo", "half-close", "bulk-transfer-lossy"} {
		s, ok := conformance.Lookup(name)
		if !ok {
			t.Fatalf("scenario %s is not registered", name)
		}
		for _, p := range []conformance.Pairing{{Client: conformance.Lneto, Server: conformance.GVisor}, {Client: conformance.Ours, Server: conformance.Lneto}} {
			run := func(seed uint64) string {
				res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: seed})
				if res.Net == nil {
					t.Fatalf("%s %s: the run did not start: %v", name, p, res.Err)
				}
				return res.Net.Trace().String()
			}
			first, again, other := run(3), run(3), run(4)
			if first != again {
				t.Errorf("%s %s seed 3: two runs, two traces:\n--- first\n%s\n--- again\n%s", name, p, first, again)
			}
			if first == other {
				t.Errorf("%s %s: seeds 3 and 4 gave one trace", name, p)
			}
		}
	}
}
