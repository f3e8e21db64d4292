package catalogue

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// dropThirdACK loses the client's first bare ACK: the handshake's last
// segment.
func dropThirdACK(s *Setup) {
	s.Net.Faults = append(s.Net.Faults, &harness.Rule{
		Name: "drop third ACK", Dirs: harness.OnlyClientToServer, Times: 1,
		Match: []harness.SegCheck{harness.Flags(ACK), harness.Len(0)},
	})
}

var _ = Register(
	// third-ack-lost: the client's final ACK is dropped and the client stays
	// idle. Expected: the server, still in SYN-RECEIVED, retransmits its
	// SYN-ACK one RTO (1 s) later. The client ACKs it again and the server
	// reaches ESTABLISHED. Then data flows both ways, none lost.
	Scenario{
		Name:       "third-ack-lost",
		OnProfiles: true,
		Section:    "handshake",
		Summary:    "the client's final ACK is lost, client idle: SYN-ACK resent 1 s later, ACKed, data flows",
		RFCs:       []string{"RFC 6298 2.1", "RFC 9293 3.8.1", "RFC 9293 3.10.7.4"},
		Setup:      dropThirdACK,
		Run:        runThirdACKLost,
	},
	// third-ack-lost-data: the client's final ACK is dropped and the client
	// writes at once. Expected: its first data segment (which carries the ACK)
	// completes the handshake, or the server's SYN-ACK retransmission is ACKed
	// again first. Either way the server delivers every byte once, in order.
	Scenario{
		Name:    "third-ack-lost-data",
		Section: "handshake",
		Summary: "the final ACK is lost and the client writes at once: its data completes the handshake",
		RFCs:    []string{"RFC 9293 3.10.7.4"},
		Setup:   dropThirdACK,
		Run:     runThirdACKLostData,
	},
	// data-on-third-ack: the client writes as soon as it dials. Expected: no
	// data on the SYN. The data leaves the instant the SYN-ACK arrives, on the
	// third segment or right behind a bare ACK, and the server accepts and
	// delivers it.
	Scenario{
		Name:    "data-on-third-ack",
		Section: "handshake",
		Summary: "the client writes as it dials: no data on the SYN, it leaves as the SYN-ACK arrives",
		RFCs:    []string{"RFC 9293 3.10.7.3", "RFC 9293 3.10.2"},
		Run:     runDataOnThirdACK,
	},
)

func runThirdACKLost(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	s := e.Accept(l)

	// RFC 9293 3.10.7.4 (SYN-RECEIVED) and 3.8.1: the unacknowledged SYN-ACK
	// is retransmitted on its timer; the client, synchronized, answers the
	// old SYN-ACK with an ACK (an unacceptable segment, or RFC 5961 4's
	// challenge ACK: either way <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>).
	e.ExpectExactly(mark,
		C2S(Flags(SYN), Seq(0), Len(0)),
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
		C2S(Flags(ACK), Seq(1), Ack(1), Len(0), FateIs(harness.Dropped)),
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
		C2S(Flags(ACK), Seq(1), Ack(1), Len(0), FateIs(harness.Delivered)),
	)
	recs := e.Since(mark)
	gap := recs[3].At - recs[1].At
	switch _, _, lwip3s := lwipBackoff([]*harness.Record{recs[1], recs[3]}); {
	case e.TimerOnTime(harness.Server, gap, time.Second):
	case e.Pairing.Server == LwIP && lwip3s:
		e.Deviates(LwIPSYNTimer)
	default:
		e.Fatalf("the SYN-ACK retransmitted one initial RTO (1 s, RFC 6298 2.1) after the first", "it came %v after", gap)
	}
	if at := e.EnteredAt(s, harness.Established); at != recs[4].Arrived {
		e.Fatalf("server ESTABLISHED when the second ACK arrived, at "+recs[4].Arrived.String(), "at %v", at)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)

	data := mark + len(recs)
	e.WriteAll(c, []byte("client to server"))
	e.ExpectRead(s, []byte("client to server"))
	e.WriteAll(s, []byte("server to client"))
	e.ExpectRead(c, []byte("server to client"))
	e.Advance(time.Second)
	e.ExpectCleanStreams(data)
	return nil
}

func runThirdACKLostData(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	msg := bytes.Repeat([]byte("early data "), 300) // 3300 bytes: several segments
	e.WriteAll(c, msg)
	s := e.Accept(l)
	e.ExpectRead(s, msg)

	recs := e.ExpectInOrder(mark,
		C2S(Flags(SYN), Seq(0), Len(0)),
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
		C2S(Flags(ACK), Seq(1), Ack(1), Len(0), FateIs(harness.Dropped)),
	)
	// Which segment completed the server's handshake: the first one from
	// the client it took after the lost ACK.
	var completer *harness.Record
	for _, r := range e.Since(recs[2].Index + 1) {
		if r.Dir == harness.ClientToServer && r.Fate == harness.Delivered && r.Packet.TCP.Flags.Has(ACK) {
			completer = r
			break
		}
	}
	if completer == nil {
		e.Fail("a client segment to complete the handshake", DescribeRecords(e.Since(mark)))
	}
	if at := e.EnteredAt(s, harness.Established); at != completer.Arrived {
		e.Fatalf(fmt.Sprintf("server ESTABLISHED when #%d arrived, at %v", completer.Index, completer.Arrived), "at %v", at)
	}
	if completer.PayloadLen > 0 {
		// RFC 9293 3.10.7.4: in SYN-RECEIVED an acceptable ACK moves to
		// ESTABLISHED "and continue processing": the text is kept.
		if err := harness.CheckRecord(completer, Seq(1), Ack(1)); err != nil {
			e.Fatalf("the first data segment at seq=1 ack=1", "#%d: %v", completer.Index, err)
		}
		e.Observe("the client's first data segment completed the server's handshake")
	} else {
		// The other allowed order: a SYN-ACK retransmission came first and
		// the client ACKed it.
		if err := harness.CheckRecord(completer, Flags(ACK), Seq(1), Ack(1)); err != nil {
			e.Fatalf("a bare ACK seq=1 ack=1 for the retransmitted SYN-ACK", "#%d: %v", completer.Index, err)
		}
		e.Observe("the server's SYN-ACK retransmission came first; the client's second ACK completed the handshake")
	}
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	e.WriteAll(s, []byte("got it"))
	e.ExpectRead(c, []byte("got it"))
	return nil
}

func runDataOnThirdACK(e *Env) error {
	l := e.Listen()
	mark := e.Mark()
	c := e.Dial()
	msg := []byte("written before the handshake completed")
	// WriteAll keeps offering the bytes while the stack will not take them
	// in SYN-SENT (gVisor), or queues them at once (ourstack: RFC 9293
	// 3.10.2, SEND in SYN-SENT queues the data).
	e.WriteAll(c, msg)
	s := e.Accept(l)
	e.ExpectRead(s, msg)

	recs := e.ExpectInOrder(mark,
		C2S(Flags(SYN), Seq(0), Len(0)),
		S2C(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
	)
	synAck := recs[1]
	var after []*harness.Record
	for _, r := range e.Since(synAck.Index + 1) {
		if r.Dir == harness.ClientToServer {
			after = append(after, r)
		}
	}
	// Either the third segment carries the data, or a bare ACK goes first
	// and the data right behind it, at the same instant.
	var dataSeg *harness.Record
	switch {
	case len(after) >= 1 && after[0].PayloadLen > 0:
		dataSeg = after[0]
		e.Observe("the data rode on the third segment")
	case len(after) >= 2 && after[0].PayloadLen == 0:
		if err := harness.CheckRecord(after[0], Flags(ACK), Seq(1), Ack(1)); err != nil {
			e.Fatalf("the third segment: ACK seq=1 ack=1", "#%d: %v", after[0].Index, err)
		}
		dataSeg = after[1]
		e.Observe("a bare third ACK, the data right behind it")
	default:
		e.Fail("the third ACK with the data on it or right behind it", DescribeRecords(e.Since(mark)))
	}
	if err := harness.CheckRecord(dataSeg, FlagsInclude(ACK), FlagsExclude(SYN|FIN|RST), Seq(1), Ack(1), Len(len(msg))); err != nil {
		e.Fatalf(fmt.Sprintf("the data: seq=1 ack=1 len=%d", len(msg)), "#%d: %v\n%s", dataSeg.Index, err, DescribeRecords(e.Since(mark)))
	}
	if dataSeg.At != synAck.Arrived {
		e.Fatalf("the data sent the instant the SYN-ACK arrived ("+synAck.Arrived.String()+")", "sent at %v", dataSeg.At)
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	e.Advance(time.Second)
	e.ExpectCleanStreams(mark)
	return nil
}
