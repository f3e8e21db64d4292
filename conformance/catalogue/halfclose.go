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

// halfCloseSize is how much the end that did not half-close sends after
// the other's FIN: 1 MiB, more than either stack's receive buffer, so that
// the half-closed end must keep ACKing and opening its window.
const halfCloseSize = 1 << 20

var _ = Register(
	// half-close: the client calls CloseWrite. Expected: its FIN seq=1 is ACKed
	// at 2; the client goes FIN-WAIT-1 -> FIN-WAIT-2, the server to CLOSE-WAIT,
	// and the server's Read returns EOF. The server then sends 1 MiB
	// (halfCloseSize), which the client still reads whole (RFC 9293 3.10.7.4:
	// FIN-WAIT-2 processes segment text), and closes: its FIN is ACKed, the
	// server goes LAST-ACK -> CLOSED, and the client holds TIME-WAIT for 2MSL.
	Scenario{
		Name:         "half-close",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "half-close",
		Summary:      "the client half-closes: the server reads EOF, still sends 1 MiB, then both close",
		RFCs:         []string{"RFC 9293 3.10.7.4", "RFC 9293 3.6"},
		Run:          func(e *Env) error { return runHalfClose(e, harness.Client) },
	},
	// half-close-server: the mirror image of half-close. The server
	// half-closes; the client reads EOF, sends 1 MiB the server still reads,
	// then closes. Expected: the server ends in TIME-WAIT.
	Scenario{
		Name:         "half-close-server",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "half-close",
		Summary:      "half-close mirrored: the server half-closes, still reads 1 MiB, ends in TIME-WAIT",
		RFCs:         []string{"RFC 9293 3.10.7.4", "RFC 9293 3.6"},
		Run:          func(e *Env) error { return runHalfClose(e, harness.Server) },
	},
	// fin-with-data: the client writes 10 bytes, then 100 (held by Nagle), and
	// closes in the same instant. Expected: the FIN rides on the last data
	// segment or follows it at once (both allowed; the run notes which). The
	// data is delivered, then EOF, and the FIN is ACKed at seq+len+1 = 112.
	Scenario{
		Name:         "fin-with-data",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "half-close",
		Summary:      "10 and 100 bytes written, then close: the FIN rides on the last data or follows it",
		RFCs:         []string{"RFC 9293 3.10.4", "RFC 9293 3.4"},
		Run:          runFINWithData,
	},
	// close-unread: the client closes with unread data in its receive buffer.
	// Expected: it sends RST (seq = SND.NXT), not FIN (RFC 1122 4.2.2.13,
	// RFC 2525 2.17), and goes ESTABLISHED -> CLOSED with no TIME-WAIT. The
	// server's Read reports the reset.
	Scenario{
		Name:    "close-unread",
		Section: "half-close",
		Summary: "the client closes with unread data: RST, not FIN, no TIME-WAIT; the server sees a reset",
		RFCs:    []string{"RFC 1122 4.2.2.13", "RFC 9293 3.6.1", "RFC 2525 2.17"},
		Run:     func(e *Env) error { return runCloseUnread(e, harness.Client) },
	},
	// close-unread-server: close-unread, by the server: it closes with unread
	// data. Expected: it sends RST, not FIN, and the client's Read reports the
	// reset.
	Scenario{
		Name:    "close-unread-server",
		Section: "half-close",
		Summary: "close-unread, by the server: RST, not FIN; the client's Read reports the reset",
		RFCs:    []string{"RFC 1122 4.2.2.13", "RFC 9293 3.6.1", "RFC 2525 2.17"},
		Run:     func(e *Env) error { return runCloseUnread(e, harness.Server) },
	},
	// close-wait-fin-again: the ACK of the client's FIN is lost, and the client
	// retransmits its FIN. Expected: the server, in CLOSE-WAIT, ACKs it again
	// and stays in CLOSE-WAIT (RFC 9293 3.10.7.4, eighth check: FIN in
	// CLOSE-WAIT: remain). Read still returns EOF once, and the server closes
	// normally.
	Scenario{
		Name:         "close-wait-fin-again",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "half-close",
		Summary:      "the ACK of the client's FIN is lost: CLOSE-WAIT ACKs the resent FIN and stays there",
		RFCs:         []string{"RFC 9293 3.10.7.4"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{
				Name: "drop the ACK of the FIN", Dirs: harness.OnlyServerToClient, Nth: 1, Times: 1,
				Match: []harness.SegCheck{harness.Flags(ACK)}, Action: harness.Drop,
			})
		},
		Run: runCloseWaitFINAgain,
	},
)

// runHalfClose: closer half-closes, the other end sends halfCloseSize bytes
// and then closes.
func runHalfClose(e *Env, closer harness.Side) error {
	c, s := e.Connect()
	a, b := c, s // a half-closes, b sends on
	if closer == harness.Server {
		a, b = s, c
	}
	aSide, bSide := closer, closer.Other()
	mark := e.Mark()

	e.CloseWrite(a)
	e.ReadEOF(b)
	// A second Read still says EOF: the stream is over for good.
	if _, err := b.Read(make([]byte, 8)); err == nil || errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf(bSide.String()+" Read after EOF to return EOF again", "Read returned %v", err)
	}
	// Let a delayed ACK of the FIN (at most 0.5 s, RFC 9293 3.8.6.3) go.
	e.Advance(DelayedACKWait)
	e.ExpectExactly(mark,
		SentBy(aSide, Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		SentBy(bSide, Flags(ACK), Seq(1), Ack(2), Len(0)),
	)
	e.ExpectState(a, harness.FinWait2)
	e.ExpectState(b, harness.CloseWait)
	// The half-closed end may no longer send (RFC 9293 3.10.2, SEND in
	// FIN-WAIT-2: "error: connection closing").
	if _, err := a.Write([]byte("x")); err == nil || errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf(aSide.String()+" Write after CloseWrite to fail", "Write returned %v", err)
	}

	// RFC 9293 3.10.7.4, seventh check (segment text) in FIN-WAIT-2: the
	// data is delivered.
	dataMark := e.Mark()
	e.NewTransfer(b, a, halfCloseSize).Run()
	e.Close(b)
	e.ReadEOF(a)
	e.Advance(DelayedACKWait)

	// Wire: a's every segment after its FIN is a bare ACK at seq 2; b's data
	// runs from 1 without a hole; b's FIN is at 1+size and is ACKed at
	// 2+size.
	finSeq := uint32(1 + halfCloseSize)
	e.ExpectStreamWithoutHoles(dataMark, bSide, finSeq)
	for _, r := range e.SentBy(dataMark, aSide) {
		if err := harness.CheckRecord(r, Flags(ACK), Seq(2), Len(0)); err != nil {
			e.Fatalf(aSide.String()+" to send only bare ACKs at seq 2 after its FIN", "#%d: %v", r.Index, err)
		}
	}
	e.ExpectInOrder(dataMark,
		SentBy(bSide, FlagsInclude(FIN|ACK), Seq(finSeq), Ack(2), Len(0)),
		SentBy(aSide, Flags(ACK), Seq(2), Ack(finSeq+1), Len(0)),
	)

	e.ExpectStates(b, StatesOf(bSide, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)...)
	e.ExpectTimeWaitLasts2MSL(a)
	e.ExpectStates(a, StatesOf(aSide, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)...)
	return nil
}

func runFINWithData(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	// A 10-byte header goes out at once; the 100-byte tail written in the
	// same instant is small and follows unacknowledged data, so Nagle's
	// algorithm (RFC 9293 3.7.4) holds it until the header is ACKed; the
	// Close comes while it is held. When the tail goes, the FIN can ride
	// on it.
	head := []byte("header:10;")
	tail := []byte("the last words of the client, written and closed in one instant: a hundred bytes long exactly.......")
	msg := append(append([]byte(nil), head...), tail...)
	const dataEnd = 1 + 110 // relative seq after the last data byte
	for _, p := range [][]byte{head, tail} {
		n, err := c.Write(p)
		if err != nil || n != len(p) {
			e.Fatalf(fmt.Sprintf("client Write to take %d bytes", len(p)), "%d, %v", n, err)
		}
	}
	e.Close(c)
	e.Settle()
	e.ExpectRead(s, msg)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)

	// The client's data covers [1, 111) without a hole; its FIN is on the
	// segment that carries the last byte, or in a segment of its own at
	// 111 right after it (RFC 9293 3.10.4, CLOSE in ESTABLISHED: "queue
	// this until all preceding SENDs have been segmentized, then form a FIN
	// segment"; both are allowed; the run notes which it saw).
	sent := e.SentBy(mark, harness.Client)
	var last, fin *harness.Record
	for _, r := range sent {
		if r.PayloadLen > 0 && r.RelSeq+uint32(r.PayloadLen) == dataEnd && last == nil {
			last = r
		}
		if r.Packet.TCP.Flags.Has(FIN) && fin == nil {
			fin = r
		}
	}
	if last == nil || fin == nil {
		e.Fail(fmt.Sprintf("the client's data up to %d and a FIN", dataEnd), DescribeRecords(e.Since(mark)))
	}
	finOnData := fin == last
	if finOnData {
		e.Observe("FIN rode on the last data segment")
	} else {
		e.Observe("FIN came in a segment of its own after the data")
		if err := harness.CheckRecord(fin, Flags(FIN|ACK), Seq(dataEnd), Len(0)); err != nil {
			e.Fatalf(fmt.Sprintf("the client's FIN at seq %d, right after the data", dataEnd), "#%d: %v\n%s", fin.Index, err, DescribeRecords(e.Since(mark)))
		}
	}
	// The FIN is acknowledged at seq+len+1 = 112 (RFC 9293 3.4: the FIN
	// takes one sequence number after the last data octet); no ACK goes
	// beyond it, and none acknowledges data the FIN segment carried
	// without the FIN (it is processed as one segment).
	var finAck *harness.Record
	for _, r := range e.SentBy(mark, harness.Server) {
		if r.RelAck > dataEnd+1 {
			e.Fatalf(fmt.Sprintf("no ACK beyond %d (the FIN)", dataEnd+1), "#%d ack=%d\n%s", r.Index, r.RelAck, DescribeRecords(e.Since(mark)))
		}
		if finOnData && seqnum.Value(r.RelAck).InRange(seqnum.Value(fin.RelSeq+1), dataEnd+1) {
			e.Fatalf(fmt.Sprintf("the segment with the last data and the FIN ACKed whole, at %d", dataEnd+1), "#%d ack=%d\n%s", r.Index, r.RelAck, DescribeRecords(e.Since(mark)))
		}
		if r.RelAck == dataEnd+1 && finAck == nil {
			finAck = r
		}
	}
	if finAck == nil || finAck.At < fin.Arrived {
		e.Fail(fmt.Sprintf("the server to ACK the FIN at %d (seq 1 + 110 bytes + FIN)", dataEnd+1), DescribeRecords(e.Since(mark)))
	}
	e.ExpectState(c, harness.FinWait2)
	e.ExpectState(s, harness.CloseWait)

	e.Close(s)
	e.ExpectInOrder(mark,
		S2C(FlagsInclude(FIN|ACK), Seq(1), Ack(dataEnd+1), Len(0)),
		C2S(Flags(ACK), Seq(dataEnd+1), Ack(2), Len(0)),
	)
	e.ExpectCleanStreams(mark)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectTimeWaitLasts2MSL(c)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	return nil
}

// runCloseUnread: the end at side closes with unread data.
func runCloseUnread(e *Env, side harness.Side) error {
	c, s := e.Connect()
	closer, peer := c, s
	if side == harness.Server {
		closer, peer = s, c
	}
	who, other := side.String(), side.Other()
	msg := []byte("data the closing end will never read")
	e.WriteAll(peer, msg)
	// Let the data arrive and be ACKed: it sits in the receive buffer,
	// unread.
	e.Advance(DelayedACKWait)
	mark := e.Mark()

	e.Close(closer)
	e.Drain()

	// RFC 1122 4.2.2.13: "If such a host issues a CLOSE call while received
	// data is still pending in TCP, or if new data is received after CLOSE
	// is called, its TCP SHOULD send a RST to show that data was lost."
	// RFC 2525 2.17 names sending FIN instead a known failure. The RST is
	// <SEQ=SND.NXT> (RFC 9293 3.10.5, ABORT), seq 1 here; with or without
	// ACK.
	sent := e.SentBy(mark, side)
	if len(sent) > 0 && sent[0].Packet.TCP.Flags.Has(FIN) && e.PeerKind(side) == Lneto {
		e.EndAccepting(LnetoNoRSTOnCloseWithUnreadData) // an orderly close follows, as if nothing were unread
	}
	if len(sent) != 1 {
		e.Fail("exactly one segment from the "+who+": its RST", DescribeRecords(e.Since(mark)))
	}
	if err := harness.CheckRecord(sent[0], FlagsInclude(RST), FlagsExclude(FIN|SYN), Seq(1), Len(0)); err != nil {
		e.Fatalf("a RST at seq 1 (SND.NXT), not a FIN, from the "+who+" closing with unread data", "#%d: %v\n%s", sent[0].Index, err, DescribeRecords(e.Since(mark)))
	}
	if sent[0].Packet.TCP.Flags.Has(ACK) {
		if err := harness.CheckRecord(sent[0], Ack(uint32(1+len(msg)))); err != nil {
			e.Fatalf("the RST's ACK, if any, to cover the data received", "#%d: %v", sent[0].Index, err)
		}
	}
	// Nothing answers a RST (RFC 9293 3.10.7.4: "an incoming segment
	// containing a RST" is never answered with one).
	if after := e.SentBy(mark, other); len(after) != 0 {
		e.Fail("no answer from the "+other.String()+" to the RST", DescribeRecords(e.Since(mark)))
	}
	e.ExpectStates(closer, StatesOf(side, harness.Established, harness.Closed)...)
	e.ExpectStates(peer, StatesOf(other, harness.Established, harness.Closed)...)
	if at, want := e.EnteredAt(peer, harness.Closed), sent[0].Arrived; at != want {
		e.Fatalf(other.String()+" CLOSED when the RST arrived, at "+want.String(), "at %v", at)
	}
	e.ExpectReset(peer)
	// The closed end hears nothing more.
	e.Advance(2 * e.MSL)
	e.ExpectNoPackets(mark+1, "the connection is gone at both ends")
	return nil
}

// runCloseWaitFINAgain: the server's ACK of the client's FIN is dropped
// once; the client retransmits the FIN into the server's CLOSE-WAIT.
func runCloseWaitFINAgain(e *Env) error {
	// The Setup's rule drops the first bare ACK from the server. The
	// server's only segment in the handshake is its SYN-ACK, and it sends
	// nothing until the client's FIN, so that ACK is the ACK of the FIN.
	c, s := e.Connect()
	mark := e.Mark()
	e.Close(c)
	e.ReadEOF(s)
	e.WaitFor("the client to retransmit its FIN", func() bool {
		n := 0
		for _, r := range e.SentBy(mark, harness.Client) {
			if r.Packet.TCP.Flags.Has(FIN) {
				n++
			}
		}
		return n >= 2
	})
	e.Drain()
	e.ExpectExactly(mark,
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		S2C(Flags(ACK), Seq(1), Ack(2), Len(0), FateIs(harness.Dropped)),
		C2S(Flags(FIN|ACK), Seq(1), Ack(1), Len(0)),
		S2C(Flags(ACK), Seq(1), Ack(2), Len(0)),
	)
	// Still CLOSE-WAIT; still just one EOF's worth of stream.
	e.ExpectState(s, harness.CloseWait)
	e.ExpectState(c, harness.FinWait2)
	n, err := s.Read(make([]byte, 8))
	if n != 0 || err == nil || errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("server Read to keep returning EOF", "%d bytes, %v", n, err)
	}
	closeMark := e.Mark()
	e.Advance(time.Second)
	e.Close(s)
	e.ExpectExactly(closeMark,
		S2C(Flags(FIN|ACK), Seq(1), Ack(2), Len(0)),
		C2S(Flags(ACK), Seq(2), Ack(2), Len(0)),
	)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectTimeWaitLasts2MSL(c)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed)
	return nil
}

var _ = Register(
	// data-after-close: the client closes (a full CLOSE, FIN-WAIT-2 once
	// ACKed); the server, in CLOSE-WAIT, then sends data nobody will read.
	// Expected: the client answers with RST <SEQ=SND.NXT> (RFC 1122 4.2.2.13:
	// "if new data is received after CLOSE is called, its TCP SHOULD send a RST
	// to show that data was lost"; RFC 2525 2.17) and goes CLOSED with no
	// TIME-WAIT. The server's Write reports the reset.
	Scenario{
		Name:    "data-after-close",
		Section: "half-close",
		Summary: "the server sends data after the client's CLOSE: the client answers RST, no TIME-WAIT",
		RFCs:    []string{"RFC 1122 4.2.2.13", "RFC 9293 3.6.1", "RFC 2525 2.17"},
		Run:     runDataAfterClose,
	},
	// close-wait-data-after-fin: a segment with data beyond the client's FIN
	// (seq = RCV.NXT) reaches the server in CLOSE-WAIT. Expected: the text is
	// ignored (RFC 9293 3.10.7.4, seventh check: "This should not occur since a
	// FIN has been received from the remote side. Ignore the segment text").
	// Read still returns EOF, no byte is delivered, nothing is acknowledged
	// beyond the FIN, and the server stays in CLOSE-WAIT and closes normally.
	Scenario{
		Name:         "close-wait-data-after-fin",
		RealTime:     FitsWithObservation,
		RealTimeNote: LinuxTimeWaitObserved,
		Section:      "half-close",
		Summary:      "data beyond the client's FIN reaches CLOSE-WAIT: ignored, Read still returns EOF",
		RFCs:         []string{"RFC 9293 3.10.7.4"},
		Run:          runCloseWaitDataAfterFIN,
	},
)

func runDataAfterClose(e *Env) error {
	c, s := e.Connect()
	e.Close(c)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)
	e.ExpectState(c, harness.FinWait2)
	mark := e.Mark()
	msg := []byte("data for a client that has closed")
	e.WriteAll(s, msg)
	e.Advance(DelayedACKWait)

	e.ExpectInOrder(mark,
		S2C(FlagsInclude(ACK), Seq(1), Len(len(msg))),
		C2S(FlagsInclude(RST), FlagsExclude(SYN|FIN), Seq(2), Len(0)),
	)
	for _, r := range e.SentBy(mark, harness.Client) {
		if !r.Packet.TCP.Flags.Has(RST) {
			e.Fatalf("a RST, not an ACK, for data that arrives after CLOSE (RFC 1122 4.2.2.13)", "#%d [%s]\n%s", r.Index, r.Packet.TCP.Flags, DescribeRecords(e.Since(mark)))
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.Closed)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.Closed)
	e.ExpectResetInCloseWait(s)
	return nil
}

func runCloseWaitDataAfterFIN(e *Env) error {
	c, s := e.Connect()
	e.CloseWrite(c)
	e.ReadEOF(s)
	e.Advance(DelayedACKWait)
	e.ExpectState(s, harness.CloseWait)
	finEndRel, rcvNxt := e.StreamEnd(harness.Client) // one past the FIN
	_, sndNxt := e.StreamEnd(harness.Server)
	id := s.ID()
	mark := e.Mark()
	e.InjectTo(harness.Server, netip.Addr{}, packet.Segment{
		SrcPort: id.RemotePort, DstPort: id.LocalPort, Seq: rcvNxt, Ack: sndNxt,
		Flags: ACK | PSH, Window: 1024, Payload: []byte("bytes after the FIN"),
	})
	e.Advance(DelayedACKWait)
	// A reply, if any, is a bare ACK that acknowledges the FIN and nothing
	// after it.
	for _, r := range e.Since(mark) {
		if err := harness.CheckRecord(r, SentBy(harness.Server, Flags(ACK), Ack(finEndRel), Len(0))...); err != nil {
			e.Fatalf(fmt.Sprintf("nothing, or a bare ACK of the FIN (ack=%d), from the server", finEndRel), "#%d: %v\n%s", r.Index, err, DescribeRecords(e.Since(mark)))
		}
	}
	if len(e.Since(mark)) > 0 {
		e.Observe("the server ACKed the stray segment")
	}
	e.ExpectState(s, harness.CloseWait)
	n, err := s.Read(make([]byte, 64))
	if n != 0 || err == nil || errors.Is(err, harness.ErrWouldBlock) {
		e.Fatalf("server Read to return EOF, no bytes", "%d bytes, %v", n, err)
	}
	closeMark := e.Mark()
	e.Close(s)
	e.ExpectInOrder(closeMark,
		S2C(FlagsInclude(FIN|ACK), Seq(1), Ack(finEndRel), Len(0)),
		C2S(Flags(ACK), Seq(finEndRel), Ack(2), Len(0)),
	)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed)
	e.ExpectTimeWaitLasts2MSL(c)
	return nil
}
