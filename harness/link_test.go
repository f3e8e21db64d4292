package harness_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// rawPair is two raw peers: a wire with nothing but the link model between.
func rawPair(t *testing.T, cfg harness.Config) (*harness.Net, *harness.Raw, *harness.Raw) {
	cfg.Client, cfg.Server = harness.RawPeer(), harness.RawPeer()
	n := newTestNet(t, cfg)
	return n, harness.RawOf(n, harness.Client), harness.RawOf(n, harness.Server)
}

func sendN(t *testing.T, from *harness.Raw, count, payload int) {
	t.Helper()
	for i := range count {
		seg := packet.Segment{SrcPort: 1000, DstPort: 2000, Seq: seqnum.Value(1 + 100000*i), Flags: packet.ACK, Window: 1000,
			Payload: make([]byte, payload)}
		if err := from.SendSegment(seg); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLinkDelayAndSerialization(t *testing.T) {
	// 1460 bytes of payload + 40 of headers = 1500 bytes = 12000 bits, which
	// take 12 ms at 1 Mbit/s; then 5 ms of propagation.
	link := harness.LinkConfig{Delay: 5 * time.Millisecond, Bandwidth: 1_000_000}
	n, client, server := rawPair(t, harness.Config{Link: [2]harness.LinkConfig{link, link}})
	sendN(t, client, 3, 1460)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	if server.Pending() != 3 {
		t.Fatalf("server got %d packets, want 3", server.Pending())
	}
	for i, r := range n.Trace().Records {
		want := time.Duration(i+1)*12*time.Millisecond + 5*time.Millisecond
		if r.At != 0 || r.Arrived != want || r.Fate != harness.Delivered {
			t.Errorf("packet %d: sent %v, arrived %v, %v; want sent 0, arrived %v, delivered", i, r.At, r.Arrived, r.Fate, want)
		}
	}
}

func TestLinkQueueLimitDropsAtTheTail(t *testing.T) {
	link := harness.LinkConfig{Delay: time.Millisecond, Bandwidth: 1_000_000, QueueLimit: 3}
	n, client, server := rawPair(t, harness.Config{Link: [2]harness.LinkConfig{link, link}})
	sendN(t, client, 5, 1460)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	var fates []harness.Fate
	for _, r := range n.Trace().Records {
		fates = append(fates, r.Fate)
	}
	want := []harness.Fate{harness.Delivered, harness.Delivered, harness.Delivered, harness.QueueDropped, harness.QueueDropped}
	if len(fates) != len(want) {
		t.Fatalf("fates %v, want %v", fates, want)
	}
	for i := range want {
		if fates[i] != want[i] {
			t.Fatalf("fates %v, want %v", fates, want)
		}
	}
	if server.Pending() != 3 {
		t.Fatalf("server got %d, want 3", server.Pending())
	}
	if tr := n.Trace().String(); !contains(tr, "QUEUE-DROP") {
		t.Fatalf("trace does not mark the tail drop:\n%s", tr)
	}
	// Once the queue has drained, the line takes packets again.
	if err := n.Advance(100 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	sendN(t, client, 1, 100)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	if last := n.Trace().Records[5]; last.Fate != harness.Delivered {
		t.Fatalf("packet after the queue drained: %v", last.Fate)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// TestLinkDropsWhatExceedsTheMTU: the wire carries no packet longer than
// its MTU.
func TestLinkDropsWhatExceedsTheMTU(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{MTU: 576})
	sendN(t, client, 1, 536) // 576 bytes: fits
	sendN(t, client, 1, 537) // 577 bytes: does not
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	recs := n.Trace().Records
	if server.Pending() != 1 || recs[0].Fate != harness.Delivered || !recs[0].Reached || recs[1].Fate != harness.TooBig || recs[1].Reached {
		t.Fatalf("server got %d; fates %v %v", server.Pending(), recs[0].Fate, recs[1].Fate)
	}
}

func TestLinkJitterVariesDelayWithoutReordering(t *testing.T) {
	link := harness.LinkConfig{Delay: 50 * time.Millisecond, Jitter: 30 * time.Millisecond}
	arrivals := func(seed uint64) []time.Duration {
		n, client, _ := rawPair(t, harness.Config{Seed: seed, Link: [2]harness.LinkConfig{link, link}})
		sendN(t, client, 50, 100)
		if err := n.Drain(time.Second); err != nil {
			t.Fatal(err)
		}
		var at []time.Duration
		for _, r := range n.Trace().Records {
			at = append(at, r.Arrived-r.At)
		}
		return at
	}
	got := arrivals(1)
	distinct := map[time.Duration]bool{}
	for i, d := range got {
		if d < link.Delay || d > link.Delay+link.Jitter {
			t.Fatalf("packet %d took %v, outside %v + [0, %v]", i, d, link.Delay, link.Jitter)
		}
		if i > 0 && d < got[i-1] {
			t.Fatalf("packet %d took %v after packet %d took %v: sent together, it overtook", i, d, i-1, got[i-1])
		}
		distinct[d] = true
	}
	if len(distinct) < 2 {
		t.Fatalf("every packet took %v: no jitter", got[0])
	}
	if again := arrivals(1); !slices.Equal(again, got) {
		t.Fatal("the same seed drew other delays")
	}
}

// TestRouterAnswersOrFragmentsWhatExceedsThePathMTU: past Config.PathMTU a
// datagram with Don't Fragment is dropped and answered with ICMP
// Fragmentation Needed naming the path MTU (RFC 1191 4); one without is
// cut into fragments that fit (RFC 791 3.2).
func TestRouterAnswersOrFragmentsWhatExceedsThePathMTU(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{PathMTU: 576})
	big := packet.Segment{SrcPort: 1000, DstPort: 2000, Seq: 1, Flags: packet.ACK, Window: 1000, Payload: make([]byte, 1000)}
	if err := client.Send(packet.Packet{IP: packet.IP{DontFragment: true}, TCP: big}, packet.Illegal{}); err != nil {
		t.Fatal(err)
	}
	if err := client.Send(packet.Packet{TCP: big}, packet.Illegal{}); err != nil {
		t.Fatal(err)
	}
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	recs := n.Trace().Records
	var fates []harness.Fate
	for _, r := range recs {
		fates = append(fates, r.Fate)
	}
	// The DF packet, the router's ICMP error, the other packet, its two fragments.
	want := []harness.Fate{harness.TooBig, harness.Delivered, harness.Fragmented, harness.Delivered, harness.Delivered}
	if !slices.Equal(fates, want) {
		t.Fatalf("fates %v, want %v\n%s", fates, want, n.Trace())
	}
	icmp := recs[1]
	if icmp.ICMP == nil || icmp.Dir != harness.ServerToClient || icmp.ICMP.MTU != 576 || icmp.Packet.IP.Src != harness.DefaultRouterAddr || icmp.ICMP.Quoted.TCP.Seq != 1 {
		t.Fatalf("the router's answer: %+v from %v\n%s", icmp.ICMP, icmp.Packet.IP.Src, n.Trace())
	}
	if client.Pending() != 1 || server.Pending() != 2 {
		t.Fatalf("client got %d packets (want the ICMP error), server %d (want 2 fragments)", client.Pending(), server.Pending())
	}
	for _, r := range recs[3:] {
		if r.Len > 576 {
			t.Fatalf("fragment #%d of %d bytes past a 576-byte path", r.Index, r.Len)
		}
	}
	if tr := n.Trace().String(); !contains(tr, "need to frag (mtu 576)") {
		t.Fatalf("the trace does not name the ICMP error:\n%s", tr)
	}
}

// TestUnreachableRuleAnswersWithICMP: an Unreachable rule drops the packet
// and its sender gets the ICMP error quoting it, from the destination for
// a port unreachable (RFC 1122 3.2.2.1), with the trace naming the packet
// it is about. The error is built from the packet before the wire gives a
// dropped packet's buffer back.
func TestUnreachableRuleAnswersWithICMP(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{})
	n.AddRule(&harness.Rule{Dirs: harness.OnlyClientToServer, Action: harness.Unreachable, Code: packet.PortUnreachable})
	if err := client.SendSegment(packet.Segment{SrcPort: 1000, DstPort: 2000, Seq: 7, Flags: packet.SYN, Window: 1000}); err != nil {
		t.Fatal(err)
	}
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	recs := n.Trace().Records
	if len(recs) != 2 || recs[0].Fate != harness.Dropped {
		t.Fatalf("want the SYN dropped and one ICMP error\n%s", n.Trace())
	}
	icmp := recs[1]
	if icmp.ICMP == nil || !icmp.Reached || icmp.Dir != harness.ServerToClient || icmp.Packet.IP.Src != harness.DefaultServerAddr || icmp.ICMP.Quoted.TCP.Seq != 7 {
		t.Fatalf("the answer: %+v from %v, reached %v\n%s", icmp.ICMP, icmp.Packet.IP.Src, icmp.Reached, n.Trace())
	}
	if !slices.Contains(icmp.Notes, "sent by the destination about #"+strconv.Itoa(recs[0].Index)) {
		t.Errorf("notes %q do not name #%d", icmp.Notes, recs[0].Index)
	}
	if client.Pending() != 1 || server.Pending() != 0 {
		t.Fatalf("client got %d packets (want the ICMP error), server %d (want none)", client.Pending(), server.Pending())
	}
}
