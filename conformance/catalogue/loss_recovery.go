package catalogue

import (
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// loss-recovery: a long transfer on a lossy 10 ms path, the link-model run
// the benchmarks time.
//
// 4 MiB go client to server over a 100 Mbit/s link with 10 ms one-way delay
// and 1% loss each way. Expected: the digest matches, the lost data is
// retransmitted, and the transfer takes at least the time the link needs to
// carry it (the run's virtual time is the completion time).
var lossRecovery = Scenario{
	Name:    "loss-recovery",
	Section: "loss",
	Summary: "4 MiB over a 10 ms, 100 Mbit/s link with 1% loss: lost data resent, digest matches",
	RFCs:    []string{"RFC 9293 3.8.1", "RFC 5681 3.2"},
	Setup: func(s *Setup) {
		s.Net.Link = [2]harness.LinkConfig{lossRecoveryLink, lossRecoveryLink}
		s.Patience = time.Hour
	},
	Run: func(e *Env) error {
		return runLossyTransfer(e, 4<<20, faultMix{loss: 0.01, bandwidth: lossRecoveryLink.Bandwidth})
	},
}

// lossRecoveryLink is each direction of loss-recovery's wire.
var lossRecoveryLink = harness.LinkConfig{Delay: 10 * time.Millisecond, Bandwidth: 100_000_000}
