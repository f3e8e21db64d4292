package catalogue

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

var _ = Register(
	// path-mtu-discovery: a router in the middle of the wire has a next hop
	// of 1280 bytes (harness Config.PathMTU) and answers a bigger datagram
	// with Don't Fragment set with ICMP Fragmentation Needed (RFC 1191 4).
	// 256 KiB go each way. Expected: each sender that set DF shrinks its
	// segments to the path (RFC 1191 6.4; never below the minimum, and
	// still using the room the path has), sends nothing too big once the
	// ICMP error has reached it, and every byte arrives once. A sender that
	// does not set DF has its datagrams fragmented by the router; the run
	// notes it.
	Scenario{
		Name:    "path-mtu-discovery",
		Section: "icmp",
		Summary: "a 1280-byte hop mid-path answers DF packets with ICMP: segments shrink, data arrives",
		RFCs:    []string{"RFC 1191 4", "RFC 1191 6.4", "RFC 1122 4.2.3.9"},
		Setup:   func(s *Setup) { s.Net.PathMTU = pmtuHop },
		Run:     runPathMTUDiscovery,
	},
	// icmp-port-unreachable-syn-sent: the client's SYN is answered by the
	// server's host with ICMP Port Unreachable. A hard error (RFC 1122
	// 4.2.3.9: "TCP SHOULD abort the connection"; RFC 5461 4.1 for the
	// connection attempt). Expected: the attempt ends when the error
	// arrives, the application is told the connection was refused, and no
	// SYN is sent again.
	Scenario{
		Name:    "icmp-port-unreachable-syn-sent",
		Section: "icmp",
		Summary: "ICMP Port Unreachable for a SYN: the dial is refused at once, no SYN is resent",
		RFCs:    []string{"RFC 1122 4.2.3.9", "RFC 5461 4.1"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)},
				Action: harness.Unreachable, Code: packet.PortUnreachable})
		},
		Run: runPortUnreachableSynSent,
	},
	// icmp-host-unreachable-syn-sent: a router answers every SYN with ICMP
	// Host Unreachable, a soft error (RFC 1122 4.2.3.9: "TCP MUST NOT abort
	// the connection, and it SHOULD make the information available to the
	// application"). RFC 5461 4.1 records that many stacks abort a
	// connection attempt on it all the same. Expected: the attempt ends,
	// either when the first error arrives or when its SYN retries run out,
	// and reports "host unreachable" (or "timed out" at the retry limit);
	// the run notes which.
	Scenario{
		Name:    "icmp-host-unreachable-syn-sent",
		Section: "icmp",
		Summary: "ICMP Host Unreachable for every SYN: the dial fails, as host unreachable or timed out",
		RFCs:    []string{"RFC 1122 4.2.3.9", "RFC 5461 4.1"},
		Setup: func(s *Setup) {
			s.TCP.SynRetries = hostUnreachableSynRetries
			s.Patience = 3 * time.Minute // gVisor's own limit, when it goes on: 127 s
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(SYN)},
				Action: harness.Unreachable, Code: packet.HostUnreachable})
		},
		Run: runHostUnreachableSynSent,
	},
	// icmp-unreachable-established: during a transfer one data segment is
	// answered by a router with Host Unreachable and a later one by the
	// server's host with Port Unreachable. In a synchronized state both are
	// soft errors (RFC 1122 4.2.3.9; RFC 5461 4.1 for treating the hard
	// one as soft once connected, as Linux and the BSDs do). Expected: the
	// connection stays ESTABLISHED and every byte arrives.
	Scenario{
		Name:    "icmp-unreachable-established",
		Section: "icmp",
		Summary: "Host and Port Unreachable mid-transfer: soft errors, the connection carries on",
		RFCs:    []string{"RFC 1122 4.2.3.9", "RFC 5461 4.1"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults,
				&harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 3,
					Action: harness.Unreachable, Code: packet.HostUnreachable},
				&harness.Rule{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 9,
					Action: harness.Unreachable, Code: packet.PortUnreachable})
		},
		Run: runUnreachableEstablished,
	},
	// icmp-forged: ICMP errors forged by a third party, quoting sequence
	// numbers the connection never sent. RFC 5927 4.1: a TCP should check
	// that the quoted sequence number lies in SND.UNA..SND.NXT and ignore
	// the message otherwise. Expected: a forged Port Unreachable for the
	// SYN-SENT client does not end the attempt; a forged Fragmentation
	// Needed (MTU 576) for an established connection does not shrink its
	// segments; and the same message quoting a sequence number in flight
	// (it could be genuine) is obeyed.
	Scenario{
		Name:    "icmp-forged",
		Section: "icmp",
		Summary: "forged ICMP errors quoting unsent sequence numbers are ignored; in-window ones obeyed",
		RFCs:    []string{"RFC 5927 4.1", "RFC 1191 6.4"},
		Setup: func(s *Setup) {
			s.Net.Faults = append(s.Net.Faults, &harness.Rule{Name: "drop the first SYN", Dirs: harness.OnlyClientToServer,
				Match: []harness.SegCheck{harness.Flags(SYN)}, Times: 1})
		},
		Run: runForgedICMP,
	},
)

// pmtuHop is path-mtu-discovery's next-hop MTU: IPv6's minimum, common
// behind tunnels.
const pmtuHop = 1280

// pmtuTransfer is what path-mtu-discovery sends each way.
const pmtuTransfer = 256 << 10

func runPathMTUDiscovery(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.NewTransfer(c, s, pmtuTransfer).Run()
	e.NewTransfer(s, c, pmtuTransfer).Run()
	e.Advance(DelayedACKWait)
	for _, dir := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		expectPathMTUObeyed(e, e.Since(mark), dir, pmtuHop)
	}
	e.ExpectState(c, harness.Established)
	return nil
}

// expectPathMTUObeyed checks the sender in dir against a path of mtu
// bytes: once the router's ICMP error about one of its packets reached
// it, it sent nothing bigger, and its data packets still used most of the
// path (RFC 1191 6.4: the segment size follows the PMTU estimate).
func expectPathMTUObeyed(e *Env, recs []*harness.Record, dir harness.Dir, mtu int) {
	var icmp *harness.Record
	fragmented := 0
	for _, r := range recs {
		switch {
		case r.Dir == dir && r.Fate == harness.Fragmented:
			fragmented++
		case r.Dir != dir && r.ICMP != nil && icmp == nil:
			icmp = r
		}
	}
	if fragmented > 0 {
		e.Observe("%s sends without Don't Fragment: the router fragmented %d of its datagrams", dir.From(), fragmented)
	}
	if icmp == nil {
		if fragmented == 0 {
			e.Fail(fmt.Sprintf("a packet %s too big for the %d-byte hop (a full-sized segment is bigger)", dir, mtu), "none:\n"+DescribeRecords(recs))
		}
		return
	}
	if !icmp.Reached {
		e.Fatalf("the router's ICMP error to reach the "+dir.From().String(), "#%d %s", icmp.Index, icmp.Fate)
	}
	largest := 0
	for _, r := range recs {
		if r.Dir != dir || r.ICMP != nil || !icmp.ReachedBefore(r) {
			continue
		}
		if r.Len > mtu {
			e.Fatalf(fmt.Sprintf("no packet %s over %d bytes once the ICMP error (#%d) reached its sender", dir, mtu, icmp.Index),
				"#%d of %d bytes (%s)\n%s", r.Index, r.Len, r.Fate, DescribeRecords(recs[max(0, r.Index-recs[0].Index-4):r.Index-recs[0].Index+1]))
		}
		if r.PayloadLen > 0 {
			largest = max(largest, r.Len)
		}
	}
	if n, ok := e.LwIPFragmentsToPathMTU(recs, dir, icmp); ok && largest < mtu-80 {
		e.Observe("%s: ICMP error #%d; after it %d IPv6 fragments of its own segments, none over %d bytes", dir, icmp.Index, n, mtu)
		return
	}
	// The headers of a full segment take at most 20 + 60 bytes; a sender
	// that shrank to less has dropped below what the path carries.
	if largest < mtu-80 {
		e.Fatalf(fmt.Sprintf("data packets %s of at least %d bytes after the ICMP error (the path carries %d)", dir, mtu-80, mtu),
			"the largest was %d bytes", largest)
	}
	e.Observe("%s: ICMP error #%d; after it the largest data packet was %d bytes", dir, icmp.Index, largest)
}

// icmpArrival is the first ICMP error that reached side since mark.
func icmpArrival(e *Env, mark int, side harness.Side) *harness.Record {
	for _, r := range e.Since(mark) {
		if r.ICMP != nil && r.Dir.To() == side && r.Reached {
			return r
		}
	}
	e.Fail("an ICMP error to reach the "+side.String(), "none:\n"+DescribeRecords(e.Since(mark)))
	return nil
}

func runPortUnreachableSynSent(e *Env) error {
	e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to leave SYN-SENT", func() bool { return c.State() != harness.SynSent })
	icmp := icmpArrival(e, mark, harness.Client)
	if st := c.State(); st != harness.Closed {
		e.Fatalf("the client CLOSED", "%s", st)
	}
	// A Linux end's states are read on real time, its CLOSED perhaps
	// never: its moment is not judged, its SYNs are (below).
	refused := syscall.ECONNREFUSED
	if !e.OnRealTime(harness.Client) {
		if at := e.EnteredAt(c, harness.Closed); at != icmp.Arrived {
			if e.PeerKind(harness.Client) != LwIP || !lwipSYNsRanOut(e, mark) {
				e.Fatalf("client CLOSED when the Port Unreachable arrived, at "+icmp.Arrived.String(), "client CLOSED at %v", at)
			}
			// lwIP never hears of the error: its SYN timer ends the open.
			e.Deviates(LwIPIgnoresICMPErrors)
			e.Deviates(LwIPSYNTimer)
			e.Deviates(LwIPSYNGiveUpBefore3Min)
			refused = syscall.ETIMEDOUT
		}
	}
	if _, err := c.Read(make([]byte, 16)); !errors.Is(err, refused) {
		e.Fatalf(fmt.Sprintf("client Read to report %v", refused), "Read: %v", err)
	}
	quiet := e.Mark()
	e.Advance(10 * time.Second)
	e.ExpectNoPackets(quiet, "a refused connection attempt sends nothing more")
	return nil
}

// lwipSYNsRanOut reports whether an lwIP client's open since mark ended
// as its SYN timer ends one: the first SYN and TCP_SYNMAXRTX resends,
// LwIPSYNTimer's 3 s apart (to a 500 ms tick).
func lwipSYNsRanOut(e *Env, mark int) bool {
	var syns []*harness.Record
	for _, r := range e.SentBy(mark, harness.Client) {
		if r.Packet.TCP.Flags.Has(SYN) {
			syns = append(syns, r)
		}
	}
	if len(syns) != 1+LwIPSYNRetries {
		return false
	}
	_, _, ok := lwipBackoff(syns)
	return ok
}

// hostUnreachableSynRetries is icmp-host-unreachable-syn-sent's SYN retry
// limit: the attempt that goes on past a soft error ends soon.
const hostUnreachableSynRetries = 2

func runHostUnreachableSynSent(e *Env) error {
	e.Listen()
	mark := e.Mark()
	c := e.Dial()
	e.WaitFor("client to leave SYN-SENT", func() bool { return c.State() != harness.SynSent })
	first := icmpArrival(e, mark, harness.Client)
	if st := c.State(); st != harness.Closed {
		e.Fatalf("the client CLOSED", "%s", st)
	}
	_, err := c.Read(make([]byte, 16))
	if !errors.Is(err, syscall.EHOSTUNREACH) && !errors.Is(err, syscall.ETIMEDOUT) {
		e.Fatalf("client Read to report host unreachable (EHOSTUNREACH) or, at the retry limit, timed out (ETIMEDOUT)", "Read: %v", err)
	}
	syns := 0
	for _, r := range e.SentBy(mark, harness.Client) {
		if r.Packet.TCP.Flags.Has(SYN) {
			syns++
		}
	}
	if syns > hostUnreachableSynRetries+1 {
		if e.Pairing.Client != GVisor {
			e.Fatalf(fmt.Sprintf("at most %d SYNs (the retry limit is %d)", hostUnreachableSynRetries+1, hostUnreachableSynRetries), "%d", syns)
		}
		e.Deviates(GVisorSynRetriesIgnored)
	}
	if syns == 1 {
		e.Observe("the attempt ended when the first Host Unreachable arrived (%v): %v", first.Arrived, err)
	} else {
		e.Observe("the attempt went on through %d SYNs: %v", syns, err)
	}
	return nil
}

func runUnreachableEstablished(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.NewTransfer(c, s, 64<<10).Run()
	n := 0
	for _, r := range e.Since(mark) {
		if r.ICMP != nil && r.Reached {
			n++
		}
	}
	if n != 2 {
		e.Fatalf("two ICMP errors to reach the client", "%d:\n%s", n, DescribeRecords(e.Since(mark)))
	}
	e.ExpectState(c, harness.Established)
	e.ExpectState(s, harness.Established)
	return nil
}

// forgedICMP is an ICMP error (ICMPv6 over IPv6) from a router on no path
// of the run to the client, about a segment the client sent to the server
// with sequence number seq.
func forgedICMP(e *Env, c harness.Conn, code uint8, mtu uint16, seq seqnum.Value) []byte {
	id := c.ID()
	offending := packet.Packet{
		IP:  packet.IP{Src: id.LocalAddr, Dst: id.RemoteAddr, DontFragment: true, TTL: 64},
		TCP: packet.Segment{SrcPort: id.LocalPort, DstPort: id.RemotePort, Seq: seq, Flags: ACK, Window: 65535, Payload: make([]byte, 1400)},
	}.Encode(packet.Illegal{})
	pkt, err := packet.UnreachableError(e.Elsewhere(77), code, mtu, offending)
	e.NoError("build a forged ICMP error", err)
	return pkt
}

// forgedPathMTU is the path MTU icmp-forged's messages claim: IPv4's 576,
// or IPv6's least, 1280 (RFC 8200 5), below which no stack may go.
func forgedPathMTU(e *Env) int {
	if e.Pairing.Family == IPv6 {
		return 1280
	}
	return 576
}

func runForgedICMP(e *Env) error {
	l := e.Listen()
	c := e.Dial()
	e.Settle()
	iss := e.SynOf(harness.ClientToServer).Packet.TCP.Seq

	// In SYN-SENT, SND.UNA = ISS and SND.NXT = ISS+1: only ISS is valid.
	e.InjectRaw(harness.Client, forgedICMP(e, c, packet.PortUnreachable, 0, iss.Add(100000)))
	if st := c.State(); st != harness.SynSent {
		if e.Pairing.Client == GVisor {
			e.Deviates(GVisorICMPUnvalidated)
			return nil
		}
		e.Fatalf("the client still in SYN-SENT after a Port Unreachable quoting ISS+100000, outside SND.UNA..SND.NXT (RFC 5927 4.1)", "%s", st)
	}
	s := e.Accept(l)
	e.WaitFor("client to reach ESTABLISHED", func() bool { return c.State() == harness.Established })

	// Established: a forged Fragmentation Needed quoting a sequence number
	// a gigabyte past anything sent must change nothing.
	e.Settle()
	_, una := e.StreamEnd(harness.Client)
	mark := e.Mark()
	mtu := forgedPathMTU(e)
	e.InjectRaw(harness.Client, forgedICMP(e, c, packet.FragmentationNeeded, uint16(mtu), una.Add(1<<30)))
	e.NewTransfer(c, s, 64<<10).Run()
	largest := 0
	for _, r := range e.SentBy(mark, harness.Client) {
		largest = max(largest, r.Len)
	}
	if largest <= mtu {
		if e.Pairing.Client == GVisor {
			e.Deviates(GVisorICMPUnvalidated)
			return nil
		}
		if e.LwIPHeedsForgedPacketTooBig(harness.Client) {
			return nil
		}
		e.Fatalf(fmt.Sprintf("full-sized segments after a Fragmentation Needed (MTU %d) quoting SND.UNA+2^30 (RFC 5927 4.1: ignored)", mtu),
			"the largest packet was %d bytes", largest)
	}

	// The same message quoting the first byte in flight may be genuine,
	// and is obeyed.
	// One segment is in flight (more would all be resent: the forger's
	// lie costs a resend of what it names). The wire is drained first, so
	// that no ACK still on its way lets Nagle hold the segment back.
	e.Drain()
	_, una = e.StreamEnd(harness.Client)
	e.NoError("client Write", writeSome(c, inFlightBytes))
	e.Settle()
	e.InjectRaw(harness.Client, forgedICMP(e, c, packet.FragmentationNeeded, uint16(mtu), una))
	mark = e.Mark()
	e.ReadN(s, inFlightBytes)
	for _, r := range e.SentBy(mark, harness.Client) {
		if r.Len > mtu {
			e.Fatalf(fmt.Sprintf("no packet over %d bytes after a Fragmentation Needed (MTU %d) quoting SND.UNA, in flight", mtu, mtu),
				"#%d of %d bytes", r.Index, r.Len)
		}
	}
	return nil
}

// inFlightBytes is what icmp-forged has in flight when its in-window
// message comes: one segment, bigger than forgedPathMTU in either family.
const inFlightBytes = 1300

// writeSome writes n bytes on c without running the wire: they are queued
// or in flight when it returns.
func writeSome(c harness.Conn, n int) error {
	buf := make([]byte, n)
	for len(buf) > 0 {
		w, err := c.Write(buf)
		if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
			return err
		}
		if w == 0 {
			return nil
		}
		buf = buf[w:]
	}
	return nil
}
