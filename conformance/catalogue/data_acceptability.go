package catalogue

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Segments an ESTABLISHED receiver must refuse. Each scenario injects a
// segment carrying data into the client's connection, as if the server
// had sent it, that one of RFC 9293 3.10.7.4's checks (or RFC 7323's PAWS)
// makes unacceptable. The client must answer with one ACK
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, drop the segment (its bytes never
// reach the application) and go on: the server's own next bytes, sent at
// the same sequence numbers afterwards, are the ones the client reads.
//
// Apart from the rule under test the injected segment is as good as the
// server's own: its ACK is the client's SND.NXT, its window the server's
// last, and with timestamps in use it carries a TSval newer than any the
// server sent and echoes the client's latest.

var _ = Register(
	// paws-old-duplicate: a data segment at the client's RCV.NXT is injected
	// whose TSval is older than TS.Recent (an old duplicate from an earlier
	// wrap). Expected: the client answers with one ACK
	// <SEQ=SND.NXT><ACK=RCV.NXT> and drops it; its bytes are never read, and
	// the server's real data that follows is (RFC 7323 5.3 R1).
	Scenario{
		Name:    "paws-old-duplicate",
		Section: "data",
		Summary: "data with a TSval older than TS.Recent is injected: the client ACKs and drops it",
		RFCs:    []string{"RFC 7323 5.3"},
		Setup:   func(s *Setup) { s.MustOffer.Timestamps = true },
		Run: func(e *Env) error {
			return runRefusedSegments(e, spoiling{what: "TSval older than TS.Recent", rfc: "RFC 7323 5.3 R1", takes: []*Deviation{&GVisorNoPAWS}, spoil: func(in *injected) {
				if !in.seg.Options.HasTimestamps && (e.Pairing.Client == Lneto || e.Pairing.Server == Lneto) {
					e.EndAccepting(LnetoOffersOnlyMSS) // no timestamps, so no PAWS to check
				}
				if !in.seg.Options.HasTimestamps {
					e.Fail("timestamps in use on the connection (RFC 7323)", "the server's segments carry none: PAWS cannot apply")
				}
				in.seg.Options.TSVal -= 1<<20 + 1 // older than anything the server sent lately
			}})
		},
	},
	// ack-of-unsent-data: a data segment at the client's RCV.NXT is injected
	// whose ACK acknowledges 1000 bytes the client never sent. Expected: the
	// client answers with one ACK <SEQ=SND.NXT><ACK=RCV.NXT> and drops it; its
	// bytes are never read, and the server's real data that follows is
	// (RFC 9293 3.10.7.4 fifth check; RFC 5961 5.2).
	Scenario{
		Name:    "ack-of-unsent-data",
		Section: "data",
		Summary: "data that ACKs bytes the client never sent is injected: the client ACKs and drops it",
		RFCs:    []string{"RFC 9293 3.10.7.4", "RFC 5961 5.2"},
		Run: func(e *Env) error {
			return runRefusedSegments(e, spoiling{what: "ACK beyond SND.NXT", rfc: "RFC 9293 3.10.7.4 fifth check", takes: []*Deviation{&GVisorTakesDataWithAckOfUnsent, &LwIPTakesDataWithAckOfUnsent}, spoil: func(in *injected) {
				in.seg.Ack = in.seg.Ack.Add(1000)
			}})
		},
	},
	// data-outside-window: data segments are injected beyond the client's
	// receive window (seq RCV.NXT + 2^30) and wholly below it (an old duplicate
	// ending 1000 bytes before RCV.NXT). Expected: each draws one ACK
	// <SEQ=SND.NXT><ACK=RCV.NXT> and is dropped, its bytes never read; the
	// server's real data that follows is read (RFC 9293 3.10.7.4 first check).
	Scenario{
		Name:    "data-outside-window",
		Section: "data",
		Summary: "data beyond and below the client's window is injected: each draws an ACK, is dropped",
		RFCs:    []string{"RFC 9293 3.10.7.4"},
		Run: func(e *Env) error {
			return runRefusedSegments(e,
				spoiling{what: "seq beyond the window", rfc: "RFC 9293 3.10.7.4 first check", spoil: func(in *injected) { in.seg.Seq = in.seg.Seq.Add(1 << 30) }},
				spoiling{what: "seq below the window", rfc: "RFC 9293 3.10.7.4 first check", spoil: func(in *injected) { in.seg.Seq -= seqnum.Value(len(in.seg.Payload) + 1000) }},
			)
		},
	},
)

// injected is the segment a refused-segment scenario builds, and the
// connection state it was built from (relative sequence numbers, as
// expectations take them).
type injected struct {
	seg                  packet.Segment
	sndNxtRel, rcvNxtRel uint32
}

// forgedPayload is what an injected segment carries: bytes the server never
// wrote, so a client that took them in reads them.
var forgedPayload = []byte("FORGED BYTES: these must never be read")

// spoiling is what makes an injected segment unacceptable, and its name.
// rfc is the rule that refuses it; takes, the registered deviation (if
// any) that excuses a peer taking the segment's data in.
type spoiling struct {
	what, rfc string
	spoil     func(*injected)
	takes     []*Deviation // the registered deviations that take the forged bytes in, by peer
}

// runRefusedSegments connects, exchanges some data, and has the client
// refuse one injected segment per spoiling, in turn.
func runRefusedSegments(e *Env, spoilings ...spoiling) error {
	c, s := e.Connect()
	e.ExchangeSome(c, s)
	for _, sp := range spoilings {
		if !refuseOnce(e, c, s, sp) {
			return nil // a deviation took the forged bytes: the stream is theirs now
		}
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// refuseOnce injects one spoiled segment into the client's connection and
// checks the refusal: one ACK, nothing readable, and the server's next real
// bytes read intact. It returns false when a registered deviation excused
// the client taking the forged bytes in (nothing more can be checked on
// that stream).
func refuseOnce(e *Env, c, s harness.Conn, sp spoiling) bool {
	what := sp.what
	in := forgeFromServer(e, c)
	sp.spoil(&in)
	mark := e.Mark()
	e.InjectTo(harness.Client, netip.Addr{}, in.seg)
	e.Advance(DelayedACKWait)
	e.Drain()

	buf := make([]byte, 2*len(forgedPayload))
	n, err := c.Read(buf)
	took := n > 0
	replies := e.SentBy(mark, harness.Client)
	for _, r := range replies {
		took = took || Rel(in.rcvNxtRel).LessThan(Rel(r.RelAck))
	}
	kind := e.PeerKind(harness.Client)
	i := slices.IndexFunc(sp.takes, func(d *Deviation) bool { return d.Peer == kind })
	switch {
	case took && i >= 0:
		e.Deviates(*sp.takes[i])
		return false
	case took:
		e.Fatalf(fmt.Sprintf("the segment with %s dropped (%s): its bytes never read nor acknowledged", what, sp.rfc),
			"Read = %q, %v; the client sent\n%s", buf[:n], err, DescribeRecords(replies))
	case err != nil && !errors.Is(err, harness.ErrWouldBlock):
		e.Fatalf(fmt.Sprintf("the connection to survive the segment with %s", what), "Read = %v", err)
	default:
		e.ExpectExactly(mark, C2S(Flags(ACK), Seq(in.sndNxtRel), Ack(in.rcvNxtRel), Len(0))) // the RFCs: one ACK, nothing else
	}
	e.ExpectState(c, harness.Established)
	real := []byte(fmt.Sprintf("the server's own bytes after the segment with %s", what))
	e.WriteAll(s, real)
	e.ExpectRead(c, real)
	e.Advance(DelayedACKWait)
	return true
}

// forgeFromServer builds the segment the server would send next to c with
// forgedPayload as its data: seq the client's RCV.NXT, ACK its SND.NXT, the
// server's last window, and timestamps newer than the server's last.
func forgeFromServer(e *Env, c harness.Conn) injected {
	sndNxtRel, sndNxt := e.StreamEnd(harness.Client)
	rcvNxtRel, rcvNxt := e.StreamEnd(harness.Server)
	id := c.ID()
	in := injected{
		seg: packet.Segment{
			SrcPort: id.RemotePort, DstPort: id.LocalPort,
			Seq: rcvNxt, Ack: sndNxt, Flags: ACK | PSH,
			Payload: forgedPayload,
		},
		sndNxtRel: sndNxtRel, rcvNxtRel: rcvNxtRel,
	}
	if last := LastSegment(e.SentBy(0, harness.Server)); last != nil {
		in.seg.Window = last.Packet.TCP.Window
		if o := last.Packet.TCP.Options; o.HasTimestamps {
			in.seg.Options.HasTimestamps = true
			in.seg.Options.TSVal = o.TSVal + 1
			if mine := LastSegment(e.SentBy(0, harness.Client)); mine != nil {
				in.seg.Options.TSEcr = mine.Packet.TCP.Options.TSVal
			}
		}
	}
	return in
}
