package tcp

import "time"

// timer names one of the connection's timers. Each is a deadline in
// timers[]; the zero time means "not armed". The Stack learns the earliest
// through Deadline and calls HandleTimers once it has passed.
type timer int

const (
	// timerRetransmit is RFC 6298's retransmission timer. It also times the
	// SYN and SYN-ACK (RFC 6298 5, RFC 9293 3.8.1), with the same backoff.
	timerRetransmit timer = iota
	// timerDelayedACK bounds how long an ACK may wait (RFC 9293 3.8.6.3).
	timerDelayedACK
	// timerPersist probes a zero window and overrides sender SWS avoidance
	// (RFC 9293 3.8.6.1, 3.8.6.2.1).
	timerPersist
	// timerKeepalive fires after idle time and between probes (RFC 1122 4.2.3.6).
	timerKeepalive
	// timerTimeWait is the 2*MSL wait of TIME-WAIT (RFC 9293 3.3.2).
	timerTimeWait
	// timerLossProbe is the tail loss probe timeout (RFC 8985 7).
	timerLossProbe
	// timerFinWait2 ends a FIN-WAIT-2 the application has fully closed when
	// the peer never sends its FIN. RFC 9293 has no such timer; Linux does
	// (tcp_fin_timeout, 60 s), and without it an orphaned TCB lives forever.
	timerFinWait2
	numTimers
)

var timerNames = [...]string{
	timerRetransmit: "retransmit",
	timerDelayedACK: "delayed-ack",
	timerPersist:    "persist",
	timerKeepalive:  "keepalive",
	timerTimeWait:   "time-wait",
	timerLossProbe:  "loss-probe",
	timerFinWait2:   "fin-wait-2",
}

func (k timer) String() string { return timerNames[k] }

func (t *TCB) arm(k timer, at time.Time) { t.timers[k] = at }
func (t *TCB) disarm(k timer)            { t.timers[k] = time.Time{} }
func (t *TCB) armed(k timer) bool        { return !t.timers[k].IsZero() }
func (t *TCB) stopAllTimers()            { t.timers = [numTimers]time.Time{} }
func (t *TCB) armIfIdle(k timer, at time.Time) {
	if !t.armed(k) {
		t.arm(k, at)
	}
}

// Deadline is when HandleTimers must next run; ok is false when no timer is armed.
func (t *TCB) Deadline() (deadline time.Time, ok bool) {
	for _, d := range t.timers {
		if d.IsZero() {
			continue
		}
		if !ok || d.Before(deadline) {
			deadline, ok = d, true
		}
	}
	return deadline, ok
}

// HandleTimers runs every timer whose deadline is at or before now.
func (t *TCB) HandleTimers(now time.Time) {
	for k := timer(0); k < numTimers; k++ {
		d := t.timers[k]
		if d.IsZero() || d.After(now) {
			continue
		}
		t.disarm(k)
		switch k {
		case timerRetransmit:
			t.retransmitTimeout(now)
		case timerDelayedACK:
			t.ackNow = true
		case timerPersist:
			t.persistTimeout(now)
		case timerKeepalive:
			t.keepaliveTimeout(now)
		case timerLossProbe:
			t.lossProbeTimeout(now)
		case timerTimeWait:
			// RFC 9293 3.3.2: after 2 MSL, delete the TCB.
			t.setState(Closed, now)
		case timerFinWait2:
			if t.state == FinWait2 {
				t.setState(Closed, now)
			}
		}
		if t.state == Closed {
			return
		}
	}
}

// retransmitTimeout is RFC 6298 5.4-5.6: retransmit the earliest
// unacknowledged segment, back off the timer, restart it. After the retry
// limit the connection is given up with ErrTimedOut (RFC 1122 4.2.3.5, R2).
func (t *TCB) retransmitTimeout(now time.Time) {
	if t.sndUna == t.sndMax {
		return // everything was acknowledged meanwhile
	}
	limit := t.cfg.DataRetries
	if t.state == SynSent || t.state == SynReceived && !t.everEstablished {
		limit = t.cfg.SynRetries
	}
	if t.zeroWindow() {
		// The window closed before Poll could hand the connection to the
		// persist timer: probe now, as the persist timer would.
		t.persistTimeout(now)
		return
	}
	if t.snd.retries >= limit {
		t.terminate(t.timeoutErr(), now)
		return
	}
	t.snd.retries++
	t.stats.Timeouts++
	t.snd.rtoFired(t, now)
	t.rto.Backoff()
	// Go back N: resend from SND.UNA as the congestion window allows.
	t.sndNxt = t.sndUna
	t.arm(timerRetransmit, now.Add(t.rto.RTO()))
}
