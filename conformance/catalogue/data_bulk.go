package catalogue

import (
	"fmt"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// bulkSize is the catalogue's bulk transfer: 16 MiB one way.
const bulkSize = 16 << 20

// bulk-transfer: 16 MiB (bulkSize) go client to server. Expected: every
// data segment fits the server's MSS (RFC 9293 3.7.1), the server's ACKs
// are cumulative and never go backwards, and the digest of what the server
// read equals the client's.
var bulkTransfer = Scenario{
	Name:    "bulk-transfer",
	Section: "data",
	Summary: "16 MiB client to server: segments fit the MSS, ACKs never go backwards, digest matches",
	RFCs:    []string{"RFC 9293 3.7.1", "RFC 9293 3.4"},
	Run:     runBulkTransfer,
}

func runBulkTransfer(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.NewTransfer(c, s, bulkSize).Run()

	// The last ACK may be a delayed one (at most 0.5 s, RFC 9293 3.8.6.3).
	e.Advance(DelayedACKWait)
	e.ExpectSegmentsFitMSS(mark, harness.ClientToServer)
	e.ExpectCumulativeAcks(mark, harness.ServerToClient, nil)
	expectAllAcked(e, mark, harness.ClientToServer, bulkSize)

	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// expectAllAcked checks that the last acknowledgment sent back against dir
// covers all n bytes the sender in dir sent after the handshake.
func expectAllAcked(e *Env, mark int, dir harness.Dir, n int) {
	recs := e.Since(mark)
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Dir == dir || !IsIntact(r) || !r.Packet.TCP.Flags.Has(ACK) {
			continue
		}
		if r.RelAck != uint32(n)+1 {
			e.Fatalf(fmt.Sprintf("the last ACK %s to acknowledge all %d bytes: ack=%d", 1-dir, n, n+1),
				"#%d ack=%d", r.Index, r.RelAck)
		}
		return
	}
	e.Fail(fmt.Sprintf("an ACK %s", 1-dir), "none")
}

// bothWaysSize is each direction's share of bulk-transfer-both-ways.
const bothWaysSize = 4 << 20

// bulk-transfer-both-ways: 4 MiB (bothWaysSize) go each way at once, so
// data segments carry the ACKs of the other direction. Expected: in each
// direction segments fit the receiver's MSS, ACKs never go backwards and
// everything is acknowledged, and both digests match.
var bulkTransferBothWays = Scenario{
	Name:    "bulk-transfer-both-ways",
	Section: "data",
	Summary: "4 MiB each way at once: data segments carry the ACKs, both digests match",
	RFCs:    []string{"RFC 9293 3.7.1", "RFC 9293 3.4"},
	Run:     runBulkTransferBothWays,
}

func runBulkTransferBothWays(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	up, down := e.NewTransfer(c, s, bothWaysSize), e.NewTransfer(s, c, bothWaysSize)
	e.WaitFor(fmt.Sprintf("both ends to read the %d bytes the other wrote", bothWaysSize), func() bool {
		upDone, downDone := up.Pump(), down.Pump()
		return upDone && downDone
	})
	up.Check()
	down.Check()
	e.Advance(DelayedACKWait)
	for _, dir := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		e.ExpectSegmentsFitMSS(mark, dir)
		e.ExpectCumulativeAcks(mark, dir, nil)
		expectAllAcked(e, mark, dir, bothWaysSize)
	}
	// Piggybacking happened: some data segment acknowledged new data from
	// the other direction.
	piggy := 0
	for _, dir := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		var last uint32
		for _, r := range DataRecords(e.Since(mark), dir) {
			if r.RelAck > last {
				piggy++
				last = r.RelAck
			}
		}
	}
	if piggy == 0 {
		e.Fail("data segments to carry ACKs of the other direction's data", "none acknowledged anything new")
	}
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}

// smallMTU is the smallest datagram every host of family f must take: 576
// bytes for IPv4 (RFC 1122 3.3.3), 1280 for IPv6 (RFC 8200 5); and
// smallMSS the MSS it gives, less the fixed IP and TCP headers (RFC 9293
// 3.7.1): 536 and 1220.
func smallMTU(f Family) int {
	if f == IPv6 {
		return 1280
	}
	return 576
}

func smallMSSOf(f Family) int {
	if f == IPv6 {
		return smallMTU(f) - 60
	}
	return smallMTU(f) - 40
}

// small-mss: 1 MiB goes client to server over the family's smallest MTU
// (smallMTU). Expected: both SYNs offer that MTU less the fixed headers
// (536, or 1220 over IPv6: RFC 9293 3.7.1), every data segment with its
// options fits it, no packet exceeds the MTU, and the digest matches.
var smallMSS = Scenario{
	Name:    "small-mss",
	Section: "data",
	Summary: "1 MiB over the smallest MTU (576, IPv6 1280): SYNs offer 536 (1220), segments fit",
	RFCs:    []string{"RFC 9293 3.7.1", "RFC 1122 3.3.3", "RFC 8200 5"},
	Setup: func(s *Setup) {
		s.Net.MTU = smallMTU(IPv4)
		if s.Net.ClientAddr.Is6() {
			s.Net.MTU = smallMTU(IPv6)
		}
	},
	Run: runSmallMSS,
}

func runSmallMSS(e *Env) error {
	c, s := e.Connect()
	mtu, mss := smallMTU(e.Pairing.Family), smallMSSOf(e.Pairing.Family)
	for _, dir := range []harness.Dir{harness.ClientToServer, harness.ServerToClient} {
		syn := e.SynOf(dir)
		if syn == nil {
			e.Fail(fmt.Sprintf("a %s SYN", dir), "none")
		}
		if o := syn.Packet.TCP.Options; !o.HasMSS || int(o.MSS) != mss {
			e.Fatalf(fmt.Sprintf("the %s SYN to offer MSS %d", dir, mss), "MSS option present %v, %d (is the MTU %d? tcpbed run's --mtu overrides the scenario's)", o.HasMSS, o.MSS, mtu)
		}
	}
	mark := e.Mark()
	e.NewTransfer(c, s, 1<<20).Run()
	e.Advance(DelayedACKWait)
	largest := e.ExpectSegmentsFitMSS(mark, harness.ClientToServer)
	for _, r := range e.Since(0) {
		if r.Len > mtu || r.Fate == harness.TooBig {
			e.Fatalf(fmt.Sprintf("no packet longer than the %d-byte MTU", mtu), "#%d is %d bytes", r.Index, r.Len)
		}
	}
	e.ExpectCumulativeAcks(mark, harness.ServerToClient, nil)
	expectAllAcked(e, mark, harness.ClientToServer, 1<<20)
	e.Observe("largest data segment %d bytes", largest)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
