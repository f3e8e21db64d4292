package catalogue

import (
	"fmt"
	"net/netip"

	. "github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

var _ = Register(
	// martian-source: SYNs reach a listener from source addresses that must
	// never appear on a wire (RFC 1122 3.2.1.3: "this network" 0/8, loopback
	// 127/8, and the broadcast, multicast and reserved class E addresses,
	// which RFC 6890 marks Source: False; RFC 1122 4.2.3.10 forbids a SYN
	// from a broadcast or multicast address; over IPv6 the unspecified,
	// loopback and multicast addresses, RFC 4291 2.5.2, 2.5.3, 2.7). Expected: each is silently
	// discarded (RFC 1122 3.2.1.3 (g): a loopback source from outside "MUST
	// be silently discarded"): no SYN-ACK, no RST, nothing at all; then an
	// ordinary client still connects.
	Scenario{
		Name:    "martian-source",
		Section: "handshake",
		Summary: "SYNs from 0/8, 127/8, multicast, class E (IPv6: ::, ::1, ff00::/8) sources: dropped",
		RFCs:    []string{"RFC 1122 3.2.1.3", "RFC 1122 4.2.3.10", "RFC 6890 2.2.2", "RFC 4291 2.5.3", "RFC 4291 2.7"},
		Run:     runMartianSource,
	},
)

// martianSources are source addresses no datagram from a wire may carry.
var martianSources = []string{
	"0.0.0.0",         // "this host on this network": only while booting, never to a peer
	"0.1.2.3",         // a host on "this network": never as a source on a wire
	"127.0.0.1",       // loopback
	"127.10.20.30",    // loopback, the whole /8
	"224.0.0.1",       // multicast
	"240.0.0.1",       // reserved (class E)
	"255.255.255.255", // limited broadcast
}

// martianSources6 are IPv6's: the unspecified address (RFC 4291 2.5.2:
// "must never be assigned to any node", only a source while a host has
// no address yet), the loopback, which "must never be sent outside a
// single node" and arriving from a wire "must be dropped" (2.5.3), and a
// multicast address, never a source (2.7).
var martianSources6 = []string{"::", "::1", "ff02::1"}

func runMartianSource(e *Env) error {
	l := e.Listen()
	sources := martianSources
	if e.Pairing.Family == IPv6 {
		sources = martianSources6
	}
	for i, a := range sources {
		src := netip.AddrPortFrom(netip.MustParseAddr(a), uint16(41000+i))
		syn := packet.Segment{SrcPort: src.Port(), DstPort: e.Port, Seq: 7000, Flags: SYN, Window: 65535,
			Options: packet.Options{HasMSS: true, MSS: 1460}}
		mark := e.Mark()
		e.InjectTo(harness.Server, src.Addr(), syn)
		e.Drain()
		replies := e.RepliesTo(mark, harness.Server, src)
		if len(replies) == 0 {
			continue
		}
		if src.Addr() == netip.IPv6Unspecified() && e.Pairing.Server == Linux {
			e.Deviates(LinuxAnswersUnspecifiedIPv6Source)
			continue
		}
		// gVisor and Linux take 0/8 and 240/4 for unicast.
		if a := src.Addr(); a.Is4() && (a.As4()[0] == 0 && a != netip.IPv4Unspecified() || a.As4()[0] >= 240 && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
			switch e.Pairing.Server {
			case GVisor:
				e.Deviates(GVisorAcceptsThisNetworkAndClassESources)
				continue
			case Linux:
				e.Deviates(LinuxAcceptsThisNetworkAndClassESources)
				continue
			case LwIP:
				e.Deviates(LwIPAcceptsThisNetworkSources)
				continue
			}
		}
		if e.Pairing.Server == Lneto {
			// lneto checks a packet's destination only.
			e.Deviates(LnetoAnswersMartianSource)
			continue
		}
		e.Fatalf(fmt.Sprintf("no answer to a SYN from %v, a source no wire may carry (RFC 1122 3.2.1.3: silently discarded)", src.Addr()),
			"#%d [%s] to %v\n%s", replies[0].Index, replies[0].Packet.TCP.Flags, src, DescribeRecords(e.Since(mark)))
	}
	// An ordinary client still connects, and is the first the listener
	// hands over: no half-open connection from a martian source completed.
	c := e.Dial()
	s := e.Accept(l)
	if s.ID().RemoteAddr != e.Net.Addr(harness.Client) {
		e.Fatalf("the ordinary client's connection first out of Accept", "a connection from %v", s.ID().RemoteAddr)
	}
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	return nil
}
