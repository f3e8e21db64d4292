package harness_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// connect dials from the client to a listening server and returns both ends.
func connect(t testing.TB, n *harness.Net) (c, s harness.Conn) {
	t.Helper()
	c, s, _, err := n.Connect(80, time.Minute)
	if err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	return c, s
}

// readAll runs n until want bytes have been read from c.
func readAll(t *testing.T, n *harness.Net, c harness.Conn, want int) []byte {
	t.Helper()
	var got []byte
	buf := make([]byte, 4096)
	if err := n.RunUntil("read", 5*time.Minute, func() bool {
		k, err := c.Read(buf)
		got = append(got, buf[:k]...)
		if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
			t.Fatalf("Read: %v", err)
		}
		return len(got) >= want
	}); err != nil {
		t.Fatalf("%v (got %d of %d bytes)\n%s", err, len(got), want, n.Trace())
	}
	return got
}

func TestDropFirstSYNThenConnectOnRetransmit(t *testing.T) {
	n := newTestNet(t, harness.Config{Faults: []*harness.Rule{
		{Name: "lose the first SYN", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.FlagsInclude(packet.SYN)}, Nth: 1, Action: harness.Drop},
	}})
	c, _ := connect(t, n)
	recs := n.Trace().Records
	if recs[0].Fate != harness.Dropped || !recs[0].Packet.TCP.Flags.Has(packet.SYN) {
		t.Fatalf("first packet %v %v, want the dropped SYN", recs[0].Packet.TCP.Flags, recs[0].Fate)
	}
	// RFC 6298 2.1: the initial RTO is 1 s.
	if !recs[1].Packet.TCP.Flags.Has(packet.SYN) || recs[1].At != time.Second || recs[1].Fate != harness.Delivered {
		t.Fatalf("second packet %v at %v %v, want the SYN retransmitted at 1s", recs[1].Packet.TCP.Flags, recs[1].At, recs[1].Fate)
	}
	if c.State() != harness.Established {
		t.Fatalf("client %v", c.State())
	}
}

func TestCorruptedSegmentIsDroppedByTheReceiverAndResent(t *testing.T) {
	n := newTestNet(t, harness.Config{Faults: []*harness.Rule{
		{Name: "flip a bit", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 1, Action: harness.Corrupt},
	}})
	c, s := connect(t, n)
	msg := []byte("a message that must arrive intact")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, s, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("read %q", got)
	}
	var corrupted, intact []*harness.Record
	for _, r := range n.Trace().Records {
		if r.Dir == harness.ClientToServer && r.PayloadLen > 0 || r.Fate == harness.Corrupted {
			if r.Fate == harness.Corrupted {
				corrupted = append(corrupted, r)
			} else {
				intact = append(intact, r)
			}
		}
	}
	if len(corrupted) != 1 || len(intact) != 1 {
		t.Fatalf("%d corrupted and %d intact data segments, want 1 and 1\n%s", len(corrupted), len(intact), n.Trace())
	}
	// The corrupted copy kept its old checksum, so it fails it, and the
	// receiver counted and dropped it.
	if corrupted[0].ParseErr == nil {
		t.Fatalf("corrupted packet parses cleanly")
	}
	counters, _ := n.Server().Counters()
	if bad := counters.MalformedDropped; bad != 1 {
		t.Fatalf("server counted %d bad segments, want 1", bad)
	}
	if intact[0].At <= corrupted[0].At {
		t.Fatal("the retransmission did not come after the corrupted segment")
	}
}

func TestDuplicatesDeliverBytesOnce(t *testing.T) {
	n := newTestNet(t, harness.Config{Faults: []*harness.Rule{{Name: "twice", Action: harness.Duplicate}}})
	c, s := connect(t, n)
	msg := bytes.Repeat([]byte("dup"), 2000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, s, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes, want %d", len(got), len(msg))
	}
	if err := n.Advance(time.Second); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if k, err := s.Read(buf); !errors.Is(err, harness.ErrWouldBlock) {
		t.Fatalf("after all the data, Read = %d, %v; want ErrWouldBlock", k, err)
	}
	dups := 0
	for _, r := range n.Trace().Records {
		if r.Fate == harness.Duplicated {
			dups++
		}
	}
	if dups*2 != len(n.Trace().Records) {
		t.Fatalf("%d duplicates of %d packets, want half", dups, len(n.Trace().Records))
	}
}

func TestReorderLetsTheNextPacketOvertake(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{Faults: []*harness.Rule{{Name: "hold", Nth: 1, Action: harness.Reorder}}})
	sendN(t, client, 2, 10)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	first, second := server.Recv(), server.Recv()
	if first == nil || second == nil {
		t.Fatal("two packets did not arrive")
	}
	if first.Packet.TCP.Seq != 100001 || second.Packet.TCP.Seq != 1 {
		t.Fatalf("arrived seq %d then %d, want 100001 then 1", first.Packet.TCP.Seq, second.Packet.TCP.Seq)
	}
	// The trace lists packets in the order they entered the wire.
	if recs := n.Trace().Records; recs[0].Packet.TCP.Seq != 100001 || recs[1].Notes[0] != "hold" {
		t.Fatalf("trace order wrong:\n%s", n.Trace())
	}
}

func TestReorderReleasesALonePacketAfterItsHold(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{Faults: []*harness.Rule{{Nth: 1, Action: harness.Reorder, Delay: 7 * time.Millisecond}}})
	sendN(t, client, 1, 10)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	if server.Pending() != 1 {
		t.Fatal("held packet never released")
	}
	if r := n.Trace().Records[0]; r.At != 7*time.Millisecond || r.Arrived != 8*time.Millisecond {
		t.Fatalf("held packet sent %v arrived %v, want 7ms and 8ms", r.At, r.Arrived)
	}
}

func TestDelayAddsToTheTrip(t *testing.T) {
	n, client, _ := rawPair(t, harness.Config{Faults: []*harness.Rule{{Nth: 2, Action: harness.Delay, Delay: 10 * time.Millisecond}}})
	sendN(t, client, 3, 10)
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	var arrived []time.Duration
	for _, r := range n.Trace().Records {
		arrived = append(arrived, r.Arrived)
	}
	want := []time.Duration{time.Millisecond, 11 * time.Millisecond, time.Millisecond}
	for i := range want {
		if arrived[i] != want[i] {
			t.Fatalf("arrivals %v, want %v", arrived, want)
		}
	}
}

func TestProbabilityIsSeeded(t *testing.T) {
	drops := func(seed uint64) []int {
		n, client, _ := rawPair(t, harness.Config{Seed: seed, Faults: []*harness.Rule{{Probability: 0.3, Action: harness.Drop}}})
		sendN(t, client, 200, 0)
		var idx []int
		for _, r := range n.Trace().Records {
			if r.Fate == harness.Dropped {
				idx = append(idx, r.Index)
			}
		}
		return idx
	}
	a, b, c := drops(1), drops(1), drops(2)
	if len(a) < 40 || len(a) > 80 {
		t.Fatalf("%d of 200 dropped at p=0.3", len(a))
	}
	if !slices.Equal(a, b) {
		t.Fatal("same seed, different drops")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds, same drops")
	}
}

// TestTwoMinutesOfBackoffInMilliseconds: every SYN is lost; the client
// backs off exponentially and gives up, in virtual time, while the test
// takes milliseconds.
func TestTwoMinutesOfBackoffInMilliseconds(t *testing.T) {
	start := time.Now()
	n := newTestNet(t, harness.Config{Faults: []*harness.Rule{{Match: []harness.SegCheck{harness.FlagsInclude(packet.SYN)}, Action: harness.Drop}}})
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 80))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Quiet(time.Hour); err != nil {
		t.Fatal(err)
	}
	var at []time.Duration
	for _, r := range n.Trace().Records {
		at = append(at, r.At)
	}
	// RFC 6298 5.5: the RTO doubles on each retransmission.
	for i := 2; i < len(at); i++ {
		if at[i]-at[i-1] != 2*(at[i-1]-at[i-2]) {
			t.Fatalf("SYNs at %v: intervals do not double", at)
		}
	}
	if len(at) < 5 || n.Now() < time.Minute {
		t.Fatalf("SYNs at %v, gave up at %v", at, n.Now())
	}
	if c.State() != harness.Closed {
		t.Fatalf("client in %v after giving up", c.State())
	}
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, syscall.ETIMEDOUT) {
		t.Fatalf("Read after giving up = %v, want ETIMEDOUT", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("%v of virtual backoff took %v of real time", n.Now(), took)
	}
	t.Logf("SYNs at %v; gave up at %v of virtual time, in %v", at, n.Now(), time.Since(start))
}

// TestFaultsSurviveGarbage: rules meet packets that do not parse (a raw peer
// may send anything), and neither they nor the trace panic.
func TestFaultsSurviveGarbage(t *testing.T) {
	n, client, server := rawPair(t, harness.Config{Faults: []*harness.Rule{
		{Action: harness.Corrupt}, {Action: harness.Duplicate}, {Match: []harness.SegCheck{harness.FlagsInclude(packet.SYN)}, Action: harness.Drop},
	}})
	for _, b := range [][]byte{nil, {0x45}, {0x4f, 0, 0, 1}, make([]byte, 40)} {
		client.SendBytes(b)
	}
	if err := n.Drain(time.Second); err != nil {
		t.Fatal(err)
	}
	if server.Pending() != 8 {
		t.Fatalf("server got %d packets, want the 4 and their copies", server.Pending())
	}
	if tr := n.Trace().String(); strings.Count(tr, "malformed") != 8 {
		t.Fatalf("trace does not call them malformed:\n%s", tr)
	}
}

// TestRelSeqPicksASegmentByItsPlaceInTheStream: a rule on relative
// sequence numbers leaves the first data segment (seq 1) alone and takes
// the next one.
func TestRelSeqPicksASegmentByItsPlaceInTheStream(t *testing.T) {
	n := newTestNet(t, harness.Config{})
	c, s := connect(t, n)
	// Data starts at relative 1; lose the first segment that starts later.
	n.AddRule(&harness.Rule{Name: "second segment", Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData(), harness.SeqBetween(2, 1<<20)}, Times: 1, Action: harness.Drop})
	msg := bytes.Repeat([]byte("x"), 8000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, s, len(msg)); !bytes.Equal(got, msg) {
		t.Fatal("data differs")
	}
	var dropped []*harness.Record
	for _, r := range n.Trace().Records {
		if r.Fate == harness.Dropped {
			dropped = append(dropped, r)
		}
	}
	if len(dropped) != 1 || dropped[0].RelSeq < 2 || dropped[0].PayloadLen == 0 {
		t.Fatalf("dropped %d packets; want one data segment past the first\n%s", len(dropped), n.Trace())
	}
	first := n.Trace().Records[3]
	if first.RelSeq != 1 || first.Fate != harness.Delivered {
		t.Fatalf("the first data segment (seq 1) should pass: %+v", first)
	}
}

// TestTwoCorruptRulesFlipOneBit: a packet two Corrupt rules match still
// fails its checksum. Two flipped bits could cancel out in the ones'-
// complement sum and let corrupted data through, so a packet is corrupted
// at most once.
func TestTwoCorruptRulesFlipOneBit(t *testing.T) {
	var rules []*harness.Rule
	for i := 0; i < 8; i++ {
		rules = append(rules, &harness.Rule{Name: fmt.Sprintf("flip %d", i), Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.HasData()}, Nth: 1, Action: harness.Corrupt})
	}
	n := newTestNet(t, harness.Config{Faults: rules})
	c, s := connect(t, n)
	msg := []byte("a message that must arrive intact")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, n, s, len(msg)); !bytes.Equal(got, msg) {
		t.Fatalf("read %q", got)
	}
	for _, r := range n.Trace().Records {
		if r.Fate == harness.Corrupted && r.ParseErr == nil {
			t.Fatalf("packet #%d matched %d Corrupt rules and parses cleanly: %v", r.Index, len(r.Notes), r.Notes)
		}
	}
}

// Skip lets the first matching packets through: with every SYN-ACK lost,
// "drop every SYN after the first" delivers the first SYN and loses its
// retransmission.
func TestSkipLetsTheFirstMatchesThrough(t *testing.T) {
	n := newTestNet(t, harness.Config{Faults: []*harness.Rule{
		{Dirs: harness.OnlyServerToClient, Match: []harness.SegCheck{harness.Flags(packet.SYN | packet.ACK)}, Action: harness.Drop},
		{Dirs: harness.OnlyClientToServer, Match: []harness.SegCheck{harness.Flags(packet.SYN)}, Skip: 1, Action: harness.Drop},
	}})
	if _, err := n.Server().Listen(80); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 80)); err != nil {
		t.Fatal(err)
	}
	if err := n.Advance(1500 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	var syns []*harness.Record
	for _, r := range n.Trace().Records {
		if r.Packet.TCP.Flags == packet.SYN {
			syns = append(syns, r)
		}
	}
	if len(syns) != 2 || syns[0].Fate != harness.Delivered || syns[1].Fate != harness.Dropped {
		t.Fatalf("want the first SYN delivered and its retransmission dropped, got:\n%s", n.Trace())
	}
	if want := "drop flags=[S]"; len(syns[1].Notes) != 1 || syns[1].Notes[0] != want {
		t.Errorf("dropped SYN's notes %q, want the unnamed rule labelled %q", syns[1].Notes, want)
	}
}
