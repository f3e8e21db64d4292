package bench

import (
	"fmt"
	"time"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios it measures

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// LossLink is the link model of the loss-recovery figures, each way: 10 ms
// one way, 100 Mbit/s (the conformance scenario loss-recovery's).
var LossLink = harness.LinkConfig{Delay: 10 * time.Millisecond, Bandwidth: 100_000_000}

// LossWorkloads are the lossy transfers timed on LossLink:
//   - loss-recovery: the conformance scenario as it stands (4 MiB, 1% loss
//     each way);
//   - bulk-transfer-lossy: that scenario's workload (16 MiB; 5% loss, 5%
//     reorder, 2% duplication, 1% corruption) moved onto LossLink.
var LossWorkloads = []string{"loss-recovery", "bulk-transfer-lossy"}

// LossRecovery runs workload (one of LossWorkloads) once in pairing p with
// seed, the client sending, and returns the virtual time the transfer took,
// from the first byte written to the last byte read (the scenario notes it
// among what it observed; conformance.Result.Elapsed would add the handshake
// and, for bulk-transfer-lossy, a fixed second the scenario waits after the
// transfer). The scenario's own checks (digest, retransmissions seen,
// cumulative ACKs, corrupted packets dropped) must pass.
func LossRecovery(workload string, p Pairing, seed uint64) (time.Duration, error) {
	s, ok := conformance.Lookup(workload)
	if !ok {
		return 0, fmt.Errorf("no conformance scenario %q", workload)
	}
	if workload == "bulk-transfer-lossy" {
		setup := s.Setup
		s.Setup = func(st *conformance.Setup) {
			if setup != nil {
				setup(st)
			}
			st.Net.Link = [2]harness.LinkConfig{LossLink, LossLink}
		}
	}
	res := conformance.Execute(s, conformance.RunOptions{
		Pairing: conformance.Pairing{Client: p.Client, Server: p.Server},
		Seed:    seed,
	})
	if res.Err != nil {
		return 0, fmt.Errorf("%s %s seed %d: %w", workload, p.Name(), seed, res.Err)
	}
	for _, note := range res.Observations {
		var size int
		var took string
		if _, err := fmt.Sscanf(note, "%d bytes in %s of virtual time", &size, &took); err == nil {
			return time.ParseDuration(took)
		}
	}
	return 0, fmt.Errorf("%s %s seed %d: the scenario noted no completion time (took %v in all)", workload, p.Name(), seed, res.Elapsed)
}
