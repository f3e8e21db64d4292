package bench

import (
	"fmt"
	"math"
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

// LossCongestion are the congestion controls the loss figures run, at both
// ends alike (harness.TCPSettings.Congestion): NewReno, the RFC 5681
// baseline, and CUBIC (RFC 9438), what Linux and most senders run.
var LossCongestion = []string{"newreno", "cubic"}

// LossRecovery runs workload (one of LossWorkloads) once in pairing p with
// seed, both ends on congestion control cc (one of LossCongestion), the
// client sending, and returns the virtual time the transfer took, from the
// first byte written to the last byte read (the scenario notes it among what
// it observed; conformance.Result.Elapsed would add the handshake and, for
// bulk-transfer-lossy, a fixed second the scenario waits after the
// transfer). The scenario's own checks (digest, retransmissions seen,
// cumulative ACKs, corrupted packets dropped) must pass.
func LossRecovery(workload string, p Pairing, cc string, seed uint64) (time.Duration, error) {
	s, ok := conformance.Lookup(workload)
	if !ok {
		return 0, fmt.Errorf("no conformance scenario %q", workload)
	}
	setup := s.Setup
	s.Setup = func(st *conformance.Setup) {
		if setup != nil {
			setup(st)
		}
		st.Net.Link = [2]harness.LinkConfig{LossLink, LossLink}
		st.TCP.Congestion = cc
	}
	res := conformance.Execute(s, conformance.RunOptions{
		Pairing: conformance.Pairing{Client: p.Client, Server: p.Server},
		Seed:    seed,
	})
	if res.Err != nil {
		return 0, fmt.Errorf("%s %s %s seed %d: %w", workload, p.Name(), cc, seed, res.Err)
	}
	if _, took, ok := res.Transferred(); ok {
		return took, nil
	}
	return 0, fmt.Errorf("%s %s seed %d: the scenario noted no completion time (took %v in all)", workload, p.Name(), seed, res.Elapsed)
}

// The response-function workload: a long transfer on LossLink whose data
// segments the wire drops at random with probability ResponseLoss (its ACKs
// pass), timed after a warm-up that leaves the initial slow start out, so
// that what is measured is the steady state of congestion avoidance and
// loss recovery the response function models.
const (
	ResponseLoss   = 0.01
	ResponseSize   = 24 << 20
	ResponseWarmUp = 4 << 20
	// ResponseMSS is the data a segment carries on LossLink at MTU 1500:
	// 1500 - 20 (IP) - 20 (TCP) - 12 (timestamps).
	ResponseMSS = 1448
)

// MathisC is the constant of the response function of Mathis, Semke,
// Mahdavi and Ott ("The macroscopic behavior of the TCP congestion
// avoidance algorithm", CCR 27(3), 1997), BW = MSS/RTT * C/sqrt(p), for a
// sender that grows cwnd by one SMSS per RTT in congestion avoidance and
// halves it on each loss (RFC 5681 3.1 with byte counting, equation (4)):
// C = sqrt(3/2), from the sawtooth between W/2 and W with 1/p segments per
// cycle. Byte counting (RFC 3465) makes the growth independent of the
// receiver's ACK ratio, so the delayed-ACK constant sqrt(3/4) does not
// apply.
var MathisC = math.Sqrt(1.5)

// ResponseRTT is the round-trip time of LossLink for a full segment and its
// ACK: twice the one-way delay plus the serialization of a 1500-byte packet
// and a 52-byte ACK at 100 Mbit/s.
var ResponseRTT = 2*LossLink.Delay + time.Duration((1500+52)*8*int64(time.Second)/LossLink.Bandwidth)

// MathisPrediction is the response function's throughput, in Mbit/s of
// payload, for ResponseLoss, ResponseRTT and ResponseMSS.
func MathisPrediction() float64 {
	return ResponseMSS * 8 / ResponseRTT.Seconds() * MathisC / math.Sqrt(ResponseLoss) / 1e6
}

// responseScenario moves ResponseSize bytes from client to server with
// ResponseLoss on the data direction, and notes the steady-state goodput.
var responseScenario = conformance.Scenario{
	Name:    "loss-response",
	Section: "loss",
	Summary: "a long transfer on 10 ms / 100 Mbit/s with 1% random data loss, timed after slow start",
	Setup: func(s *conformance.Setup) {
		s.Net.Link = [2]harness.LinkConfig{LossLink, LossLink}
		s.Patience = time.Hour
	},
	Run: func(e *conformance.Env) error {
		c, s := e.Connect()
		e.Net.AddRule(&harness.Rule{Name: "loss 1%", Dirs: harness.OnlyClientToServer, Probability: ResponseLoss, Action: harness.Drop})
		t := e.NewTransfer(c, s, ResponseSize)
		var warm time.Duration
		e.WaitFor("the server to read the whole stream", func() bool {
			done := t.Pump()
			if warm == 0 && t.BytesRead() >= ResponseWarmUp {
				warm = e.Now()
			}
			return done
		})
		t.Check()
		e.Observe("%d bytes in %s of virtual time after the warm-up", ResponseSize-ResponseWarmUp, t.CompletedAt-warm)
		return nil
	},
}

// LossResponse runs the response-function workload in pairing p on
// congestion control cc with seed and returns the steady-state goodput in
// Mbit/s.
func LossResponse(p Pairing, cc string, seed uint64) (float64, error) {
	s := responseScenario
	setup := s.Setup
	s.Setup = func(st *conformance.Setup) {
		setup(st)
		st.TCP.Congestion = cc
	}
	res := conformance.Execute(s, conformance.RunOptions{
		Pairing: conformance.Pairing{Client: p.Client, Server: p.Server},
		Seed:    seed,
	})
	if res.Err != nil {
		return 0, fmt.Errorf("%s %s %s seed %d: %w", s.Name, p.Name(), cc, seed, res.Err)
	}
	if size, took, ok := res.Transferred(); ok {
		return float64(size) * 8 / took.Seconds() / 1e6, nil
	}
	return 0, fmt.Errorf("%s %s seed %d: no goodput noted", s.Name, p.Name(), seed)
}
