package tcp

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Tail loss probe, RFC 8985 section 7 (TLP). When the last segments of a
// flight are lost, or so many of a small flight that too few duplicate ACKs
// come back, nothing but the retransmission timer would notice, and a
// minimum RTO of 200 ms is a hundred round trips on a short path. TLP sends
// one probe segment after about two round trips of silence: new data if
// there is some, else the last segment again. The ACK it draws carries the
// SACK information that lets RFC 6675 recovery repair the loss (or, for a
// lost last segment, simply acknowledges it). Linux and gVisor do the same.
//
// Like RFC 8985, this needs SACK; without it the TCB relies on NewReno and
// the retransmission timer alone.

// worstCaseDelayedACK is RFC 8985's WCDelAckT: when only one segment is in
// flight, the peer may hold its ACK this long.
const worstCaseDelayedACK = 200 * time.Millisecond

// minPTO keeps the probe timer above the timer granularity of a real
// clock (RFC 8985 leaves the floor to the implementation; 10 ms).
const minPTO = 10 * time.Millisecond

// lossProbeState is one connection's TLP state.
type lossProbeState struct {
	// due: the probe timeout fired; the next Poll sends the probe.
	due bool
	// outstanding: a probe was sent and SND.UNA has not moved since (RFC
	// 8985 7.2 schedules no second probe for the same tail).
	outstanding bool
	// armedFor is the flight (SND.UNA, SND.MAX) the timer was armed for: a
	// new flight (new data sent, or an ACK) reschedules it.
	armedUna, armedMax seqnum.Value
	// probing: sendNextSegment may ignore cwnd and Nagle for this one
	// segment (RFC 8985 7.3: "transmit new data, if available and the
	// receive window allows").
	probing bool
}

// lossProbeAllowed: RFC 8985 7.2's conditions for scheduling a probe: SACK
// in use, the connection not in loss recovery (fast or after a timeout),
// data in flight, no probe already outstanding. We also want an RTT sample:
// without one RFC 8985 would probe after 1 s, earlier than the 3 s RTO RFC
// 6298 5.7 prescribes after a SYN timeout, and with no basis to guess from.
func (t *TCB) lossProbeAllowed() bool {
	switch t.state {
	case Established, CloseWait, FinWait1, Closing, LastAck:
	default:
		return false
	}
	return t.opts.sackOK && t.rto.HasSample() && t.sndWnd > 0 && !t.snd.recovery.active && t.snd.retries == 0 &&
		t.sndMax != t.sndUna && !t.snd.lossProbe.outstanding
}

// scheduleLossProbe (re)arms the probe timer for the current flight, at
// PTO = 2*SRTT (plus WCDelAckT with a single segment in flight), and never
// after the retransmission timer.
func (t *TCB) scheduleLossProbe(now time.Time) {
	lp := &t.snd.lossProbe
	if !t.lossProbeAllowed() {
		t.disarm(timerLossProbe)
		return
	}
	if t.armed(timerLossProbe) && lp.armedUna == t.sndUna && lp.armedMax == t.sndMax {
		return
	}
	lp.armedUna, lp.armedMax = t.sndUna, t.sndMax
	pto := 2 * t.rto.SRTT()
	if int(t.sndUna.Size(t.sndMax)) <= t.opts.sendMSS {
		pto += worstCaseDelayedACK
	}
	pto = max(pto, minPTO)
	at := now.Add(pto)
	if t.armed(timerRetransmit) && !at.Before(t.timers[timerRetransmit]) {
		t.disarm(timerLossProbe)
		return
	}
	t.arm(timerLossProbe, at)
}

// lossProbeTimeout: the flight went silent for a PTO. RFC 8985 7.3: send
// a probe, then arm the retransmission timer.
func (t *TCB) lossProbeTimeout(now time.Time) {
	if !t.lossProbeAllowed() {
		return
	}
	lp := &t.snd.lossProbe
	lp.due, lp.outstanding = true, true
	t.arm(timerRetransmit, now.Add(t.rto.RTO()))
}

// sendLossProbe sends the probe: one new segment if the peer's window
// takes it, else the last segment sent, again.
func (t *TCB) sendLossProbe(now time.Time, emit func(seg *wire.Segment)) {
	lp := &t.snd.lossProbe
	lp.due = false
	t.stats.LossProbes++
	if t.sndNxt == t.sndMax {
		lp.probing = true
		sent := t.sendNextSegment(now, emit)
		lp.probing = false
		if sent {
			return
		}
	}
	last := t.sndMax
	if t.finSent() {
		last = t.snd.finSeq // the FIN rides with the data before it
	}
	from := t.sndUna
	if n := seqnum.Size(t.opts.sendMSS); t.sndUna.Size(last) > n {
		from = last.Add(0 - n)
	}
	t.retransmitSegment(now, from, t.opts.sendMSS, emit)
}
