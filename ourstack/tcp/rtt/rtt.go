// Package rtt estimates a connection's round-trip time and computes its
// retransmission timeout as RFC 6298 prescribes.
//
// The Estimator is sans-I/O: it never reads a clock. The TCB measures R
// itself (from the timestamps option or from one timed segment per RTT,
// following Karn's algorithm, RFC 6298 section 3) and hands each valid
// measurement to Sample.
package rtt

import "time"

// ClockGranularity is G in RFC 6298 section 2: the granularity of the clock
// the RTO is measured with. tcpbed's virtual clock is finer than this; 1 ms is
// what Linux uses as its floor for RTTVAR's contribution.
const ClockGranularity = time.Millisecond

// K is the RTTVAR multiplier of RFC 6298 section 2 (K = 4).
const K = 4

// SYNTimeoutRTO is the RTO RFC 6298 5.7 falls back to once data transfer
// begins if the SYN or SYN-ACK had to be retransmitted.
const SYNTimeoutRTO = 3 * time.Second

// Estimator holds SRTT, RTTVAR and the RTO of one connection.
//
// The zero value is not usable; call New.
type Estimator struct {
	minRTO, maxRTO time.Duration

	hasSample bool
	srtt      time.Duration
	rttvar    time.Duration

	// baseRTO is the RTO computed from SRTT and RTTVAR (or the initial RTO
	// before the first sample), clamped to [minRTO, maxRTO].
	baseRTO time.Duration
	// rto is baseRTO after the backoffs of RFC 6298 5.5.
	rto time.Duration
	// backoffs counts the doublings since the last ResetBackoff.
	backoffs int
}

// New returns an Estimator with no sample yet.
//
// initial is the RTO used until the first measurement (RFC 6298 2.1: "the
// sender SHOULD set RTO <- 1 second"). min is the floor of RFC 6298 2.4
// ("if it is less than 1 second, then the RTO SHOULD be rounded up to 1
// second"; Linux and gVisor use 200 ms instead). max is the cap RFC 6298
// 2.5 permits ("provided it is at least 60 seconds").
//
// All three are clamped to be sane rather than rejected: a max below min is
// raised to min, and initial is clamped to [min, max].
func New(initial, min, max time.Duration) *Estimator {
	if min < 0 {
		min = 0
	}
	if max < min {
		max = min
	}
	e := &Estimator{minRTO: min, maxRTO: max}
	e.baseRTO = e.clamp(initial)
	e.rto = e.baseRTO
	return e
}

// Sample feeds one RTT measurement R.
//
// RFC 6298 2.2, the first measurement:
//
//	SRTT <- R
//	RTTVAR <- R/2
//	RTO <- SRTT + max (G, K*RTTVAR)
//
// RFC 6298 2.3, each later measurement R', with alpha = 1/8, beta = 1/4 and
// RTTVAR updated with the SRTT from before this sample:
//
//	RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
//	SRTT <- (1 - alpha) * SRTT + alpha * R'
//
// K*RTTVAR is floored at min as well as G (see the body), and the result
// is clamped to [min, max] (RFC 6298 2.4, 2.5).
//
// A valid sample also clears the backoff: RFC 6298 section 5 (Karn's
// algorithm) keeps the backed-off RTO only "until an acknowledgment is
// received for a segment that was not retransmitted", which is exactly when
// the TCB has a sample to give. Linux does the same in tcp_ack_update_rtt.
//
// A negative R (a garbled timestamp echo, say) is ignored.
func (e *Estimator) Sample(r time.Duration) {
	if r < 0 {
		return
	}
	if !e.hasSample {
		e.hasSample = true
		e.srtt = r
		e.rttvar = r / 2
	} else {
		delta := e.srtt - r
		if delta < 0 {
			delta = -delta
		}
		// beta = 1/4, alpha = 1/8, in integer nanoseconds.
		e.rttvar = e.rttvar - e.rttvar/4 + delta/4
		e.srtt = e.srtt - e.srtt/8 + r/8
	}
	// RFC 6298 2.3 floors K*RTTVAR at G only; we floor it at the minimum
	// RTO as well, as Linux does (tcp_rtt_estimator keeps mdev_max_us at
	// least tcp_rto_min). The receiver may hold the ACK of a lone segment
	// for its delayed-ACK timer (200 ms on Linux, gVisor and ourselves)
	// on top of the path's RTT; after a steady stream RTTVAR is tiny, and
	// an RTO of SRTT + 4*RTTVAR would expire before that ACK on any path
	// whose RTT exceeds the minimum RTO, resending data that arrived.
	// A larger RTO is always allowed (2.4 rounds up to a whole second).
	variance := max(K*e.rttvar, ClockGranularity, e.minRTO)
	e.baseRTO = e.clamp(e.srtt + variance)
	e.ResetBackoff()
}

// AfterSYNTimeout applies RFC 6298 5.7: "If the timer expires awaiting the
// ACK of a SYN segment and the TCP implementation is using an RTO less than 3
// seconds, the RTO MUST be re-initialized to 3 seconds when data transmission
// begins (i.e., after the three-way handshake completes)." The TCB calls it
// when the handshake completes after a SYN retransmission. Karn's algorithm
// usually leaves no sample then (the SYN's ACK is ambiguous); if timestamps
// gave one, the RTO computed from it is kept and only the backoff cleared.
func (e *Estimator) AfterSYNTimeout() {
	if !e.hasSample && e.baseRTO < SYNTimeoutRTO {
		e.baseRTO = e.clamp(SYNTimeoutRTO)
	}
	e.ResetBackoff()
}

// RTO is the retransmission timeout to arm now, including any backoff.
func (e *Estimator) RTO() time.Duration { return e.rto }

// Backoff doubles the RTO after the retransmission timer expires (RFC 6298
// 5.5: "The host MUST set RTO <- RTO * 2 ('back off the timer')"), capped at
// max as 5.5 allows ("a maximum value (see (2.5) above) may be used to
// provide an upper bound to this doubling operation").
func (e *Estimator) Backoff() {
	e.backoffs++
	if e.rto >= e.maxRTO/2 {
		e.rto = e.maxRTO
		return
	}
	e.rto *= 2
}

// ResetBackoff returns the RTO to the value computed from SRTT and RTTVAR
// (or to the initial RTO if there is no sample yet).
func (e *Estimator) ResetBackoff() {
	e.backoffs = 0
	e.rto = e.baseRTO
}

// Backoffs is how many times Backoff has been called since the last reset.
func (e *Estimator) Backoffs() int { return e.backoffs }

// SRTT is the smoothed round-trip time; zero before the first sample.
func (e *Estimator) SRTT() time.Duration { return e.srtt }

// RTTVar is the round-trip time variation; zero before the first sample.
func (e *Estimator) RTTVar() time.Duration { return e.rttvar }

// HasSample reports whether Sample has been given a measurement yet.
func (e *Estimator) HasSample() bool { return e.hasSample }

func (e *Estimator) clamp(d time.Duration) time.Duration {
	if d < e.minRTO {
		return e.minRTO
	}
	if d > e.maxRTO {
		return e.maxRTO
	}
	return d
}
