package catalogue

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// connect-refused: a SYN goes to a port nobody listens on. Expected:
	// RST+ACK seq=0 ack=x+1 (RFC 9293 3.10.7.1). When it arrives the client
	// leaves SYN-SENT for CLOSED and reports connection refused, and no SYN is
	// sent again.
	Scenario{
		Name:    "connect-refused",
		Section: "handshake",
		Summary: "SYN to a port nobody listens on: RST+ACK seq=0 ack=x+1, the dial is refused",
		RFCs:    []string{"RFC 9293 3.10.7.1", "RFC 9293 3.10.7.3"},
		Run:     runConnectRefused,
	},
	// listen-ack-rst: a bare ACK and a SYN-ACK reach a listener. Expected: each
	// gets <SEQ=SEG.ACK><CTL=RST> (RFC 9293 3.10.7.2, second check). The
	// listener stays in LISTEN and still accepts.
	Scenario{
		Name:    "listen-ack-rst",
		Section: "handshake",
		Summary: "a bare ACK and a SYN-ACK to a listener each get a RST; the listener still accepts",
		RFCs:    []string{"RFC 9293 3.10.7.2"},
		Run:     runListenACKGetsRST,
	},
	// listen-ignores-rst-and-ackless: a RST, a RST+ACK and a data segment
	// without ACK reach a listener. Expected: each is dropped without reply
	// (RFC 9293 3.10.7.2, first and fourth checks), and the listener still
	// accepts.
	Scenario{
		Name:    "listen-ignores-rst-and-ackless",
		Section: "handshake",
		Summary: "RST, RST+ACK and data without ACK to a listener: dropped silently, it still accepts",
		RFCs:    []string{"RFC 9293 3.10.7.2"},
		Run:     runListenIgnores,
	},
	// syn-sent-bad-ack: an end in SYN-SENT gets ACKs with SEG.ACK =< ISS and
	// with SEG.ACK > SND.NXT, and RSTs with a bad ACK or none. Expected: each
	// ACK gets <SEQ=SEG.ACK><CTL=RST>, and a RST with a bad or no ACK is
	// dropped (RFC 9293 3.10.7.3, RFC 5961 3.2). The end stays in SYN-SENT and
	// connects once its SYN gets through.
	Scenario{
		Name:    "syn-sent-bad-ack",
		Section: "handshake",
		Summary: "in SYN-SENT a bad ACK gets a RST and a bad RST is dropped; the dial still connects",
		RFCs:    []string{"RFC 9293 3.10.7.3", "RFC 5961 3.2"},
		Setup: func(s *Setup) {
			// Keep the server from answering while the client is probed:
			// every SYN the client sends is lost until the rule is lifted.
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Name: "drop SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}})
		},
		Run: runSynSentBadACK,
	},
)

// closedPort is a port nobody listens on.
const closedPort = 81

func runConnectRefused(e *Env) error {
	mark := e.Mark()
	c, err := e.Client.Dial(netip.AddrPortFrom(e.Net.Addr(harness.Server), closedPort))
	e.NoError("client Dial", err)
	e.WaitFor("client to leave SYN-SENT", func() bool { return c.State() != harness.SynSent })

	// RFC 9293 3.10.7.1, CLOSED: "If the ACK bit is off, sequence number
	// zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>".
	e.ExpectExactly(mark,
		C2S(Flags(SYN), Seq(0), Len(0)),
		S2C(Flags(RST|ACK), harness.AbsSeq(0), Ack(1), Len(0)),
	)
	rst := e.Since(mark)[1]
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Closed)
	if at := e.EnteredAt(c, harness.Closed); at != rst.Arrived {
		e.Fatalf("client CLOSED when the RST arrived, at "+rst.Arrived.String(), "client CLOSED at %v", at)
	}
	// The server keeps no state for a connection it refused.
	if st := e.Net.States(harness.Server, c.ID().Reverse()); len(st) != 0 {
		e.Fatalf("no server state for a refused connection", "server states %s", FormatStates(st))
	}
	_, rerr := c.Read(make([]byte, 16))
	if !errors.Is(rerr, syscall.ECONNREFUSED) && !e.LnetoResetUnreported(c, rerr) {
		e.Fatalf("client Read to report connection refused (ECONNREFUSED)", "Read: %v", rerr)
	}
	// Refused means given up: no SYN retransmission follows.
	quiet := e.Mark()
	e.Advance(10 * time.Second)
	e.ExpectNoPackets(quiet, "a refused connection sends nothing more")
	return nil
}

// listenerProbePort is the source port of segments injected at a listener:
// the client has no connection on it, so it ignores the listener's answers.
const listenerProbePort = 40000

func runListenACKGetsRST(e *Env) error {
	l := e.Listen()
	probe := netip.AddrPortFrom(e.Net.Addr(harness.Client), listenerProbePort)
	for _, tc := range []struct {
		what  string
		flags packet.Flags
		seq   seqnum.Value
		ack   seqnum.Value
	}{
		{"bare ACK", ACK, 1000, 5000},
		{"ACK with data", ACK | PSH, 2000, 0x80000000},
		{"SYN-ACK", SYN | ACK, 3000, 7777},
	} {
		mark := e.Mark()
		seg := packet.Segment{SrcPort: listenerProbePort, DstPort: e.Port, Seq: tc.seq, Ack: tc.ack, Flags: tc.flags, Window: 8192}
		if tc.flags.Has(PSH) {
			seg.Payload = []byte("data to nobody")
		}
		e.InjectTo(harness.Server, netip.Addr{}, seg)
		e.Advance(10 * time.Millisecond)
		// RFC 9293 3.10.7.2: "Any acknowledgment is bad if it arrives on a
		// connection still in the LISTEN state. An acceptable reset segment
		// should be formed for any arriving ACK-bearing segment. The RST
		// should be formatted as follows: <SEQ=SEG.ACK><CTL=RST>".
		e.ExpectOneReply(mark, harness.Server, probe, "RST for a "+tc.what,
			e.ResetFlags(harness.Server), harness.AbsSeq(uint32(tc.ack)), Len(0))
		if _, err := l.Accept(); !errors.Is(err, harness.ErrWouldBlock) {
			e.Fatalf("no connection from a "+tc.what+" to a listener", "Accept: %v", err)
		}
	}
	expectListenerStillWorks(e, l)
	return nil
}

func runListenIgnores(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	for _, seg := range []packet.Segment{
		{Seq: 1000, Flags: RST},
		{Seq: 1000, Ack: 5000, Flags: RST | ACK},
		// "Any other control or text-bearing segment (not containing SYN)
		// must have an ACK and thus would be discarded by the ACK
		// processing."
		{Seq: 1000, Flags: PSH, Payload: []byte("no ACK bit")},
		{Seq: 1000, Flags: FIN},
	} {
		seg.SrcPort, seg.DstPort, seg.Window = listenerProbePort, e.Port, 8192
		e.InjectTo(harness.Server, netip.Addr{}, seg)
	}
	e.Advance(time.Second)
	e.ExpectNoPackets(mark, "a listener answers none of RST, RST+ACK, or a segment without ACK (RFC 9293 3.10.7.2)")
	if _, err := l.Accept(); !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("no connection from segments without SYN", "Accept: %v", err)
	}
	expectListenerStillWorks(e, l)
	return nil
}

// expectListenerStillWorks dials l, checks the handshake completes from
// LISTEN as usual, and moves a few bytes each way.
func expectListenerStillWorks(e *Env, l harness.Listener) {
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	e.WriteAll(c, []byte("still listening?"))
	e.ExpectRead(s, []byte("still listening?"))
	e.WriteAll(s, []byte("yes"))
	e.ExpectRead(c, []byte("yes"))
}

func runSynSentBadACK(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.Settle()
	syns := e.Since(mark)
	if len(syns) != 1 || syns[0].Fate != harness.Dropped {
		e.Fail("the client's SYN, dropped by the rule", DescribeRecords(syns))
	}
	iss := syns[0].Packet.TCP.Seq
	client := netip.AddrPortFrom(e.Net.Addr(harness.Client), c.ID().LocalPort)
	from := func(flags packet.Flags, ack seqnum.Value) packet.Segment {
		return packet.Segment{SrcPort: e.Port, DstPort: client.Port(), Seq: 90000, Ack: ack, Flags: flags, Window: 8192}
	}
	stillSynSent := func(after string) {
		if st := c.State(); st != harness.SynSent {
			e.Fatalf("client still in SYN-SENT after "+after, "client in %v", st)
		}
	}

	// RFC 9293 3.10.7.3, second check: "If the RST bit is set, If the ACK
	// was acceptable, then signal to the user "error: connection reset",
	// ... Otherwise (no ACK), drop the segment and return." And the
	// first: with an unacceptable ACK, "If the RST bit is set, ... drop
	// the segment and return."
	for _, tc := range []struct {
		what string
		seg  packet.Segment
	}{
		{"a RST without ACK", from(RST, 0)},
		{"a RST+ACK acknowledging nothing we sent", from(RST|ACK, iss+1000)},
		{"a RST+ACK with SEG.ACK = ISS", from(RST|ACK, iss)},
	} {
		m := e.Mark()
		e.InjectTo(harness.Client, netip.Addr{}, tc.seg)
		stillSynSent(tc.what)
		if got := rstsFrom(e, m, harness.Client); len(got) > 0 {
			e.Fail("no answer to "+tc.what+" in SYN-SENT", DescribeRecords(got))
		}
	}

	// First check: "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset
	// (unless the RST bit is set, if so drop the segment and return)
	// <SEQ=SEG.ACK><CTL=RST> and discard the segment."
	for _, tc := range []struct {
		what string
		ack  seqnum.Value
	}{
		{"an ACK beyond SND.NXT", iss + 1000},
		{"an ACK of ISS (acknowledging nothing)", iss},
		{"an ACK far below ISS", iss - 0x10000000},
	} {
		m := e.Mark()
		e.InjectTo(harness.Client, netip.Addr{}, from(ACK, tc.ack))
		stillSynSent(tc.what)
		got := rstsFrom(e, m, harness.Client)
		if len(got) != 1 {
			e.Fail(fmt.Sprintf("one RST <SEQ=%d> for %s", uint32(tc.ack), tc.what), DescribeRecords(e.Since(m)))
		}
		if err := harness.CheckRecord(got[0], e.ResetFlags(harness.Client), harness.AbsSeq(uint32(tc.ack)), Len(0)); err != nil {
			e.Fail(fmt.Sprintf("RST <SEQ=%d><CTL=RST> for %s", uint32(tc.ack), tc.what), fmt.Sprintf("#%d: %v", got[0].Index, err))
		}
	}

	// The attempt goes on: once SYNs get through, it connects. The junk
	// changed nothing about the SYN's retransmission timer: the next SYN
	// goes out one initial RTO (1 s, RFC 6298 2.1) after the first.
	e.Net.ClearRules()
	retry := e.Mark()
	s := e.Accept(l)
	next := e.ExpectInOrder(retry, C2S(Flags(SYN), Seq(0)))[0]
	if gap := next.At - syns[0].At; !judge.OnTime(gap, time.Second) {
		if e.Pairing.Client == GVisor && gap < time.Second {
			e.Deviates(GVisorSYNTimerAfterBadACK)
		} else if e.Pairing.Client == Linux && gap < 100*time.Millisecond {
			e.Deviates(LinuxSYNAfterBadACK)
		} else if _, _, ok := lwipBackoff([]*harness.Record{syns[0], next}); ok && e.Pairing.Client == LwIP {
			e.Deviates(LwIPSYNTimer)
		} else {
			e.Fatalf("the SYN retransmitted 1 s (the initial RTO) after the first", "it went %v after", gap)
		}
	}
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.WriteAll(c, []byte("hello"))
	e.ExpectRead(s, []byte("hello"))
	return nil
}

// rstsFrom is every RST side sent since mark.
func rstsFrom(e *Env, mark int, side harness.Side) []*harness.Record {
	var out []*harness.Record
	for _, r := range e.Since(mark) {
		if r.Dir.From() == side && r.Packet.TCP.Flags.Has(RST) {
			out = append(out, r)
		}
	}
	return out
}
