package catalogue

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
)

// The limits rto-backoff gives both stacks. RFC 6298 2.5: "A maximum value
// MAY be placed on RTO provided it is at least 60 seconds"; 60 s is the
// smallest cap the RFC allows, and ten retransmissions from a 200 ms RTO
// reach it (0.2 s doubled nine times is 51.2 s). On virtual time the whole
// backoff takes microseconds.
const (
	rtoBackoffMaxRTO  = 60 * time.Second
	rtoBackoffRetries = 10
)

// rto-backoff: the path goes silent after the client sends data. Expected:
// the first unacknowledged segment is retransmitted at RTO, 2RTO, 4RTO ...,
// capped at the maximum RTO of 60 s (RFC 6298 5.5, 2.5). After the retry
// limit (10, set on both stacks) the client aborts (RFC 1122 4.2.3.5), and
// its Read and Write return an error.
var rtoBackoff = Scenario{
	Name:         "rto-backoff",
	OnProfiles:   true,
	RealTime:     TooSlowForRealTime,
	RealTimeNote: "needs Linux's real-time retransmission timer to back off to 60 s ten times: about 15 minutes of real time",
	Section:      "data",
	Summary:      "the path goes silent: the RTO doubles up to 60 s; after 10 retries the client aborts",
	RFCs:         []string{"RFC 6298 5.5", "RFC 6298 2.5", "RFC 1122 4.2.3.5"},
	Setup: func(s *Setup) {
		s.TCP.MaxRTO = rtoBackoffMaxRTO
		s.TCP.DataRetries = rtoBackoffRetries
		s.Patience = 10 * time.Minute
	},
	Run: runRTOBackoff,
}

func runRTOBackoff(e *Env) error {
	c, s := e.Connect()
	// Let the handshake's RTT sample settle the RTO, and any delayed ACK go.
	e.Advance(DelayedACKWait)
	mark := e.Mark()
	e.Net.AddRule(&harness.Rule{Name: "silent path", Action: harness.Drop})
	const size = 4000
	e.WriteAll(c, make([]byte, size))

	// Run until the client gives up.
	e.WaitFor("client to abort after its retries", func() bool { return c.State() == harness.Closed })
	abortedAt := e.EnteredAt(c, harness.Closed)

	// Every transmission of the first segment (relative seq 1): the
	// original, then each retransmission.
	var sends []*harness.Record
	for _, r := range DataRecords(e.Since(mark), harness.ClientToServer) {
		if r.RelSeq == 1 && r.At <= abortedAt {
			sends = append(sends, r)
		}
	}
	if got := len(sends) - 1; got != rtoBackoffRetries {
		e.Fatalf(fmt.Sprintf("%d retransmissions of the first segment before the abort (the retry limit)", rtoBackoffRetries),
			"%d\n%s", got, DescribeRecords(e.Since(mark)))
	}
	gaps := make([]time.Duration, len(sends)-1)
	for i := range gaps {
		gaps[i] = sends[i+1].At - sends[i].At
	}
	// RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off the
	// timer")", with 2.5's cap. The first interval is the RTO itself,
	// unless a tail-loss probe (RFC 8985 7) went out first and the timer
	// was re-armed from it; so the doubling is checked from the second
	// interval on, and the first against it.
	probed := tailLossProbe(e.Since(mark), sends[0], sends[1])
	for i := 1; i < len(gaps); i++ {
		want := min(2*gaps[i-1], rtoBackoffMaxRTO)
		if i == 1 && probed != nil {
			continue
		}
		if !judge.OnTime(gaps[i], want) {
			e.Fatalf(fmt.Sprintf("retransmission %d to come %v after the one before (twice %v, capped at %v)", i+1, want, gaps[i-1], rtoBackoffMaxRTO),
				"it came %v after it; the intervals were %s", gaps[i], formatGaps(gaps))
		}
	}
	// RFC 5681 3.1: after a timeout "cwnd MUST be set to no more than the
	// loss window, LW, which equals 1 full-sized segment". On a silent path
	// no ACK opens it again, so the first timeout's retransmission must go
	// alone until the next timeout.
	if extra := sentBetween(e.Since(mark), sends[1], sends[2]); len(extra) > 0 {
		e.Fatalf("only the first segment to go out after the first timeout, until the next (RFC 5681 3.1: cwnd = LW = 1 SMSS)",
			"%d more data segment(s) went with it, the first seq=%d len=%d\n%s", len(extra), extra[0].RelSeq, extra[0].SegLen(), DescribeRecords(e.Since(mark)))
	}
	if last := gaps[len(gaps)-1]; !judge.OnTime(last, rtoBackoffMaxRTO) {
		e.Fatalf("the backoff to reach the 60 s cap", "the last interval was %v (intervals %s)", last, formatGaps(gaps))
	}
	// The connection is given up when the timer expires after the last
	// retransmission (RFC 1122 4.2.3.5, R2 reached).
	lastRTO := min(2*gaps[len(gaps)-1], rtoBackoffMaxRTO)
	if want := sends[len(sends)-1].At + lastRTO; !judge.OnTime(abortedAt, want) {
		e.Fatalf(fmt.Sprintf("the client to abort when the timer expired after the last retransmission, at %v", want),
			"it went CLOSED at %v", abortedAt)
	}

	// Application: both calls report the failure.
	buf := make([]byte, 10)
	_, rerr := c.Read(buf)
	if rerr == nil || rerr == io.EOF || errors.Is(rerr, harness.ErrWouldBlock) {
		e.Fatalf("client Read to return the error that ended the connection", "Read returned %v", rerr)
	}
	_, werr := c.Write(buf)
	if werr == nil || errors.Is(werr, harness.ErrWouldBlock) {
		e.Fatalf("client Write to return an error", "Write returned %v", werr)
	}
	e.Observe("after the abort Read returned %q, Write %q", rerr, werr)
	if probed != nil {
		e.Observe("a tail-loss probe (RFC 8985 7) seq=%d went %v after the data, before the first RTO", probed.RelSeq, probed.At-sends[0].At)
	}
	e.Observe("retransmission intervals %s; aborted %v after the last", formatGaps(gaps), lastRTO)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.Closed)
	// The server never heard of any of it.
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// tailLossProbe returns the first data segment sent between first and
// second that is not the first segment again: a tail-loss probe (RFC 8985
// 7.3: new data or the last segment, sent before the RTO), or nil.
func tailLossProbe(recs []*harness.Record, first, second *harness.Record) *harness.Record {
	for _, r := range sentBetween(recs, first, second) {
		if r.RelSeq != first.RelSeq && r.At > first.At {
			return r
		}
	}
	return nil
}

// sentBetween returns the data segments sent in first's direction after
// first and before second, other than first itself.
func sentBetween(recs []*harness.Record, first, second *harness.Record) []*harness.Record {
	var out []*harness.Record
	for _, r := range DataRecords(recs, first.Dir) {
		if r.Index > first.Index && r.Index < second.Index {
			out = append(out, r)
		}
	}
	return out
}

func formatGaps(gaps []time.Duration) string {
	parts := make([]string, len(gaps))
	for i, g := range gaps {
		parts[i] = g.String()
	}
	return strings.Join(parts, ", ")
}
