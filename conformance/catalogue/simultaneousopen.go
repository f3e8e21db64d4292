package catalogue

import (
	"net/netip"
	"slices"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// simOpenPort is the well-known port one end of simultaneous-open binds:
// beside ServerPort, and like it claimed by no Wireshark dissector (5000,
// which it was, decodes as GSM over IP).
const simOpenPort = ServerPort + 1

var _ = Register(
	// simultaneous-open: both ends dial each other at the same virtual instant
	// (the server from a chosen port: bind, then connect). Expected: the SYNs
	// cross, each end answers with a SYN-ACK of its own ISN, and both go
	// SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 3.5 figure 7): one
	// connection, no RST, data both ways. The raw-peer tests in
	// simultaneousopen_test.go drive each stack's SYN-SENT by hand.
	Scenario{
		Name:    "simultaneous-open",
		Section: "simultaneous-open",
		Summary: "both ends dial each other at once: SYNs cross, both via SYN-RECEIVED, one connection",
		RFCs:    []string{"RFC 9293 3.5", "RFC 9293 3.10.7.3"},
		Run:     runSimultaneousOpen,
	},
)

func runSimultaneousOpen(e *Env) error {
	mark := e.Mark()
	// The client takes an ephemeral port; the server opens from a known
	// one to it, before either SYN has arrived (bind(2), then connect(2)).
	c, err := e.Client.Dial(netip.AddrPortFrom(e.Net.Addr(harness.Server), simOpenPort))
	e.NoError("client Dial", err)
	s, err := harness.DialFrom(e.Server, simOpenPort, netip.AddrPortFrom(e.Net.Addr(harness.Client), c.ID().LocalPort))
	e.NoError("server DialFrom", err)
	if c.ID() != s.ID().Reverse() {
		e.Fatalf("both ends to open the same four-tuple", "client %v, server %v", c.ID(), s.ID())
	}
	e.WaitFor("both ends to reach ESTABLISHED", func() bool {
		return c.State() == harness.Established && s.State() == harness.Established
	})

	// Figure 7: each SYN leaves before the other arrives; each end then
	// repeats its SYN with an ACK of the other's (<SEQ=ISS><ACK=IRS+1>).
	// What an end does with the other's SYN-ACK is its choice within the
	// RFC: take it as the ACK of its SYN (figure 7), or answer it as an old
	// duplicate with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and take the
	// other's answer as the ACK. So any further segment is a bare ACK
	// seq=1 ack=1.
	recs := e.Since(mark)
	// An lwIP end never enters SYN-RECEIVED: it drops the crossing SYN and
	// reaches ESTABLISHED on the other's SYN-ACK (LwIPNoSimultaneousOpen).
	noSimOpen := map[harness.Side]bool{}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		if e.PeerKind(side) == LwIP && !slices.ContainsFunc(recs, func(r *harness.Record) bool {
			return r.Dir.From() == side && r.Packet.TCP.Flags == SYN|ACK
		}) {
			noSimOpen[side] = true
			e.Deviates(LwIPNoSimultaneousOpen)
		}
	}
	for _, side := range []harness.Side{harness.Client, harness.Server} {
		var mine []*harness.Record
		for _, r := range recs {
			if r.Dir.From() == side {
				mine = append(mine, r)
			}
		}
		from := C2S
		if side == harness.Server {
			from = S2C
		}
		want := []Seg{
			from(Flags(SYN), Seq(0), Len(0)),
			from(Flags(SYN|ACK), Seq(0), Ack(1), Len(0)),
		}
		if noSimOpen[side] {
			want = want[:1]
		}
		for range len(mine) - len(want) {
			want = append(want, from(Flags(ACK), Seq(1), Ack(1), Len(0)))
		}
		for i, r := range mine {
			if err := harness.CheckRecord(r, want[i]...); err != nil {
				e.Fail(DescribeSegs("the "+side.String()+"'s segments: SYN, SYN-ACK, then at most bare ACKs", want),
					DescribeRecords(recs))
			}
		}
		if len(mine) < 2 {
			e.Fail("a SYN and a SYN-ACK from the "+side.String(), DescribeRecords(recs))
		}
	}
	// The SYNs crossed: neither arrived before the other was sent.
	cSYN := e.ExpectInOrder(mark, C2S(Flags(SYN)))[0]
	sSYN := e.ExpectInOrder(mark, S2C(Flags(SYN)))[0]
	if cSYN.Arrived < sSYN.At || sSYN.Arrived < cSYN.At {
		e.Fail("the two SYNs to cross on the wire", DescribeRecords(recs))
	}
	for _, conn := range []harness.Conn{c, s} {
		if noSimOpen[e.Side(conn)] {
			e.ExpectStates(conn, harness.Closed, harness.SynSent, harness.Established)
		} else {
			e.ExpectStates(conn, harness.Closed, harness.SynSent, harness.SynReceived, harness.Established)
		}
	}
	// Which completion each end chose: ESTABLISHED when the other's SYN-ACK
	// arrived, or only when the other's ACK did.
	for _, end := range []struct {
		conn         harness.Conn
		othersSynAck Seg
	}{
		{c, S2C(Flags(SYN | ACK))},
		{s, C2S(Flags(SYN | ACK))},
	} {
		side := e.Side(end.conn)
		if noSimOpen[side.Other()] {
			continue // the other end sent no SYN-ACK
		}
		synAck := e.ExpectInOrder(mark, end.othersSynAck)[0]
		if e.EnteredAt(end.conn, harness.Established) == synAck.Arrived {
			e.Observe("the %s (%s) took the crossing SYN-ACK as the ACK of its SYN (figure 7)", side, e.PeerKind(side))
		} else {
			e.Observe("the %s (%s) took the crossing SYN-ACK as an old duplicate and reached ESTABLISHED on the peer's ACK", side, e.PeerKind(side))
		}
	}

	data := e.Mark()
	e.WriteAll(c, []byte("from the client"))
	e.ExpectRead(s, []byte("from the client"))
	e.WriteAll(s, []byte("from the server"))
	e.ExpectRead(c, []byte("from the server"))
	e.ExpectCleanStreams(data)
	for _, r := range e.Since(mark) {
		if r.Packet.TCP.Flags.Has(RST) {
			e.Fail("no RST in a simultaneous open", DescribeRecords(e.Since(mark)))
		}
	}
	return nil
}
