package catalogue

import (
	"bytes"
	"fmt"
	"net/netip"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// floodSYNs is how many spoofed SYNs syn-flood sends.
const floodSYNs = 10_000

// floodBatch SYNs arrive together, floodGap apart: the flood takes 1 s.
const (
	floodBatch = 100
	floodGap   = 10 * time.Millisecond
)

// floodHalfOpenBound is the most half-open connections a server may hold
// during the flood: far below the number of SYNs, far above any stack's SYN
// queue (ourstack: 256; gVisor: the listen backlog, 128).
const floodHalfOpenBound = 1024

var _ = Register(
	// syn-flood: 10000 SYNs (floodSYNs) from spoofed addresses (198.18.0.0/15)
	// arrive over 1 s, none completing. Expected: the server's half-open
	// connections stay bounded (at most 1024, floodHalfOpenBound), and SYN
	// cookies take over (RFC 4987 3.6): every SYN still gets a SYN-ACK, as the
	// stack's cookie counter says. A legitimate client dialing mid-flood
	// connects and moves 256 KiB each way, and the half-open connections all
	// expire.
	Scenario{
		Name:         "syn-flood",
		RealTime:     TooSlowForRealTime,
		RealTimeNote: "the half-open connections expire only on Linux's real-time SYN-ACK retransmission timer: over a minute of real time",
		Section:      "flood",
		Summary:      fmt.Sprintf("%d spoofed SYNs in 1 s: half-open bounded, SYN cookies answer, a client connects", floodSYNs),
		RFCs:         []string{"RFC 4987 3.6", "RFC 9293 3.8.3"},
		Setup:        func(s *Setup) { s.Patience = 5 * time.Minute },
		Run:          runSYNFlood,
	},
)

// spoofedSource is the address and port of the flood's i-th SYN in
// family f: one address each, from the benchmarking ranges (198.18.0.0/15,
// RFC 2544; 2001:2::/48, RFC 5180).
func spoofedSource(f Family, i int) netip.AddrPort {
	a := netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})
	if f == IPv6 {
		a = netip.AddrFrom16([16]byte{0x20, 0x01, 0, 2, 14: byte(i >> 8), 15: byte(i)})
	}
	return netip.AddrPortFrom(a, uint16(1024+i%50000))
}

func runSYNFlood(e *Env) error {
	l := e.Listen()
	cookiesBefore := synCookiesSent(e)
	mark := e.Mark()

	// The flood: SYNs straight into the server's stack, as if from the
	// wire (see InjectTo); the SYN-ACKs go out on the wire to addresses
	// nobody has, and the client's stack drops them as not its own.
	var c harness.Conn
	for i := range floodSYNs {
		if i == floodSYNs/2 {
			// A legitimate client dials in the middle of the flood, with
			// the SYN queue long full.
			c = e.Dial()
		}
		src := spoofedSource(e.Pairing.Family, i)
		pkt := e.PacketTo(harness.Server, src.Addr(), packet.Segment{SrcPort: src.Port(), DstPort: e.Port,
			Seq: seqnum.Value(uint32(i) * 2654435761), Flags: SYN, Window: 65535,
			Options: packet.Options{HasMSS: true, MSS: 1460, SACKPermitted: true}})
		// Not InjectRaw: the flood settles once a batch, not once a SYN.
		e.Net.Inject(harness.Server, pkt.Encode(packet.Illegal{}))
		if (i+1)%floodBatch == 0 {
			e.Advance(floodGap)
		}
	}
	e.Advance(10 * time.Millisecond) // the last SYN-ACKs cross

	// Bounded: the server built at most floodHalfOpenBound connections.
	halfOpen := serverConnections(e)
	if len(halfOpen) > floodHalfOpenBound {
		e.Fatalf(fmt.Sprintf("at most %d half-open connections for %d SYNs", floodHalfOpenBound, floodSYNs), "%d", len(halfOpen))
	}
	// Cookies: every spoofed SYN was answered with a SYN-ACK acknowledging
	// it, state or no state.
	answered := map[netip.AddrPort]bool{}
	for _, r := range e.Since(mark) {
		if r.Dir == harness.ServerToClient && r.Packet.TCP.Flags == SYN|ACK {
			answered[netip.AddrPortFrom(r.Packet.IP.Dst, r.Packet.TCP.DstPort)] = true
		}
	}
	for i := range floodSYNs {
		if !answered[spoofedSource(e.Pairing.Family, i)] {
			e.Fatalf(fmt.Sprintf("a SYN-ACK for every one of the %d SYNs (SYN cookies once the queue is full, RFC 4987 3.6)", floodSYNs),
				"%d answered; none for SYN %d from %v (the server holds %d half-open)", len(answered), i, spoofedSource(e.Pairing.Family, i), len(halfOpen))
		}
	}
	cookies := synCookiesSent(e) - cookiesBefore
	if want := uint64(floodSYNs - len(halfOpen)); cookies < want {
		e.Fatalf(fmt.Sprintf("the stack to count at least %d SYN cookies sent (%d SYNs, %d kept half-open)", want, floodSYNs, len(halfOpen)), "%d", cookies)
	}

	e.Observe("%d half-open connections kept, %d SYN cookies sent", len(halfOpen), cookies)

	// The legitimate client got through, and moves data both ways.
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })
	up := bytes.Repeat([]byte("legitimate "), 256<<10/11+1)[:256<<10]
	e.Pump(c, s, up)
	e.Pump(s, c, up)

	// The half-open connections expire (RFC 9293 3.8.3: their SYN-ACK
	// retransmissions give up) and the wire goes quiet.
	e.WaitFor("every half-open connection of the flood to expire", func() bool {
		for id := range halfOpen {
			if st := e.Net.State(harness.Server, id); st != harness.Closed && st != harness.Listen {
				return false
			}
		}
		return true
	})
	e.Close(c)
	e.Close(s)
	quiet := e.Mark()
	e.Advance(10 * time.Minute)
	for _, r := range e.Since(quiet) {
		if r.Dir == harness.ServerToClient && r.Packet.IP.Dst != e.Net.Addr(harness.Client) {
			e.Fail("nothing more to the spoofed addresses once the half-open connections expired", DescribeRecords(e.Since(quiet)))
		}
	}
	return nil
}

// serverConnections is every connection the server's stack reported a state
// for, other than with the client: the flood's half-open ones.
func serverConnections(e *Env) map[harness.FourTuple]bool {
	out := map[harness.FourTuple]bool{}
	client := e.Net.Addr(harness.Client)
	for _, ch := range e.Net.Trace().Changes {
		if ch.Side == harness.Server && ch.ID.RemoteAddr.IsValid() && ch.ID.RemoteAddr != client {
			out[ch.ID] = true
		}
	}
	return out
}

// synCookiesSent is the server stack's own count of SYN cookies sent
// (harness.Counters).
func synCookiesSent(e *Env) uint64 {
	p := e.Net.Peer(harness.Server)
	c, ok := p.Counters()
	if !ok {
		e.Unsupported(e.Scenario.Name + " reads the server stack's count of SYN cookies sent, and " + p.Name() + " reports no counters (no COUNTERS capability)")
	}
	return c.SYNCookiesSent
}
