package congestion

// newReno is RFC 5681 congestion control with RFC 6582's NewReno changes to
// fast recovery, RFC 3465's byte counting, and RFC 6928's initial window.
type newReno struct {
	mss      int
	cwnd     int
	ssthresh int
	// beta is the multiplicative decrease: the share of the flight that
	// ssthresh keeps after a loss (RFC 5681 equation (4): 1/2; CUBIC, which
	// reuses this recovery, 0.7).
	beta float64

	// bytesAcked counts bytes acknowledged in congestion avoidance (RFC
	// 3465 section 2.1, the method RFC 5681 3.1 recommends).
	bytesAcked int
	// afterRTO is set in the slow start that follows a retransmission
	// timeout, where RFC 3465 2.3 limits L to 1*SMSS.
	afterRTO bool
	// timedOut is set from a retransmission timeout until new data is
	// acknowledged. RFC 5681 3.1: when a segment "has already been
	// retransmitted by way of the retransmission timer at least once, the
	// value of ssthresh is held constant."
	timedOut bool
	// untouched is true until the first event: the window is still IW, and
	// SetMSS recomputes it for the negotiated SMSS.
	untouched bool
}

// NewReno returns a NewReno Controller whose SMSS is mss (DefaultMSS if mss
// is not positive), with cwnd = InitialWindow(mss) and ssthresh =
// InitialSsthresh.
func NewReno(mss int) Controller {
	return newNewReno(mss, 0.5)
}

func newNewReno(mss int, beta float64) *newReno {
	if mss <= 0 {
		mss = DefaultMSS
	}
	return &newReno{mss: mss, cwnd: InitialWindow(mss), ssthresh: InitialSsthresh, beta: beta, untouched: true}
}

func (r *newReno) Name() string  { return "newreno" }
func (r *newReno) Cwnd() int     { return r.cwnd }
func (r *newReno) Ssthresh() int { return r.ssthresh }

// OnAck grows the window for acked bytes of newly acknowledged data.
//
// Slow start (cwnd < ssthresh), RFC 5681 3.1 with RFC 3465 2.2's
// Appropriate Byte Counting: cwnd += min(acked, L), L = 2*SMSS ("a TCP
// SHOULD use L = 2*SMSS"), or 1*SMSS in the slow start after a timeout (RFC
// 3465 2.3).
//
// Congestion avoidance, RFC 5681 3.1 as RFC 3465 2.1 spells it out: add the
// acked bytes to bytes_acked; "when bytes_acked becomes greater than or
// equal to the value of the congestion window, bytes_acked is reduced by the
// value of cwnd. Next, cwnd is incremented by a full-sized segment (SMSS)."
func (r *newReno) OnAck(acked int) {
	if acked <= 0 {
		return
	}
	r.untouched = false
	r.timedOut = false
	if r.cwnd < r.ssthresh {
		limit := 2 * r.mss
		if r.afterRTO {
			limit = r.mss
		}
		r.cwnd += min(acked, limit)
		return
	}
	r.afterRTO = false
	r.bytesAcked += acked
	if r.bytesAcked >= r.cwnd {
		r.bytesAcked -= r.cwnd
		r.cwnd += r.mss
	}
}

// OnEnterRecovery is RFC 5681 3.2 steps 2 and 3 (RFC 6582 3.2 step 2):
//
//	ssthresh = max (FlightSize / 2, 2*SMSS)            (4)
//	cwnd = ssthresh + 3*SMSS
//
// "This artificially 'inflates' the congestion window by the number of
// segments (three) that have left the network and which the receiver has
// buffered."
func (r *newReno) OnEnterRecovery(flightSize int) {
	r.untouched = false
	r.timedOut = false
	r.afterRTO = false
	r.bytesAcked = 0
	r.ssthresh = r.halve(flightSize)
	r.cwnd = r.ssthresh + 3*r.mss
}

// OnDupAckInRecovery is RFC 5681 3.2 step 4: "For each additional duplicate
// ACK received (after the third), cwnd MUST be incremented by SMSS."
func (r *newReno) OnDupAckInRecovery() { r.cwnd += r.mss }

// OnPartialAck is RFC 6582 3.2 step 5: "deflate the congestion window by the
// amount of new data acknowledged by the Cumulative Acknowledgment field. If
// the partial ACK acknowledges at least one SMSS of new data, then add back
// SMSS bytes to the congestion window." The window never falls below one
// SMSS, so the TCB can always send the retransmission the RFC asks for.
func (r *newReno) OnPartialAck(acked int) {
	if acked <= 0 {
		return
	}
	r.timedOut = false
	r.cwnd -= acked
	if acked >= r.mss {
		r.cwnd += r.mss
	}
	r.cwnd = max(r.cwnd, r.mss)
}

// OnExitRecovery is RFC 6582 3.2 step 3 on a full acknowledgment, option
// (2): "Set cwnd to ... ssthresh", which "deflates" the window. (Option (1),
// min(ssthresh, max(FlightSize, SMSS) + SMSS), needs the flight size after
// the ACK; the TCB's sender limits bursts itself.)
func (r *newReno) OnExitRecovery() {
	r.timedOut = false
	r.bytesAcked = 0
	r.cwnd = r.ssthresh
}

// OnRetransmitTimeout is RFC 5681 3.1: ssthresh is set with equation (4)
// unless the timer already fired for this data (then "the value of
// ssthresh is held constant"), and "cwnd MUST be set to no more than the
// loss window, LW, which equals 1 full-sized segment".
func (r *newReno) OnRetransmitTimeout(flightSize int) {
	r.untouched = false
	if !r.timedOut {
		r.ssthresh = r.halve(flightSize)
	}
	r.timedOut = true
	r.afterRTO = true
	r.bytesAcked = 0
	r.cwnd = r.mss
}

// Undo restores the window a spurious recovery cut (RFC 4015 3.2, as
// Linux's tcp_undo_cwnd_reduction: cwnd = max(cwnd, prior cwnd), ssthresh
// = max(ssthresh, prior ssthresh)).
func (r *newReno) Undo(cwnd, ssthresh int) {
	r.cwnd = max(r.cwnd, cwnd)
	r.ssthresh = max(r.ssthresh, ssthresh)
	r.bytesAcked = 0
}

// OnIdle is RFC 5681 4.1: after more than one RTO without receiving, "cwnd
// is reduced to the value of the restart window (RW) before transmission
// begins", RW = min(IW, cwnd). ssthresh keeps its value.
func (r *newReno) OnIdle() {
	r.cwnd = min(r.cwnd, InitialWindow(r.mss))
	r.bytesAcked = 0
	r.afterRTO = false
}

// SetMSS sets SMSS (ignored unless positive). Before any event the window
// is still the initial one, and is recomputed from the new SMSS: the TCB
// builds its Controller before the handshake settles the MSS.
func (r *newReno) SetMSS(mss int) {
	if mss <= 0 {
		return
	}
	r.mss = mss
	if r.untouched {
		r.cwnd = InitialWindow(mss)
	}
}

// halve is RFC 5681 equation (4): max (FlightSize / 2, 2*SMSS), with
// beta in place of the 1/2 (RFC 9438 4.6 for CUBIC: FlightSize * 0.7).
func (r *newReno) halve(flightSize int) int {
	return max(int(float64(flightSize)*r.beta), 2*r.mss)
}
