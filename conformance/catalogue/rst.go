package catalogue

import (
	"fmt"
	"net/netip"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// abort: the client aborts (linger 0) after data both ways. Expected: it
	// sends <SEQ=SND.NXT><CTL=RST> (RFC 9293 3.10.5), with or without ACK, and
	// nothing else. The server's Read and Write return connection reset. Both
	// go ESTABLISHED -> CLOSED, with no TIME-WAIT, and nothing answers the RST.
	Scenario{
		Name:    "abort",
		Section: "rst",
		Summary: "the client aborts (linger 0): one RST at SND.NXT; both CLOSED, no TIME-WAIT, no reply",
		RFCs:    []string{"RFC 9293 3.10.5", "RFC 9293 3.10.7.4"},
		Run:     func(e *Env) error { return runAbort(e, harness.Client) },
	},
	// abort-server: abort, by the server. Expected: RST <SEQ=SND.NXT>; the
	// client's Read and Write report the reset, and both go CLOSED with no
	// TIME-WAIT.
	Scenario{
		Name:    "abort-server",
		Section: "rst",
		Summary: "abort, by the server: RST at SND.NXT; the client's Read and Write report the reset",
		RFCs:    []string{"RFC 9293 3.10.5", "RFC 9293 3.10.7.4"},
		Run:     func(e *Env) error { return runAbort(e, harness.Server) },
	},
	// rst-validation: RSTs are injected into the client's ESTABLISHED
	// connection (RFC 5961 3.2, RFC 9293 3.10.7.4). Expected: with seq far
	// beyond or below the window, a RST is dropped with no reply. With seq in
	// the window but not RCV.NXT, it draws one challenge ACK
	// <SEQ=SND.NXT><ACK=RCV.NXT>, and the connection goes on. With
	// seq = RCV.NXT it resets the connection: CLOSED, and Read reports it.
	Scenario{
		Name:    "rst-validation",
		Section: "rst",
		Summary: "injected RSTs: outside the window dropped, in it a challenge ACK, at RCV.NXT a reset",
		RFCs:    []string{"RFC 5961 3.2", "RFC 9293 3.10.7.4"},
		Run:     runRSTValidation,
	},
	// half-open: the server forgets the connection (it aborts while everything
	// it sends is lost: a restart, as the client sees it), and the client then
	// sends data. Expected: the server answers <SEQ=SEG.ACK><CTL=RST>
	// (RFC 9293 3.10.7.1 / 3.10.7.2, 3.5.2); the client goes CLOSED and its
	// Read reports the reset.
	Scenario{
		Name:    "half-open",
		Section: "rst",
		Summary: "the server forgets the connection: the client's next data draws a RST, and it closes",
		RFCs:    []string{"RFC 9293 3.10.7.1", "RFC 9293 3.10.7.2", "RFC 9293 3.5.2"},
		Run:     runHalfOpen,
	},
)

// runAbort: the end at side aborts.
func runAbort(e *Env, side harness.Side) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	a, peer := c, s // a aborts
	if side == harness.Server {
		a, peer = s, c
	}
	who, other := side.String(), side.Other()
	sndNxt, _ := e.StreamEnd(side)
	rcvNxt, _ := e.StreamEnd(other)
	mark := e.Mark()
	e.NoError(who+" Abort", a.Abort())
	e.Settle()
	e.Advance(time.Second)

	// RFC 9293 3.10.5, ABORT in ESTABLISHED: "Send a reset segment:
	// <SEQ=SND.NXT><CTL=RST>". An ACK beside it is harmless; if there is
	// one it must be RCV.NXT.
	sent := e.SentBy(mark, side)
	if len(sent) == 0 && e.PeerKind(side) == Lneto {
		e.EndAccepting(LnetoAbortSendsNoRST) // the other end keeps its connection: nothing more to check
	}
	if len(sent) != 1 {
		e.Fail("exactly one segment from the aborting "+who+": its RST", DescribeRecords(e.Since(mark)))
	}
	rst := sent[0]
	if err := harness.CheckRecord(rst, FlagsInclude(RST), FlagsExclude(SYN|FIN), Seq(sndNxt), Len(0)); err != nil {
		e.Fatalf(fmt.Sprintf("<SEQ=SND.NXT=%d><CTL=RST>", sndNxt), "#%d: %v\n%s", rst.Index, err, DescribeRecords(e.Since(mark)))
	}
	if rst.Packet.TCP.Flags.Has(ACK) {
		if err := harness.CheckRecord(rst, Ack(rcvNxt)); err != nil {
			e.Fatalf(fmt.Sprintf("the RST's ACK to be RCV.NXT=%d", rcvNxt), "#%d: %v", rst.Index, err)
		}
		e.Observe("the RST carried an ACK")
	}
	if len(e.SentBy(mark, other)) != 0 {
		e.Fail("no answer to a RST (RFC 9293 3.10.7.4)", DescribeRecords(e.Since(mark)))
	}
	e.ExpectStates(a, StatesOf(side, harness.Established, harness.Closed)...)
	e.ExpectStates(peer, StatesOf(other, harness.Established, harness.Closed)...)
	if at := e.EnteredAt(peer, harness.Closed); at != rst.Arrived {
		e.Fatalf(other.String()+" CLOSED when the RST arrived, at "+rst.Arrived.String(), "at %v", at)
	}
	e.ExpectReset(peer)
	// The aborting end's own calls fail too: its connection is gone.
	if _, err := a.Write([]byte("x")); err == nil {
		e.Fail(who+" Write after Abort to fail", "it succeeded")
	}
	e.Advance(2 * e.MSL)
	e.ExpectNoPackets(mark+1, "no TIME-WAIT, nothing more on the wire")
	return nil
}

func runRSTValidation(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	sndNxt, _ := e.StreamEnd(harness.Client)
	rcvNxtRel, rcvNxt := e.StreamEnd(harness.Server)
	// wnd is the client's receive window as it last advertised it.
	wnd := func() uint32 {
		sent := e.SentBy(0, harness.Client)
		w := uint32(sent[len(sent)-1].Packet.TCP.Window) << e.WindowShift(harness.ClientToServer)
		if w < 4 {
			e.Fatalf("an open receive window at the client", "window %d", w)
		}
		return w
	}
	alive := func(i int) {
		msg := []byte(fmt.Sprintf("still alive after RST %d", i))
		e.WriteAll(c, msg)
		e.ExpectRead(s, msg)
		e.Advance(DelayedACKWait)
		sndNxt += uint32(len(msg))
	}

	// RFC 5961 3.2: "1) If the RST bit is set and the sequence number is
	// outside the current receive window, silently drop the segment."
	// Far beyond the window (2^30 is past any window scaling allows), just
	// below it and well below it (old data).
	for i, seq := range []seqnum.Value{rcvNxt.Add(1 << 30), rcvNxt - 1, rcvNxt - 1000} {
		mark := e.Mark()
		e.InjectRST(c, seq)
		e.Advance(time.Second)
		if got := e.Since(mark); len(got) != 0 {
			e.Fail(fmt.Sprintf("no reply to a RST at RCV.NXT%+d, outside the window %d", int32(seq-rcvNxt), wnd()), DescribeRecords(got))
		}
		e.ExpectState(c, harness.Established)
		alive(i + 1)
	}

	// "3) If the RST bit is set and the sequence number does not exactly
	// match the next expected sequence value, yet is within the current
	// receive window, TCP MUST send an acknowledgment (challenge ACK):
	// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>". A second apart, so that no
	// rate limit (RFC 5961 7) is in the way.
	for i, off := range []func() uint32{
		func() uint32 { return 1 },
		func() uint32 { return wnd() / 2 },
		func() uint32 { return wnd() - 1 },
	} {
		mark := e.Mark()
		e.InjectRST(c, rcvNxt.Add(seqnum.Size(off())))
		e.Advance(time.Second)
		e.ExpectExactly(mark, C2S(Flags(ACK), Seq(sndNxt), Ack(rcvNxtRel), Len(0)))
		e.ExpectState(c, harness.Established)
		alive(4 + i)
	}

	// "2) If the RST bit is set and the sequence number exactly matches
	// the next expected sequence number (RCV.NXT), then TCP MUST reset the
	// connection."
	mark := e.Mark()
	e.InjectRST(c, rcvNxt)
	e.Advance(time.Second)
	if got := e.Since(mark); len(got) != 0 {
		e.Fail("no reply to the exact RST", DescribeRecords(got))
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.Closed)
	e.ExpectReset(c)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

func runHalfOpen(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	// The server forgets the connection: it aborts while the path from it
	// is cut, so its RST never arrives. To the client this is a server that
	// crashed and came back (RFC 9293 3.5.2, "Half-Open Connections").
	forgetMark := e.Mark()
	e.Net.AddRule(&harness.Rule{Name: "server cut off", Dirs: harness.OnlyServerToClient, Action: harness.Drop})
	e.NoError("server Abort", s.Abort())
	e.Settle()
	e.Drain()
	e.ExpectState(s, harness.Closed)
	for _, r := range e.Since(forgetMark) {
		if r.Fate != harness.Dropped {
			e.Fail("every packet from the forgetting server lost", DescribeRecords(e.Since(forgetMark)))
		}
	}
	e.Net.ClearRules()
	e.ExpectState(c, harness.Established)

	mark := e.Mark()
	msg := []byte("anyone there?")
	n, err := c.Write(msg)
	if err != nil || n != len(msg) {
		e.Fatalf("client Write to take the data", "%d, %v", n, err)
	}
	e.Settle()
	e.WaitFor("the client to leave ESTABLISHED", func() bool { return c.State() != harness.Established })
	e.Drain()

	// RFC 9293 3.10.7.1 (the connection does not exist) and 3.10.7.2 (a
	// listener: "any acknowledgment is bad"): "If the ACK bit is on,
	// <SEQ=SEG.ACK><CTL=RST>". The RST's seq is the data segment's ack,
	// which is exactly the client's RCV.NXT, so the client accepts it.
	recs := e.ExpectInOrder(mark,
		C2S(FlagsInclude(ACK), Len(len(msg))),
		S2C(e.ResetFlags(harness.Server), Len(0)),
	)
	data, rst := recs[0], recs[1]
	if rst.Packet.TCP.Seq != data.Packet.TCP.Ack {
		e.Fatalf(fmt.Sprintf("the RST's seq to be the data segment's ack, %d", data.Packet.TCP.Ack), "seq %d", rst.Packet.TCP.Seq)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.Closed)
	if at := e.EnteredAt(c, harness.Closed); at != rst.Arrived {
		e.Fatalf("client CLOSED when the RST arrived, at "+rst.Arrived.String(), "at %v", at)
	}
	e.ExpectReset(c)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.Closed)
	return nil
}

// RST in the closing states (RFC 9293 3.10.7.4, second check, "If the RST
// bit is set"): in FIN-WAIT-2 and CLOSE-WAIT "any outstanding RECEIVEs and
// SEND should receive "reset" responses ... Enter the CLOSED state"; in
// LAST-ACK "enter the CLOSED state, delete the TCB".
var _ = Register(
	// rst-in-fin-wait-2: the client has half-closed (FIN-WAIT-2) when a RST
	// with seq = its RCV.NXT arrives. Expected: no reply; it goes CLOSED at
	// once (no TIME-WAIT), and its Read reports the reset (RFC 9293 3.10.7.4).
	Scenario{
		Name:    "rst-in-fin-wait-2",
		Section: "rst",
		Summary: "a RST at RCV.NXT in FIN-WAIT-2: no reply, CLOSED at once, Read reports the reset",
		RFCs:    []string{"RFC 9293 3.10.7.4"},
		Run:     func(e *Env) error { return runRSTInHalfClosed(e, harness.Client) },
	},
	// rst-in-close-wait: the server has read the client's FIN (CLOSE-WAIT) when
	// a RST with seq = its RCV.NXT arrives. Expected: no reply; it goes CLOSED
	// at once, and its Write reports the reset (RFC 9293 3.10.7.4).
	Scenario{
		Name:    "rst-in-close-wait",
		Section: "rst",
		Summary: "a RST at RCV.NXT in CLOSE-WAIT: no reply, CLOSED at once, Write reports the reset",
		RFCs:    []string{"RFC 9293 3.10.7.4"},
		Run:     func(e *Env) error { return runRSTInHalfClosed(e, harness.Server) },
	},
	// rst-in-last-ack: the server is in LAST-ACK retransmitting its FIN (the
	// client's last ACK is lost) when a RST with seq = its RCV.NXT arrives.
	// Expected: no reply; it goes CLOSED at once, with no more FIN
	// retransmissions (RFC 9293 3.10.7.4).
	Scenario{
		Name:    "rst-in-last-ack",
		Section: "rst",
		Summary: "a RST at RCV.NXT in LAST-ACK: no reply, CLOSED at once, no more FIN retransmissions",
		RFCs:    []string{"RFC 9293 3.10.7.4"},
		Run:     runRSTInLastAck,
	},
)

// runRSTInHalfClosed: the client half-closes; side receives an exact RST.
func runRSTInHalfClosed(e *Env, side harness.Side) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	e.CloseWrite(c)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)
	e.ExpectState(c, harness.FinWait2)
	e.ExpectState(s, harness.CloseWait)
	target := c
	if side == harness.Server {
		target = s
	}
	_, rcvNxt := e.StreamEnd(side.Other()) // the FIN included, for the server
	mark := e.Mark()
	e.InjectRST(target, rcvNxt)
	e.Settle()
	if got := e.Since(mark); len(got) != 0 {
		e.Fail("no reply to the RST", DescribeRecords(got))
	}
	if side == harness.Client {
		e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.Closed)
		e.ExpectReset(c)
	} else {
		e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.Closed)
		e.ExpectResetInCloseWait(s)
	}
	e.Advance(2 * e.MSL)
	if st := target.State(); st != harness.Closed {
		e.Fatalf(side.String()+" CLOSED", "%v", st)
	}
	return nil
}

func runRSTInLastAck(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	// The client's ACK of the server's FIN (the one after the server's
	// data) is lost. The rule is in place before the client closes: a
	// lneto server sends its FIN as soon as the client's arrives
	// (LnetoFINFromCloseWaitUnasked).
	serverEnd, _ := e.StreamEnd(harness.Server)
	e.Net.AddRule(&harness.Rule{Name: "drop the last ACK", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(ACK), harness.Ack(serverEnd + 1)}, Action: harness.Drop})
	e.Close(c)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)
	e.Close(s)
	e.Drain()
	e.ExpectState(s, harness.LastAck)
	_, rcvNxt := e.StreamEnd(harness.Client) // after the client's FIN
	mark := e.Mark()
	e.InjectRST(s, rcvNxt)
	e.Settle()
	e.ExpectState(s, harness.Closed)
	e.Advance(2 * e.MSL)
	for _, r := range e.SentBy(mark, harness.Server) {
		e.Fatalf("nothing more from the server after the RST in LAST-ACK", "#%d [%s]\n%s", r.Index, r.Packet.TCP.Flags, DescribeRecords(e.Since(mark)))
	}
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	return nil
}

var _ = Register(
	// syn-in-established: SYNs are injected into the client's ESTABLISHED
	// connection, with seq in the window and outside it. Expected: each gets
	// one challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and is dropped
	// (RFC 9293 3.10.7.4, fourth check; RFC 5961 4.2). The connection goes on,
	// and no RST is sent.
	Scenario{
		Name:    "syn-in-established",
		Section: "rst",
		Summary: "SYNs injected into an ESTABLISHED connection: one challenge ACK each, no RST",
		RFCs:    []string{"RFC 9293 3.10.7.4", "RFC 5961 4.2"},
		Run:     runSYNInEstablished,
	},
)

func runSYNInEstablished(e *Env) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	sndNxt, _ := e.StreamEnd(harness.Client)
	rcvNxtRel, rcvNxt := e.StreamEnd(harness.Server)
	id := c.ID()
	for i, seq := range []seqnum.Value{rcvNxt, rcvNxt.Add(1), rcvNxt.Add(1 << 30), rcvNxt - 1000} {
		mark := e.Mark()
		e.InjectTo(harness.Client, netip.Addr{}, packet.Segment{
			SrcPort: id.RemotePort, DstPort: id.LocalPort, Seq: seq, Flags: SYN, Window: 1024,
		})
		e.Advance(time.Second)
		challenge := []Seg{C2S(Flags(ACK), Seq(sndNxt), Ack(rcvNxtRel), Len(0))}
		if after := e.SentBy(mark, harness.Client); e.PeerKind(harness.Client) == Lneto && len(after) == 2 &&
			harness.CheckRecord(after[1], Flags(RST|ACK), harness.AbsSeq(0), harness.AbsAck(uint32(seq.Add(1)))) == nil {
			// lneto's port table answers the dropped SYN as if no
			// connection had it (LnetoSYNInSynchronizedStateDrawsRST).
			e.Deviates(LnetoSYNInSynchronizedStateDrawsRST)
			challenge = append(challenge, C2S(Flags(RST|ACK), harness.AbsSeq(0), Len(0)))
		}
		e.ExpectExactly(mark, challenge...)
		e.ExpectState(c, harness.Established)
		msg := []byte(fmt.Sprintf("still alive after SYN %d", i+1))
		e.WriteAll(c, msg)
		e.ExpectRead(s, msg)
		e.Advance(DelayedACKWait)
		sndNxt += uint32(len(msg))
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
