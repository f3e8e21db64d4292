package catalogue

import (
	"fmt"
	"slices"
	"strings"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// congestion-avoidance-growth: once a loss has set ssthresh, how fast does
// a sender's window grow? RFC 5681 3.1: in congestion avoidance "cwnd MUST
// NOT be increased by more than SMSS bytes per RTT" beyond what an ACK
// count rule of about one SMSS per RTT gives, whatever the ACK spacing;
// CUBIC (RFC 9438 4.4) near W_max, right after a reduction, grows about as
// slowly. The scenario measures the flight in each round trip after the
// recovery from one loss ends: slow start would double it every RTT.
//
// The run: one lost segment ends slow start on a 10 ms, 100 Mbit/s link.
// Expected: in each of the 6 round trips (avoidanceRTTs) after recovery the
// flight grows by at most 2 SMSS (growthPerRTT) per RTT (RFC 5681 3.1:
// about 1), and the digest matches.
var congestionAvoidanceGrowth = Scenario{
	Name:     "congestion-avoidance-growth",
	Section:  "loss",
	RealTime: TooSlowForRealTime,
	RealTimeNote: "the measurement needs exactly one loss on a 10 ms link model; " +
		"a real-time kernel's own timing and queue would add others",
	Summary: fmt.Sprintf("one loss ends slow start: the flight then grows by at most %d SMSS per RTT", growthPerRTT),
	RFCs:    []string{"RFC 5681 3.1"},
	Setup: func(s *Setup) {
		s.Net.Link = [2]harness.LinkConfig{congestionLink, congestionLink}
	},
	Run: runCongestionAvoidanceGrowth,
}

var _ = Register(congestionAvoidanceGrowth)

// avoidanceRTTs is how many round trips of congestion avoidance are
// measured: enough that slow start's doubling would stand out whatever the
// first one was.
const avoidanceRTTs = 6

func runCongestionAvoidanceGrowth(e *Env) error {
	c, s, t, mark := startCongestionTransfer(e)
	t.Run()
	recs := e.Since(mark)

	var lost *harness.Record
	for _, r := range recs {
		if r.Fate.Lost() {
			if lost != nil {
				e.Fatalf("one data segment lost, by the rule "+slowStartLossRule, "another, #%d, was lost too", r.Index)
			}
			lost = r
		}
	}
	if lost == nil {
		e.Fatalf("the rule "+slowStartLossRule+" to drop a data segment", "nothing was lost")
	}
	m, ok := measureLossResponse(recs, lost)
	if !ok {
		e.Fatalf(fmt.Sprintf("the lost segment seq=%d retransmitted and recovery ended", lost.RelSeq), "%s", m.missing)
	}
	// The largest flight in each round trip from the end of recovery on.
	peaks := make([]int, avoidanceRTTs)
	sentIn := make([]bool, avoidanceRTTs)
	for _, f := range FlightAtEachSend(recs, harness.ClientToServer) {
		if f.Rec.At < m.from {
			continue
		}
		k := int((f.Rec.At - m.from) / m.rtt)
		if k >= avoidanceRTTs {
			break
		}
		sentIn[k] = true
		peaks[k] = max(peaks[k], f.Bytes)
	}
	if i := slices.Index(sentIn, false); i >= 0 {
		e.Fatalf(fmt.Sprintf("data sent in each of the %d RTTs (%v) after recovery ended at %v", avoidanceRTTs, m.rtt, m.from),
			"none in RTT %d (if the transfer ran out, make congestionSize larger)", i)
	}
	mss := e.SendMSS(harness.ClientToServer)
	e.Observe("flight per RTT after recovery (SMSS %d): %s", mss, formatPeaks(peaks, mss))
	for k := 1; k < avoidanceRTTs; k++ {
		bound := peaks[0] + (reductionSlackSegments+growthPerRTT*k)*mss
		if peaks[k] <= bound {
			continue
		}
		if e.Pairing.Client == GVisor {
			e.Deviates(GVisorRenoAvoidanceGrowth)
			break
		}
		e.Fatalf(fmt.Sprintf("the flight in RTT %d after recovery at most %d bytes: the first RTT's %d plus (%d + %d x %d) SMSS "+
			"(RFC 5681 3.1: congestion avoidance grows cwnd by about 1 SMSS per RTT)", k, bound, peaks[0], reductionSlackSegments, growthPerRTT, k),
			"%d bytes; per RTT: %s", peaks[k], formatPeaks(peaks, mss))
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// formatPeaks prints each round trip's flight in segments of mss.
func formatPeaks(peaks []int, mss int) string {
	parts := make([]string, len(peaks))
	for i, p := range peaks {
		parts[i] = fmt.Sprintf("%.1f", float64(p)/float64(mss))
	}
	return strings.Join(parts, ", ") + " SMSS"
}
