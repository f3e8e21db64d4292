package catalogue

import (
	"errors"
	"fmt"
	"net/netip"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// syn-received-checks: a server in SYN-RECEIVED (its SYN-ACKs lost) gets
	// segments from the client's address. Expected: an ACK acknowledging
	// nothing it sent draws <SEQ=SEG.ACK><CTL=RST>, and the server stays in
	// SYN-RECEIVED. A RST outside the window is dropped. A RST in the window
	// but not at RCV.NXT draws a challenge ACK (RFC 5961 3.2) or a reset. A RST
	// at RCV.NXT sends the half-open connection back to LISTEN, silently
	// (RFC 9293 3.10.7.4). The client's retransmitted SYN then connects.
	Scenario{
		Name:         "syn-received-checks",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "waits on Linux's real-time SYN-ACK and SYN retransmission timers: about 7 s of real time",
		Section:      "handshake",
		Summary:      "SYN-RECEIVED gets a bad ACK and RSTs: a RST, drops, a challenge ACK, back to LISTEN",
		RFCs:         []string{"RFC 9293 3.10.7.4", "RFC 5961 3.2"},
		Setup: func(s *Setup) {
			// The server's SYN-ACKs are lost, and so are the client's SYN
			// retransmissions, so that only injected segments reach the
			// half-open connection until the rules are lifted.
			s.Net.Faults = append(s.Net.Faults,
				&harness.Rule{Name: "drop SYN-ACK", Dirs: harness.OnlyServerToClient, Match: []harness.SegCheck{harness.Flags(SYN | ACK)}},
				&harness.Rule{Name: "drop SYN after the first", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)}, Skip: 1})
		},
		Run: runSynReceivedChecks,
	},
)

func runSynReceivedChecks(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	sid := c.ID().Reverse()
	e.WaitFor("the server in SYN-RECEIVED", func() bool { return e.Net.State(harness.Server, sid) == harness.SynReceived })
	hs := e.ExpectInOrder(mark, C2S(Flags(SYN)), S2C(Flags(SYN|ACK), FateIs(harness.Dropped)))
	x, y := hs[0].Packet.TCP.Seq, hs[1].Packet.TCP.Seq
	client := netip.AddrPortFrom(e.Net.Addr(harness.Client), c.ID().LocalPort)
	seg := func(flags packet.Flags, seq, ack seqnum.Value) packet.Segment {
		return packet.Segment{SrcPort: client.Port(), DstPort: e.Port, Seq: seq, Ack: ack, Flags: flags, Window: 65535}
	}
	serverState := func() harness.State { return e.Net.State(harness.Server, sid) }
	fromServer := func(m int) []*harness.Record {
		var out []*harness.Record
		for _, r := range e.Since(m) {
			if r.Dir == harness.ServerToClient && !(r.Packet.TCP.Flags == SYN|ACK && r.Fate == harness.Dropped) {
				out = append(out, r)
			}
		}
		return out
	}

	// Fifth check, SYN-RECEIVED: "If the segment acknowledgment is not
	// acceptable, form a reset segment <SEQ=SEG.ACK><CTL=RST> and send it."
	m := e.Mark()
	bad := y + 1000
	e.InjectTo(harness.Server, netip.Addr{}, seg(ACK, x+1, bad))
	got := fromServer(m)
	if len(got) != 1 || harness.CheckRecord(got[0], e.ResetFlags(harness.Server), harness.AbsSeq(uint32(bad)), Len(0)) != nil {
		e.Fail(fmt.Sprintf("one RST <SEQ=%d> for an ACK of data never sent", uint32(bad)), DescribeRecords(e.Since(m)))
	}
	if st := serverState(); st != harness.SynReceived {
		e.Fatalf("server still SYN-RECEIVED after an unacceptable ACK", "%v", st)
	}

	// Second check with RFC 5961 3.2: a RST outside the window is dropped.
	m = e.Mark()
	e.InjectTo(harness.Server, netip.Addr{}, seg(RST, x+1+0x40000000, 0))
	if got := fromServer(m); len(got) > 0 || serverState() != harness.SynReceived {
		e.Fail("a RST outside the window dropped, silently", fmt.Sprintf("server %v\n%s", serverState(), DescribeRecords(got)))
	}

	// In the window but not RCV.NXT: RFC 5961 3.2's challenge ACK
	// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, or (without that mitigation,
	// which RFC 9293 makes optional) the reset of RFC 793.
	m = e.Mark()
	e.InjectTo(harness.Server, netip.Addr{}, seg(RST, x+100, 0))
	reset := false
	switch got := fromServer(m); {
	case len(got) == 1 && harness.CheckRecord(got[0], Flags(ACK), harness.AbsSeq(uint32(y)+1), harness.AbsAck(uint32(x)+1)) == nil:
		if serverState() != harness.SynReceived {
			e.Fatalf("server still SYN-RECEIVED after a challenge ACK", "%v", serverState())
		}
		e.Observe("an in-window RST not at RCV.NXT got a challenge ACK (RFC 5961 3.2)")
	case len(got) == 0 && serverState() != harness.SynReceived:
		reset = true
		e.Observe("an in-window RST not at RCV.NXT reset the half-open connection (no RFC 5961 check in SYN-RECEIVED)")
	default:
		e.Fail("a challenge ACK seq=ISS+1 ack=IRS+1 (staying SYN-RECEIVED), or a silent reset, for an in-window RST",
			fmt.Sprintf("server %v\n%s", serverState(), DescribeRecords(got)))
	}

	// Exactly RCV.NXT: "If this connection was initiated with a passive
	// OPEN (i.e., came from the LISTEN state), then return this connection
	// to LISTEN state and return. The user need not be informed."
	if !reset {
		m = e.Mark()
		e.InjectTo(harness.Server, netip.Addr{}, seg(RST, x+1, 0))
		if got := fromServer(m); len(got) > 0 {
			e.Fail("a RST at RCV.NXT taken silently", DescribeRecords(got))
		}
	}
	if st := serverState(); st != harness.Listen && st != harness.Closed {
		e.Fatalf("the half-open connection gone (back to LISTEN) after the RST", "server %v", st)
	}
	if _, err := l.Accept(); !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("nothing to accept from a reset handshake", "Accept: %v", err)
	}
	// Nothing more for the reset connection: no SYN-ACK retransmissions
	// (they would have come at 1 s and 3 s).
	m = e.Mark()
	e.Advance(5 * time.Second)
	for _, r := range e.Since(m) {
		if r.Dir == harness.ServerToClient {
			e.Fail("no SYN-ACK retransmission for a reset half-open connection", DescribeRecords(e.Since(m)))
		}
	}

	// The client never saw any of it; its SYN retransmission starts over.
	// Unless the server's reset carried an acceptable ACK of the client's
	// SYN (LwIPRSTCarriesACK: SEG.ACK=x+1), which resets a client in
	// SYN-SENT (RFC 9293 3.10.7.3): the client then dials again.
	e.Net.ClearRules()
	if rst := got[0].Packet.TCP; rst.Flags.Has(ACK) && rst.Ack == x+1 && c.State() == harness.Closed {
		e.Observe("the server's RST|ACK acknowledged the client's SYN and reset it: the client dials again")
		c = e.Dial()
	}
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.WriteAll(c, []byte("second try"))
	e.ExpectRead(s, []byte("second try"))
	return nil
}

var _ = Register(
	// syn-with-data: a SYN carrying data reaches a listener (injected from an
	// address of its own). Expected: the server either queues the text for
	// after the handshake (RFC 9293 3.10.7.2: SYN-ACK ack=x+1+len) or
	// acknowledges only the SYN (ack=x+1) and takes the text when it is sent
	// again. Either way the application reads it once, after Accept.
	Scenario{
		Name:    "syn-with-data",
		Section: "handshake",
		Summary: "a SYN carrying data reaches a listener: the application reads it once, after Accept",
		RFCs:    []string{"RFC 9293 3.10.7.2"},
		Run:     runSynWithData,
	},
)

// synDataSource(e) is where syn-with-data's segments come from: not the
// client's address, so that the client's stack drops the server's answers
// instead of resetting them.
func synDataSource(e *Env) netip.AddrPort { return netip.AddrPortFrom(e.Elsewhere(7), 40000) }

func runSynWithData(e *Env) error {
	l := e.Listen()
	text := []byte("text on the SYN")
	const x = seqnum.Value(5000)
	syn := packet.Segment{SrcPort: synDataSource(e).Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535,
		Options: packet.Options{HasMSS: true, MSS: 1460}, Payload: text}
	m := e.Mark()
	e.InjectTo(harness.Server, synDataSource(e).Addr(), syn)
	synAck := e.ExpectOneReply(m, harness.Server, synDataSource(e), "SYN-ACK", Flags(SYN|ACK), Len(0))
	y := synAck.Packet.TCP.Seq
	queued := synAck.Packet.TCP.Ack == x+1+seqnum.Value(len(text))
	if !queued && synAck.Packet.TCP.Ack != x+1 {
		e.Fatalf(fmt.Sprintf("SYN-ACK ack=%d (the SYN) or %d (SYN and text)", uint32(x)+1, uint32(x)+1+uint32(len(text))),
			"ack=%d", uint32(synAck.Packet.TCP.Ack))
	}
	third := packet.Segment{SrcPort: synDataSource(e).Port(), DstPort: e.Port, Seq: x + 1, Ack: y + 1, Flags: ACK, Window: 65535}
	if queued {
		third.Seq = x + 1 + seqnum.Value(len(text))
		e.Observe("the server queued the text on the SYN and acknowledged it in the SYN-ACK")
	} else {
		e.Observe("the server acknowledged only the SYN; the text was taken when sent again")
		// The text was not acknowledged: send it again on the third ACK.
		third.Flags |= PSH
		third.Payload = text
	}
	e.InjectTo(harness.Server, synDataSource(e).Addr(), third)
	s := e.Accept(l)
	e.ExpectRead(s, text)
	e.Advance(time.Second)
	buf := make([]byte, 64)
	if k, err := s.Read(buf); k > 0 || !errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("the text delivered once", "a further Read gave %q, %v", buf[:k], err)
	}
	// The server acknowledged everything.
	var last *harness.Record
	for _, r := range e.RepliesTo(m, harness.Server, synDataSource(e)) {
		last = r
	}
	if want := uint32(x) + 1 + uint32(len(text)); last == nil || uint32(last.Packet.TCP.Ack) != want {
		e.Fail(fmt.Sprintf("the server's last segment to acknowledge %d", want), DescribeRecords(e.Since(m)))
	}
	return nil
}

var _ = Register(
	// syn-without-mss: a SYN with no options reaches a listener (injected from
	// an address of its own). Expected: the server's SYN-ACK offers no window
	// scale, SACK-permitted or timestamps, and every data segment it sends
	// carries at most 536 bytes (1220 over IPv6), the default send MSS (RFC
	// 9293 3.7.1 MUST-15, RFC 8200 5, RFC 7323, RFC 2018).
	Scenario{
		Name:    "syn-without-mss",
		Section: "handshake",
		Summary: "a SYN with no options: the SYN-ACK offers none, the server's segments carry at most 536",
		RFCs:    []string{"RFC 9293 3.7.1", "RFC 7323 2.2", "RFC 7323 3.2", "RFC 2018 2"},
		Run:     runSynWithoutMSS,
	},
)

// noMSSSource(e) is where syn-without-mss's segments come from.
func noMSSSource(e *Env) netip.AddrPort { return netip.AddrPortFrom(e.Elsewhere(8), 40001) }

func runSynWithoutMSS(e *Env) error {
	l := e.Listen()
	const x = seqnum.Value(9000)
	m := e.Mark()
	e.InjectTo(harness.Server, noMSSSource(e).Addr(), packet.Segment{SrcPort: noMSSSource(e).Port(), DstPort: e.Port, Seq: x, Flags: SYN, Window: 65535})
	synAck := e.ExpectOneReply(m, harness.Server, noMSSSource(e), "SYN-ACK", Flags(SYN|ACK), harness.AbsAck(uint32(x)+1), Len(0))
	if o := optionsOf(synAck); o.ws || o.sack || o.ts {
		e.Fatalf("a SYN-ACK without WS, SACK-permitted or TS to a SYN that offered none (RFC 7323 2.2, 3.2; RFC 2018 2)", "it carried %s", o)
	}
	y := synAck.Packet.TCP.Seq
	e.InjectTo(harness.Server, noMSSSource(e).Addr(), packet.Segment{SrcPort: noMSSSource(e).Port(), DstPort: e.Port, Seq: x + 1, Ack: y + 1, Flags: ACK, Window: 65535})
	s := e.Accept(l)
	m = e.Mark()
	const size = 4000 // within the window
	n, err := s.Write(make([]byte, size))
	if err != nil || n != size {
		e.Fatalf(fmt.Sprintf("the server to take %d bytes", size), "Write: %d, %v", n, err)
	}
	// RFC 9293 3.7.1: SendMSS is 536 without an MSS option (1220 over
	// IPv6, RFC 8200 5's minimum MTU less both headers), and the TCP
	// options a segment carries count against it.
	defaultMSS := 536
	if e.Pairing.Family == IPv6 {
		defaultMSS = 1220
	}
	// The injected peer acknowledges each flight, so that the server's
	// congestion window (RFC 5681 3.1's initial window is 4 segments of
	// 536, RFC 6928's 10) does not decide how much of it goes.
	total, acked := 0, 0
	for round := 0; round < 10 && total < size; round++ {
		if total > acked {
			e.InjectTo(harness.Server, noMSSSource(e).Addr(), packet.Segment{SrcPort: noMSSSource(e).Port(), DstPort: e.Port, Seq: x + 1, Ack: y + 1 + seqnum.Value(total), Flags: ACK, Window: 65535})
			acked = total
		}
		e.Advance(10 * time.Millisecond)
		total = 0
		for _, r := range e.RepliesTo(m, harness.Server, noMSSSource(e)) {
			if r.PayloadLen == 0 {
				continue
			}
			if r.PayloadLen+len(r.TCPOptions) > defaultMSS && e.Pairing.Server == Lneto {
				e.Deviates(LnetoDefaultMSSIgnored)
			} else if r.PayloadLen+len(r.TCPOptions) > defaultMSS {
				e.Fatalf(fmt.Sprintf("data segments of at most %d bytes, options included, to a peer that sent no MSS option", defaultMSS),
					"#%d: %d bytes of data and %d of options", r.Index, r.PayloadLen, len(r.TCPOptions))
			}
			total += r.PayloadLen
		}
	}
	if total != size {
		e.Fatalf(fmt.Sprintf("all %d bytes sent in segments of at most %d", size, defaultMSS), "%d bytes sent\n%s", total, DescribeRecords(e.Since(m)))
	}
	return nil
}

var _ = Register(
	// synack-with-data: the client dials an address no stack holds and gets,
	// injected, a SYN-ACK carrying text. Expected: it reaches ESTABLISHED,
	// acknowledges SYN and text together (ack=y+1+len) and delivers the text
	// (RFC 9293 3.10.7.3: "If there are other controls or text in the segment,
	// then continue processing at the sixth step").
	Scenario{
		Name:    "synack-with-data",
		Section: "handshake",
		Summary: "a SYN-ACK carrying text: the client ACKs SYN and text together and delivers the text",
		RFCs:    []string{"RFC 9293 3.10.7.3"},
		Run:     runSynAckWithData,
	},
)

// nobodysServer(e) is an address neither stack holds: what the client sends
// there, the server's stack drops as not its own.
func nobodysServer(e *Env) netip.AddrPort { return netip.AddrPortFrom(e.Elsewhere(9), ServerPort) }

func runSynAckWithData(e *Env) error {
	mark := e.Mark()
	c, err := e.Client.Dial(nobodysServer(e))
	e.NoError("client Dial", err)
	e.Settle()
	syn := e.ExpectInOrder(mark, C2S(Flags(SYN), Len(0)))[0]
	x := syn.Packet.TCP.Seq
	const y = seqnum.Value(123456)
	text := []byte("text on the SYN-ACK")
	m := e.Mark()
	e.InjectTo(harness.Client, nobodysServer(e).Addr(), packet.Segment{SrcPort: nobodysServer(e).Port(), DstPort: c.ID().LocalPort,
		Seq: y, Ack: x + 1, Flags: SYN | ACK | PSH, Window: 65535, Options: packet.Options{HasMSS: true, MSS: 1460}, Payload: text})
	e.Advance(time.Second) // any delayed ACK is out by now
	if st := c.State(); st != harness.Established {
		e.Fatalf("client ESTABLISHED on an acceptable SYN-ACK", "%v", st)
	}
	acks := e.RepliesTo(m, harness.Client, nobodysServer(e))
	if len(acks) == 0 {
		e.Fail("an ACK of the SYN-ACK", DescribeRecords(e.Since(m)))
	}
	last := acks[len(acks)-1]
	buf := make([]byte, 64)
	k, rerr := c.Read(buf)
	took := uint32(last.Packet.TCP.Ack) == uint32(y)+1+uint32(len(text)) && string(buf[:k]) == string(text)
	switch {
	case took:
	case e.Pairing.Client == GVisor && uint32(last.Packet.TCP.Ack) == uint32(y)+1 && k == 0:
		e.Deviates(GVisorSYNACKTextDropped)
	case e.Pairing.Client == Linux && uint32(last.Packet.TCP.Ack) == uint32(y)+1 && k == 0:
		e.Deviates(LinuxSYNACKTextDropped)
	case e.Pairing.Client == LwIP && uint32(last.Packet.TCP.Ack) == uint32(y)+1 && k == 0:
		e.Deviates(LwIPSYNACKTextDropped)
	default:
		e.Fatalf(fmt.Sprintf("the text acknowledged (ack=%d) and delivered", uint32(y)+1+uint32(len(text))),
			"last ACK ack=%d; Read %q, %v\n%s", uint32(last.Packet.TCP.Ack), buf[:k], rerr, DescribeRecords(e.Since(m)))
	}
	for _, r := range acks {
		if err := harness.CheckRecord(r, FlagsInclude(ACK), FlagsExclude(SYN|RST|FIN), harness.AbsSeq(uint32(x)+1)); err != nil {
			e.Fatalf("ACKs seq=ISS+1 from the client", "#%d: %v", r.Index, err)
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	return nil
}
