package conformance

import (
	"net/netip"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// simOpenPort is the well-known port one end of simultaneous-open binds.
const simOpenPort = 5000

var _ = register(
	Scenario{
		Name:    "simultaneous-open",
		Section: "simultaneous-open",
		Summary: "both ends dial each other at the same virtual instant: SYNs cross, each answers with a SYN-ACK of its own ISN, both go SYN-SENT -> SYN-RECEIVED -> ESTABLISHED (RFC 9293 3.5 figure 7), one connection, no RST, data both ways. " +
			"One end must open from a chosen port: gVisor can (Bind, then Connect); ourstack cannot (Connect always picks an ephemeral port), so ours<->ours is left out. The raw-peer tests in handshake_simopen_test.go drive ourstack's and gVisor's SYN-SENT by hand",
		Pairings: []Pairing{{Ours, GVisor}, {GVisor, Ours}, {GVisor, GVisor}},
		Run:      runSimultaneousOpen,
	},
)

func runSimultaneousOpen(e *Env) error {
	mark := e.Mark()
	var c, s harness.Conn
	var err error
	if e.Pairing.Server == GVisor {
		// The client picks its port; the server opens from a known one to it.
		c, err = e.Client.Dial(netip.AddrPortFrom(e.Net.Addr(harness.Server), simOpenPort))
		e.NoError("client Dial", err)
		s = e.DialFromGVisor(harness.Server, simOpenPort, netip.AddrPortFrom(e.Net.Addr(harness.Client), c.ID().LocalPort))
	} else {
		s, err = e.Server.Dial(netip.AddrPortFrom(e.Net.Addr(harness.Client), simOpenPort))
		e.NoError("server Dial", err)
		c = e.DialFromGVisor(harness.Client, simOpenPort, netip.AddrPortFrom(e.Net.Addr(harness.Server), s.ID().LocalPort))
	}
	if c.ID() != mirror(s.ID()) {
		e.Fatalf("both ends to open the same four-tuple", "client %v, server %v", c.ID(), s.ID())
	}
	e.WaitFor("both ends to reach ESTABLISHED", func() bool {
		return c.State() == tcp.Established && s.State() == tcp.Established
	})

	// Figure 7: each SYN leaves before the other arrives; each end then
	// repeats its SYN with an ACK of the other's (<SEQ=ISS><ACK=IRS+1>).
	// What an end does with the other's SYN-ACK is its choice within the
	// RFC: take it as the ACK of its SYN (figure 7), or answer it as an old
	// duplicate with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and take the
	// other's answer as the ACK. So any further segment is a bare ACK
	// seq=1 ack=1.
	recs := e.Since(mark)
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
		for range len(mine) - len(want) {
			want = append(want, from(Flags(ACK), Seq(1), Ack(1), Len(0)))
		}
		for i, r := range mine {
			if err := harness.CheckRecord(r, want[i]...); err != nil {
				e.Fail(describeSegs("the "+side.String()+"'s segments: SYN, SYN-ACK, then at most bare ACKs", want),
					describeRecords(recs))
			}
		}
		if len(mine) < 2 {
			e.Fail("a SYN and a SYN-ACK from the "+side.String(), describeRecords(recs))
		}
	}
	// The SYNs crossed: neither arrived before the other was sent.
	cSYN := e.ExpectInOrder(mark, C2S(Flags(SYN)))[0]
	sSYN := e.ExpectInOrder(mark, S2C(Flags(SYN)))[0]
	if cSYN.Arrived < sSYN.At || sSYN.Arrived < cSYN.At {
		e.Fail("the two SYNs to cross on the wire", describeRecords(recs))
	}
	e.ExpectStates(c, tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established)
	e.ExpectStates(s, tcp.Closed, tcp.SynSent, tcp.SynReceived, tcp.Established)

	data := e.Mark()
	e.WriteAll(c, []byte("from the client"))
	e.ExpectRead(s, []byte("from the client"))
	e.WriteAll(s, []byte("from the server"))
	e.ExpectRead(c, []byte("from the server"))
	e.ExpectCleanStreams(data)
	for _, r := range e.Since(mark) {
		if r.Packet.TCP.Flags.Has(RST) {
			e.Fail("no RST in a simultaneous open", describeRecords(e.Since(mark)))
		}
	}
	return nil
}
