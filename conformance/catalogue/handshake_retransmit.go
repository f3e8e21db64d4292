package catalogue

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
)

// synsDropped is how many of the client's SYNs syn-retransmit loses.
const synsDropped = 3

// configuredSynRetries is the SYN retry limit syn-retransmit-exhausted sets
// on both stacks.
const configuredSynRetries = 4

var _ = Register(
	// syn-retransmit: the first 3 SYNs (synsDropped) are dropped. Expected: the
	// SYN is retransmitted 1 s, 3 s and 7 s after the first (initial RTO 1 s,
	// doubling; RFC 6298 2.1, 5.5), and the handshake completes with the one
	// that passes.
	Scenario{
		Name:       "syn-retransmit",
		OnProfiles: true,
		Section:    "handshake",
		Summary:    fmt.Sprintf("the first %d SYNs are dropped: resent 1 s, 3 s, 7 s after the first, then connects", synsDropped),
		RFCs:       []string{"RFC 6298 2.1", "RFC 6298 5.5"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Name: "drop SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}, Times: synsDropped})
		},
		Run: runSynRetransmit,
	},
	// syn-retransmit-exhausted: every SYN is dropped, with SYN retries set to 4
	// (configuredSynRetries). Expected: SYNs at 0, 1, 3, 7 and 15 s, and the
	// attempt fails with a timeout (ETIMEDOUT) when the last RTO expires, at
	// 31 s.
	Scenario{
		Name:         "syn-retransmit-exhausted",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "needs 31 s of Linux's real-time SYN retransmission timer",
		Section:      "handshake",
		Summary:      fmt.Sprintf("every SYN dropped, %d retries: SYNs at 0, 1, 3, 7, 15 s, then ETIMEDOUT at 31 s", configuredSynRetries),
		RFCs:         []string{"RFC 9293 3.8.3", "RFC 6298 2.1", "RFC 6298 5.5"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Name: "drop SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}})
			s.TCP.SynRetries = configuredSynRetries
			s.Patience = 4 * time.Minute
		},
		Run: runSynRetransmitExhausted,
	},
	// syn-retransmit-3min: every SYN is dropped and nothing is configured.
	// Expected: the stack keeps retransmitting the SYN, with RFC 6298 backoff,
	// for at least 3 minutes before it gives the attempt up (RFC 9293 3.8.3
	// MUST-23, RFC 1122 4.2.3.5).
	Scenario{
		Name:         "syn-retransmit-3min",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "needs 3 minutes of Linux's real-time SYN retransmission timer",
		Section:      "handshake",
		Summary:      "every SYN dropped, nothing configured: the SYN is retried for at least 3 minutes",
		RFCs:         []string{"RFC 9293 3.8.3", "RFC 1122 4.2.3.5", "RFC 6298 5.5"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Name: "drop SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}})
			s.Patience = 20 * time.Minute
		},
		Run: runSynRetransmit3Min,
	},
	// syn-timeout-rto-3s: the first SYN is dropped, then the first data
	// segment. Expected: after a SYN timeout the RTO is re-initialized to 3 s
	// when data transmission begins (RFC 6298 5.7), so the data is
	// retransmitted 3 s after it was sent. ourstack runs without timestamps
	// here, so that no RTT sample from the handshake can stand in for the 3 s.
	Scenario{
		Name:         "syn-timeout-rto-3s",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "waits on Linux's real-time SYN and data retransmission timers: about 4 s of real time",
		Section:      "handshake",
		Summary:      "the first SYN and first data segment are lost: the data is resent 3 s after it was sent",
		RFCs:         []string{"RFC 6298 5.7"},
		Setup: func(s *Setup) {
			// With timestamps, the SYN-ACK's echo of the retransmitted SYN
			// is an unambiguous RTT sample, and a stack may keep the RTO
			// computed from it (Linux does; so does ourstack). Without
			// them Karn's algorithm leaves no sample and 5.7 applies
			// plainly. gVisor cannot turn timestamps off.
			s.Ours.TCP.NoTimestamps = true
			s.Net.Faults = append(s.Net.Faults,
				&harness.Rule{Name: "drop SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}, Times: 1},
				&harness.Rule{Name: "drop data", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Times: 1})
		},
		Run: runSynTimeoutRTO3s,
	},
	// synack-retransmit: every SYN-ACK is dropped and only the first SYN
	// arrives. Expected: the server retransmits its SYN-ACK 1 s after the
	// first, the gaps doubling (RFC 6298 2.1, 5.5), then gives the half-open
	// connection up (SYN-RECEIVED -> CLOSED) when the last RTO expires. Accept
	// never returns it, and the listener then accepts a new dial.
	Scenario{
		Name:         "synack-retransmit",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "needs Linux's real-time SYN-ACK retransmission timer to run out: over a minute of real time",
		Section:      "handshake",
		Summary:      "every SYN-ACK is lost: resent at 1 s, gaps doubling, then the half-open one is dropped",
		RFCs:         []string{"RFC 6298 2.1", "RFC 6298 5.5", "RFC 9293 3.8.3"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults,
				&harness.Rule{Name: "drop SYN-ACK", Dirs: harness.OnlyServerToClient, Match: []harness.SegCheck{harness.Flags(SYN | ACK)}},
				&harness.Rule{Name: "drop SYN after the first", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}, Skip: 1})
			s.Patience = 4 * time.Minute
		},
		Run: runSynAckRetransmit,
	},
)

// recordsFrom is every record since mark from side whose flags are exactly f.
func recordsFrom(e *Env, mark int, side harness.Side, f packet.Flags) []*harness.Record {
	var out []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir.From() == side && r.Packet.TCP.Flags == f {
			out = append(out, r)
		}
	}
	return out
}

// rtoCapFloor is the least maximum RTO a stack may use: "A maximum value
// MAY be placed on RTO provided it is at least 60 seconds" (RFC 6298 2.5).
const rtoCapFloor = 60 * time.Second

// expectBackoff checks that segs left at the exponential backoff of RFC
// 6298 from an initial RTO of 1 s (2.1): the first retransmission 1 s after
// the original, every later gap twice the one before (5.5), until the gaps
// reach the stack's maximum RTO (at least 60 s, 2.5) and stay there. It
// returns the earliest and latest moment the RTO after the last segment may
// expire: when the stack gives up, if it does after the last one.
func expectBackoff(e *Env, what string, segs []*harness.Record) (lo, hi time.Duration) {
	if len(segs) > 1 && e.PeerKind(segs[0].Dir.From()) == LwIP {
		if lo, hi, ok := lwipBackoff(segs); ok {
			e.Deviates(LwIPSYNTimer)
			return lo, hi
		}
	}
	gap := time.Second
	capped := false
	for i := 1; i < len(segs); i++ {
		got := segs[i].At - segs[i-1].At
		switch {
		case e.TimerOnTime(segs[i].Dir.From(), got, gap):
		case !capped && i > 1 && got >= rtoCapFloor && got > gap/2 && got < gap:
			// The doubling met the stack's maximum RTO.
			capped, gap = true, got
		default:
			e.Fail(fmt.Sprintf("%s retransmitted with gaps of 1 s, 2 s, 4 s ... (RFC 6298 2.1, 5.5), capped at no less than 60 s (2.5)", what),
				fmt.Sprintf("gap %d was %v, want %v; sent at %s", i, got, gap, formatTimes(segs)))
		}
		if !capped {
			gap *= 2
		}
	}
	last := segs[len(segs)-1].At
	if capped {
		return last + gap, last + gap
	}
	return last + min(gap, max(rtoCapFloor, gap/2)), last + gap
}

// lwipBackoff accepts lwIP's SYN and SYN-ACK timers (LwIPSYNTimer): a
// first resend 3 s after the first send, on 500 ms slow-timer ticks (2.5
// to 3 s), then gaps each the last one again (a SYN) or twice it (a
// SYN-ACK), to within a tick. lo and hi bound the next resend.
func lwipBackoff(segs []*harness.Record) (lo, hi time.Duration, ok bool) {
	const tick = LwIPSlowTick
	first := segs[1].At - segs[0].At
	if first < 3*time.Second-tick-judge.TimerSlack || first > 3*time.Second+judge.TimerSlack {
		return 0, 0, false
	}
	gap, factor := first, 0
	for i := 2; i < len(segs); i++ {
		got := segs[i].At - segs[i-1].At
		f := 1
		if judge.Within(got, 2*gap, tick+judge.TimerSlack) && !judge.Within(got, gap, tick+judge.TimerSlack) {
			f = 2
		}
		if !judge.Within(got, time.Duration(f)*gap, tick+judge.TimerSlack) || factor != 0 && f != factor {
			return 0, 0, false
		}
		gap, factor = got, f
	}
	last := segs[len(segs)-1].At
	if factor == 0 {
		return last + first - tick, last + 2*first + tick, true
	}
	return last + time.Duration(factor)*gap - tick, last + time.Duration(factor)*gap + tick, true
}

func formatTimes(segs []*harness.Record) string {
	parts := make([]string, len(segs))
	for i, r := range segs {
		parts[i] = r.At.String()
	}
	return strings.Join(parts, ", ")
}

func runSynRetransmit(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })

	var segs []Seg
	for i := range synsDropped + 1 {
		fate := harness.Dropped
		if i == synsDropped {
			fate = harness.Delivered
		}
		segs = append(segs, C2S(Flags(SYN), Seq(0), Len(0), FateIs(fate)))
	}
	segs = append(segs,
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
		C2S(Flags(ACK), Seq(1), Ack(1), Len(0)))
	e.ExpectExactly(mark, segs...)
	syns := recordsFrom(e, mark, harness.Client, SYN)
	if e.Pairing.Client == Linux && LinearSYNGaps(syns) {
		e.Deviates(LinuxSYNLinearBackoff)
	} else {
		expectBackoff(e, "the SYN", syns)
	}

	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	e.WriteAll(c, []byte("after three lost SYNs"))
	e.ExpectRead(s, []byte("after three lost SYNs"))
	return nil
}

func runSynRetransmitExhausted(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to give up", func() bool { return c.State() == harness.Closed })
	gaveUp := e.EnteredAt(c, harness.Closed)

	syns := recordsFrom(e, mark, harness.Client, SYN)
	if len(syns) == 0 {
		e.Fail("SYNs", "none")
	}
	// The attempt ends when the RTO after the last retransmission expires.
	endLo, endHi := expectBackoff(e, "the SYN", syns)
	if want := configuredSynRetries + 1; len(syns) != want || gaveUp < endLo || gaveUp > endHi {
		if e.Pairing.Client == GVisor && len(syns) == 7 && gaveUp == 127*time.Second+syns[0].At {
			e.Deviates(GVisorSynRetriesIgnored)
		} else {
			e.Fatalf(fmt.Sprintf("%d SYNs (the first and %d retries), then the attempt given up when the last RTO expires", want, configuredSynRetries),
				"%d SYNs at %s; given up at %v (the last RTO expired between %v and %v)", len(syns), formatTimes(syns), gaveUp, endLo, endHi)
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Closed)
	_, rerr := c.Read(make([]byte, 8))
	if !errors.Is(rerr, syscall.ETIMEDOUT) {
		e.Fatalf("client Read to report the timeout (ETIMEDOUT)", "Read: %v", rerr)
	}
	if _, err := l.Accept(); !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("nothing to accept", "Accept: %v", err)
	}
	// Given up means silent.
	quiet := e.Mark()
	e.Advance(5 * time.Minute)
	e.ExpectNoPackets(quiet, "an abandoned attempt sends nothing more")
	return nil
}

// synR2 is RFC 9293 3.8.3's floor for giving up on a SYN: "R2 for a SYN
// segment MUST be set large enough to provide retransmission of the segment
// for at least 3 minutes (MUST-23)."
const synR2 = 3 * time.Minute

func runSynRetransmit3Min(e *Env) error {
	e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to give up", func() bool { return c.State() == harness.Closed })
	syns := recordsFrom(e, mark, harness.Client, SYN)
	expectBackoff(e, "the SYN", syns)
	gaveUp := e.EnteredAt(c, harness.Closed) - syns[0].At
	if gaveUp < synR2 {
		switch {
		case e.Pairing.Client == GVisor && gaveUp == 127*time.Second:
			e.Deviates(GVisorSYNGiveUpBefore3Min)
		case e.Pairing.Client == LwIP && len(syns) == 1+LwIPSYNRetries:
			e.Deviates(LwIPSYNGiveUpBefore3Min)
		default:
			e.Fatalf("the SYN retransmitted for at least 3 minutes before giving up (RFC 9293 3.8.3 MUST-23)",
				"gave up %v after the first SYN; SYNs at %s", gaveUp, formatTimes(syns))
		}
	}
	_, rerr := c.Read(make([]byte, 8))
	if !errors.Is(rerr, syscall.ETIMEDOUT) {
		e.Fatalf("client Read to report the timeout (ETIMEDOUT)", "Read: %v", rerr)
	}
	return nil
}

func runSynTimeoutRTO3s(e *Env) error {
	l := e.Listen()
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	mark := e.Mark()
	msg := []byte("the first data after a SYN timeout")
	e.WriteAll(c, msg)
	e.ExpectRead(s, msg)

	var data []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir == harness.ClientToServer && r.PayloadLen > 0 {
			data = append(data, r)
		}
	}
	if len(data) < 2 || data[0].Fate != harness.Dropped || data[1].RelSeq != data[0].RelSeq {
		e.Fail("the data segment, dropped, then its retransmission", DescribeRecords(e.Since(mark)))
	}
	// RFC 6298 5.7: "If the timer expires awaiting the ACK of a SYN segment
	// and the TCP implementation is using an RTO less than 3 seconds, the
	// RTO MUST be re-initialized to 3 seconds when data transmission
	// begins (i.e., after the three-way handshake completes)."
	if gap := data[1].At - data[0].At; gap != 3*time.Second {
		switch {
		case e.Pairing.Client == GVisor && gap < 3*time.Second:
			e.Deviates(GVisorNoRTO3sAfterSYNTimeout)
		case e.PeerKind(harness.Client) == LwIP && gap < 3*time.Second && gap >= 3*time.Second-LwIPSlowTick:
			e.Deviates(LwIPRTOInSlowTicks)
		default:
			e.Fatalf("the lost data retransmitted 3 s after it was sent (RFC 6298 5.7)", "it was retransmitted %v after", gap)
		}
	}
	return nil
}

func runSynAckRetransmit(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("the server to take the SYN", func() bool {
		return e.Net.State(harness.Server, c.ID().Reverse()) == harness.SynReceived
	})
	sid := c.ID().Reverse()
	e.WaitFor("the server to give the half-open connection up", func() bool {
		st := e.Net.States(harness.Server, sid)
		return len(st) > 2
	})
	gaveUp := e.Net.History(harness.Server, sid)[1].At
	if _, err := l.Accept(); !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("no accepted connection from a handshake that never completed", "Accept: %v", err)
	}

	synAcks := recordsFrom(e, mark, harness.Server, SYN|ACK)
	for _, r := range synAcks {
		if err := harness.CheckRecord(r, Seq(0), Ack(1), Len(0)); err != nil {
			e.Fatalf("every SYN-ACK to repeat seq=0 ack=1", "#%d: %v", r.Index, err)
		}
	}
	if len(synAcks) < 3 {
		e.Fatalf("the SYN-ACK retransmitted at least twice", "%d SYN-ACKs", len(synAcks))
	}
	endLo, endHi := expectBackoff(e, "the SYN-ACK", synAcks)
	if gaveUp < endLo || gaveUp > endHi {
		e.Fatalf(fmt.Sprintf("the half-open connection dropped when the RTO after the last SYN-ACK expired, between %v and %v", endLo, endHi),
			"dropped at %v (SYN-ACKs at %s)", gaveUp, formatTimes(synAcks))
	}
	// RFC 9293 3.10.7.4 and 3.8.3: a connection from a passive OPEN that
	// fails goes away (CLOSED); its listener is unaffected.
	ExpectStatesOf(e, harness.Server, sid, harness.Listen, harness.SynReceived, harness.Closed)
	quiet := e.Mark()
	e.Advance(time.Minute)
	for _, r := range e.Since(quiet) {
		if r.Dir == harness.ServerToClient {
			e.Fail("nothing more from the server for the abandoned connection", DescribeRecords(e.Since(quiet)))
		}
	}

	// The listener still works, once the client's own attempt is over
	// (a SYN of it arriving now would start the same connection again).
	e.WaitFor("the client to give up", func() bool { return c.State() == harness.Closed })
	e.Net.ClearRules()
	expectListenerStillWorks(e, l)
	return nil
}
