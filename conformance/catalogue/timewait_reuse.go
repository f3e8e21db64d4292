package catalogue

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

var _ = Register(
	// time-wait-reuse: the server closes first and holds TIME-WAIT; a second
	// later the client dials again from the same port, so a new SYN for the
	// same four-tuple reaches the TIME-WAIT end. RFC 9293 3.10.7.4 /
	// RFC 1122 4.2.2.13 / RFC 6191 allow it to accept the SYN (new ISN above
	// the old stream) or to answer it with an ACK of the old connection
	// (RFC 5961 4) or a RST. Expected, whichever it does (the run notes which):
	// the new connection either works (fresh sequence numbers, bytes both ways
	// intact) or Dial fails cleanly; never does the old connection come back.
	Scenario{
		Name:    "time-wait-reuse",
		Section: "time-wait",
		Summary: "a new SYN for the four-tuple reaches TIME-WAIT: a fresh connection or a clean failure",
		RFCs:    []string{"RFC 1122 4.2.2.13", "RFC 9293 3.10.7.4", "RFC 6191", "RFC 5961 4.2", "RFC 9293 3.4.1", "RFC 6528 3"},
		Setup:   func(s *Setup) { s.Patience = 3 * time.Minute },
		Run:     runTimeWaitReuse,
	},
)

// reuseServerBytes is what the server sends before time-wait-reuse closes.
const reuseServerBytes = 1 << 20

func runTimeWaitReuse(e *Env) error {
	l := e.Listen()
	c := e.Dial()
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	e.ExchangeSome(c, s)
	// The server sends a megabyte: more sequence space than a 4 us ISN
	// clock covers in the seconds before the reopening SYN, so a TIME-WAIT
	// end that takes the clock's ISN as it comes starts the new incarnation
	// inside the old one's numbers.
	e.NewTransfer(s, c, reuseServerBytes).Run()
	// Where the old streams ended (their FINs come later, +1).
	_, oldClientEnd := e.StreamEnd(harness.Client)
	_, oldServerEnd := e.StreamEnd(harness.Server)

	// The server closes first and keeps TIME-WAIT; the client ends CLOSED.
	e.Close(s)
	e.ReadEOF(c)
	e.Advance(time.Second)
	e.Close(c)
	e.Drain()
	e.ExpectState(s, harness.TimeWait)
	e.ExpectState(c, harness.Closed)
	e.Advance(time.Second)

	mark := e.Mark()
	lport := c.ID().LocalPort
	c2, err := harness.DialFrom(e.Client, lport, e.ServerAddr())
	e.NoError(fmt.Sprintf("client Dial from port %d", lport), err)
	if c2.ID() != c.ID() {
		e.Fatalf("the new connection on the old four-tuple "+fmt.Sprint(c.ID()), "%v", c2.ID())
	}
	e.WaitFor("the new connection to be established or refused", func() bool {
		st := c2.State()
		return st == harness.Established || st == harness.Closed
	})
	e.Drain()
	syn := e.ExpectInOrder(mark, C2S(Flags(SYN), Seq(0), Len(0)))[0]

	// RFC 9293 3.4.1 (MUST-8) and RFC 6528 3: ISN = M + F(four-tuple,
	// secret), M a clock of about 4 us. F is the same for the same
	// four-tuple, so two seconds later the clock alone puts the new ISN
	// far above where the old stream ended (its FIN is the +1); an ISN
	// without the clock would start the new incarnation inside the old
	// one's sequence space, where old duplicates still belong.
	if above := oldClientEnd.Add(1).LessThan(syn.Packet.TCP.Seq); !above && e.PeerKind(harness.Client) == LwIP {
		e.Deviates(LwIPISNFromTicks)
		e.Observe("the new SYN's ISN %d is not above the old client stream's end %d", syn.Packet.TCP.Seq, oldClientEnd.Add(1))
	} else if !above {
		e.Fatalf(fmt.Sprintf("the new SYN's ISN above the old client stream's end %d (RFC 9293 3.4.1 MUST-8: clock-driven ISN)", oldClientEnd.Add(1)),
			"#%d seq=%d", syn.Index, syn.Packet.TCP.Seq)
	}

	// What the TIME-WAIT end answered the first SYN with.
	var answer *harness.Record
	for _, r := range e.SentBy(mark, harness.Server) {
		if r.Index > syn.Index {
			answer = r
			break
		}
	}
	var flags packet.Flags
	if answer != nil {
		flags = answer.Packet.TCP.Flags
	}
	switch {
	case answer == nil && e.PeerKind(harness.Server) == GVisor && !oldClientEnd.Add(1).LessThan(syn.Packet.TCP.Seq):
		// An old SYN, as far as the sequence numbers tell (only an lwIP
		// client, LwIPISNFromTicks, sends one).
		e.Deviates(GVisorTimeWaitDropsOldSYN)
		e.Observe("the TIME-WAIT end dropped the new SYN, below its RCV.NXT, silently")
	case answer == nil:
		e.Fail("an answer from the server to the new SYN", DescribeRecords(e.Since(mark)))
	case flags == SYN|ACK:
		// RFC 1122 4.2.2.13 allows it when the new ISN is above the old
		// stream's end (checked above); RFC 6191 also when the timestamps
		// say the SYN is new. The TIME-WAIT end's own new ISN must lie
		// above every sequence number its old incarnation used (RFC 9293
		// 3.6, RFC 1122 4.2.2.13): else the client could take an old
		// duplicate of the server's for new data.
		if !oldServerEnd.Add(1).LessThan(answer.Packet.TCP.Seq) {
			e.Fatalf(fmt.Sprintf("the reopened server's ISN above its old stream's end %d (RFC 9293 3.6, RFC 1122 4.2.2.13)", oldServerEnd.Add(1)),
				"#%d seq=%d, %+d from the old end", answer.Index, answer.Packet.TCP.Seq, int32(answer.Packet.TCP.Seq-oldServerEnd.Add(1)))
		}
		e.Observe("the TIME-WAIT end accepted the new SYN at once")
	case flags.Has(RST):
		e.Observe("the TIME-WAIT end refused the new SYN with a RST")
	case flags == ACK:
		// RFC 5961 4.2 / RFC 9293 3.10.7.4, SYN in a synchronized state:
		// a challenge ACK of the old connection; it must acknowledge
		// the old stream, not the new SYN.
		if answer.Packet.TCP.Ack == syn.Packet.TCP.Seq+1 {
			e.Fatalf("a challenge ACK of the old stream", "#%d acknowledges the new SYN: ack=%d", answer.Index, answer.Packet.TCP.Ack)
		}
		e.Observe("the TIME-WAIT end answered the new SYN with an ACK of the old connection (challenge ACK)")
	default:
		e.Fail("a SYN-ACK, an ACK or a RST in answer to the new SYN", fmt.Sprintf("#%d [%s]\n%s", answer.Index, flags, DescribeRecords(e.Since(mark))))
	}

	// Never a SYN-ACK for anything but the newest SYN, and never data or
	// a FIN of the old connection.
	for _, r := range e.SentBy(mark, harness.Server) {
		f := r.Packet.TCP.Flags
		if f.Has(SYN) && r.RelAck != 1 {
			e.Fatalf("every SYN-ACK to acknowledge the new SYN (relative ack 1)", "#%d ack=%d\n%s", r.Index, r.RelAck, DescribeRecords(e.Since(mark)))
		}
		if r.PayloadLen > 0 || f.Has(FIN) {
			e.Fatalf("no data or FIN from the server's old connection", "#%d\n%s", r.Index, DescribeRecords(e.Since(mark)))
		}
	}

	if c2.State() == harness.Closed {
		// Refused: Dial's error says so.
		_, err := c2.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.ETIMEDOUT) {
			e.Fatalf("the refused Dial to report connection refused, reset or timeout", "Read returned %v", err)
		}
		e.Observe("the new Dial failed: %v", err)
		return nil
	}
	e.Observe("the new connection came up %v after the first new SYN", e.EnteredAt(c2, harness.Established)-syn.At)

	// The new connection works, with its own numbers and bytes.
	s2 := e.Accept(l)
	if s2.ID() != s.ID() {
		e.Fatalf("the server's new connection on the old four-tuple", "%v", s2.ID())
	}
	dataMark := e.Mark()
	req, resp := []byte("request on the new connection"), []byte("response on the new connection")
	e.WriteAll(c2, req)
	e.ExpectRead(s2, req)
	e.WriteAll(s2, resp)
	e.ExpectRead(c2, resp)
	e.Advance(DelayedACKWait)
	// The new stream starts at relative 1 (from the new SYN), not where
	// the old one ended.
	e.ExpectInOrder(dataMark, C2S(FlagsInclude(ACK), Seq(1), Len(len(req))), S2C(FlagsInclude(ACK), Seq(1), Ack(uint32(1+len(req))), Len(len(resp))))
	e.ExpectCleanStreams(dataMark)
	return nil
}
