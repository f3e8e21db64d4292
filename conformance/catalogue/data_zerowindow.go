package catalogue

import (
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// zeroWindowWatch is how long zero-window keeps the reader stopped once
// the window is shut: long enough for several backed-off probes.
const zeroWindowWatch = 3 * time.Minute

// zero-window: the server stops reading, and its window falls to 0.
// Expected: the client probes on the persist timer at growing intervals
// (RFC 9293 3.8.6.1, RFC 1122 4.2.2.17), each probe is answered by an ACK,
// and the connection is kept open. When the server reads again the window
// opens and the data resumes to the last byte (digest).
var zeroWindow = Scenario{
	Name:         "zero-window",
	OnProfiles:   true,
	RealTime:     TooSlowForRealTime,
	RealTimeNote: "the persist timer's growing probe intervals run on Linux's real time: well over 8 s",
	Section:      "data",
	Summary:      "the server stops reading: window 0, the client probes at growing intervals, data resumes",
	RFCs:         []string{"RFC 9293 3.8.6.1", "RFC 1122 4.2.2.17"},
	Setup: func(s *Setup) {
		s.Patience = 10 * time.Minute
	},
	Run: runZeroWindow,
}

func runZeroWindow(e *Env) error {
	// Fill the pipe until the server says its window is shut.
	c, s, t, _, zero := stallOnZeroWindow(e, 8<<20)
	e.Advance(zeroWindowWatch)
	e.ExpectState(c, harness.Established)
	e.ExpectState(s, harness.Established)
	stopped := e.Mark()

	// The probes: what the client sent while the window was shut.
	var probes []*harness.Record
	for _, r := range e.Net.Trace().Records[zero.Index+1 : stopped] {
		if r.Dir == harness.ClientToServer && IsIntact(r) && r.At >= zero.Arrived {
			probes = append(probes, r)
		}
	}
	if len(probes) == 0 && e.PeerKind(harness.Client) == Lneto {
		e.Deviates(LnetoNoZeroWindowProbe)
	} else {
		checkZeroWindowProbes(e, probes, zero, t)
	}

	// The reader reads again: the window opens and the rest flows.
	t.Paused = false
	t.Run()
	var update *harness.Record
	for _, r := range e.Since(stopped) {
		if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Window > 0 {
			update = r
			break
		}
	}
	if update == nil {
		e.Fail("the server to advertise an open window once it read", "it never did")
	}
	var resumed *harness.Record
	for _, r := range DataRecords(e.Since(update.Index), harness.ClientToServer) {
		if r.At >= update.Arrived && r.PayloadLen > 1 {
			resumed = r
			break
		}
	}
	if resumed == nil {
		e.Fail("client data to resume after the window opened", "none came")
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// answerTo is the ACK the server sent when client segment p arrived (at

// checkZeroWindowProbes checks the client's probes of the server's zero
// window (zero: the segment that shut it): several, each with at least
// one octet, each answered, at intervals that grow.
func checkZeroWindowProbes(e *Env, probes []*harness.Record, zero *harness.Record, t *Transfer) {
	if len(probes) < 3 {
		e.Fatalf(fmt.Sprintf("the client to probe the zero window several times in %v (RFC 1122 4.2.2.17)", zeroWindowWatch),
			"%d probes\n%s", len(probes), DescribeRecords(e.Since(zero.Index)))
	}
	acked := zero.RelAck
	for _, p := range probes {
		switch {
		case p.PayloadLen >= 1 && !Rel(p.RelSeq).LessThan(Rel(acked)):
			// RFC 9293 3.8.6.1: new data (or data not yet acknowledged).
			e.Observe("probes carry %d octet(s) from seq %d (new or unacknowledged data)", p.PayloadLen, p.RelSeq)
		case Rel(p.RelSeq).LessThan(Rel(acked)) && e.Pairing.Client == GVisor:
			e.Deviates(GVisorZeroWindowProbeOldOctet)
		default:
			e.Fatalf(fmt.Sprintf("each zero-window probe to carry at least one octet from SND.UNA=%d on (RFC 9293 3.8.6.1: new data if available, or a retransmission)", acked),
				"#%d seq=%d len=%d, while %d bytes written by the application waited to be sent", p.Index, p.RelSeq, p.PayloadLen, t.BytesWritten()-int(acked-1))
		}
		// The server answers each probe with an ACK that reports its
		// window (RFC 9293 3.10.7.4: an unacceptable segment draws an
		// ACK; RFC 1122 4.2.2.17: the receiver keeps acknowledging).
		if ans := answerTo(e, p); ans == nil && e.PeerKind(harness.Server) == Lneto {
			e.Deviates(LnetoFullBufferDropsUnanswered)
		} else if took := takenIntoScaledWindow(e, p); ans == nil && took != nil {
			e.Observe("the server took probe #%d's octet into the window its scaled advertisement rounded down to 0, and acknowledged it %v later (#%d)", p.Index, took.At-p.Arrived, took.Index)
		} else if ans == nil {
			e.Fatalf(fmt.Sprintf("the server to answer probe #%d with an ACK", p.Index), "it sent nothing when the probe arrived at %v", p.Arrived)
		}
	}
	// RFC 1122 4.2.2.17: "SHOULD increase exponentially the interval
	// between successive probes". Each interval at least the last; the
	// last longer than the first.
	gaps := make([]time.Duration, len(probes)-1)
	for i := range gaps {
		gaps[i] = probes[i+1].At - probes[i].At
		if i > 0 && gaps[i] < gaps[i-1] {
			e.Fatalf("the probe intervals never to shrink", "intervals %s", formatGaps(gaps[:i+1]))
		}
	}
	if gaps[len(gaps)-1] <= gaps[0] {
		e.Fatalf("the probe intervals to grow (exponential backoff)", "intervals %s", formatGaps(gaps))
	}
	e.Observe("probe intervals %s", formatGaps(gaps))
}

// that instant), or nil.
// takenIntoScaledWindow is the server's ACK of probe p's octets as data,
// sent within RFC 9293 3.8.6.3's 500 ms, if its window is scaled: a window
// field of 0 with a shift of n (RFC 7323 2.3) says the window is below
// 2^n octets, not that it is shut, so the receiver may find the probe
// acceptable (RFC 9293 3.10.7.4) and acknowledge it as any data, delayed.
// Nil otherwise.
func takenIntoScaledWindow(e *Env, p *harness.Record) *harness.Record {
	if shift := serverWindowShift(e); p.Fate.Lost() || p.Arrived == 0 || shift == 0 || p.PayloadLen >= 1<<shift {
		return nil
	}
	for _, r := range e.Since(p.Index + 1) {
		if r.At-p.Arrived >= 500*time.Millisecond {
			break
		}
		if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Flags.Has(ACK) && r.At >= p.Arrived && r.RelAck == p.RelSeq+uint32(p.PayloadLen) {
			return r
		}
	}
	return nil
}

// serverWindowShift is the window scale the server's SYN-ACK announced,
// if the client's SYN offered one too (RFC 7323 2.2), else 0.
func serverWindowShift(e *Env) uint8 {
	var syn, synAck *harness.Record
	for _, r := range e.Since(0) {
		switch f := r.Packet.TCP.Flags; {
		case f == SYN && r.Dir == harness.ClientToServer && syn == nil:
			syn = r
		case f == SYN|ACK && r.Dir == harness.ServerToClient && synAck == nil:
			synAck = r
		}
	}
	if syn == nil || synAck == nil || !syn.Packet.TCP.Options.HasWindowScale || !synAck.Packet.TCP.Options.HasWindowScale {
		return 0
	}
	return synAck.Packet.TCP.Options.WindowScale
}

func answerTo(e *Env, p *harness.Record) *harness.Record {
	if p.Fate.Lost() || p.Arrived == 0 {
		return nil
	}
	for _, r := range e.Since(p.Index + 1) {
		if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Flags.Has(ACK) && r.At == p.Arrived {
			return r
		}
		if r.At > p.Arrived {
			break
		}
	}
	return nil
}

// zero-window-update-lost: as zero-window, but the ACKs with which the
// server reopens its window are lost. Expected: the client's next
// zero-window probe draws an ACK with the open window, and the rest of the
// data flows (RFC 9293 3.8.6.1: probing is what makes the reopening
// reliable); the digest matches.
var zeroWindowUpdateLost = Scenario{
	Name:         "zero-window-update-lost",
	RealTime:     TooSlowForRealTime,
	RealTimeNote: "waits on Linux's real-time persist timer for the probe that draws the reopened window: about 7 s of real time",
	Section:      "data",
	Summary:      "as zero-window, the window updates lost: the next probe finds the window open",
	RFCs:         []string{"RFC 9293 3.8.6.1"},
	Setup: func(s *Setup) {
		s.Patience = 10 * time.Minute
	},
	Run: runZeroWindowUpdateLost,
}

func runZeroWindowUpdateLost(e *Env) error {
	c, s, t, _, _ := stallOnZeroWindow(e, 4<<20)
	e.Advance(5 * time.Second)

	// The reader drains the server's buffer at one instant; every ACK the
	// server sends then, each reopening the window, is lost.
	opened := e.Mark()
	e.Net.AddRule(&harness.Rule{Name: "lose the window updates", Dirs: harness.OnlyServerToClient, Action: harness.Drop})
	t.Paused = false
	t.Pump()
	e.Settle()
	e.Net.ClearRules()
	t.Run()

	recs := e.Since(opened)
	var lost, probe, answer, resumed *harness.Record
	for _, r := range recs {
		switch {
		case r.Fate == harness.Dropped:
			lost = r
		case lost == nil:
		case probe == nil:
			if r.Dir == harness.ClientToServer && IsIntact(r) {
				probe = r
			}
		case answer == nil:
			if r.Dir == harness.ServerToClient && IsIntact(r) && r.Packet.TCP.Window > 0 && r.At >= probe.Arrived {
				answer = r
			}
		case resumed == nil:
			if r.Dir == harness.ClientToServer && IsIntact(r) && r.PayloadLen > 1 {
				resumed = r
			}
		}
	}
	if lost == nil {
		e.Fail("the server to send a window update once it read (and the wire to lose it)", "nothing was lost:\n"+DescribeRecords(recs))
	}
	if probe == nil || answer == nil {
		e.Fatalf("a probe from the client after the lost update, answered with the open window", "probe %v, answer %v\n%s", probe != nil, answer != nil, DescribeRecords(recs[:min(len(recs), 20)]))
	}
	if resumed == nil || resumed.At < answer.Arrived {
		e.Fatalf("data to resume once the probe's answer reached the client", "it did not\n%s", DescribeRecords(recs[:min(len(recs), 20)]))
	}
	e.Observe("window update lost at %v; probe at %v; data resumed at %v", lost.At, probe.At, resumed.At)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
