package linux

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Linux's first SYN is lost. Its retransmission timer (1 s, RFC 6298 2.1)
// runs on real time; the peer mirrors it onto the virtual clock, so the
// Net advances to it, the peer waits for the kernel to fire it, and the
// retransmitted SYN crosses the wire about 1 s of virtual time after the
// first. Real time spent: about 1 s, Linux's own timer.
func TestMirroredSYNRetransmission(t *testing.T) {
	n := newNet(t, harness.Config{
		Seed:   1,
		Client: NewPeer(Config{}),
		Server: harness.GVisor(harness.GVisorOptions{}),
		Faults: []*harness.Rule{{
			Name: "lose the first SYN", Dirs: harness.OnlyClientToServer,
			Match: harness.FlagsAre(wire.FlagSYN), Times: 1, Action: harness.Drop,
		}},
	})
	l, err := n.Server().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 80)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := n.RunUntil("accept", 10*time.Second, func() bool {
		_, err := l.Accept()
		return err == nil
	}); err != nil {
		t.Fatalf("%v\n%s", err, n.Trace())
	}
	var syns []*harness.Record
	for _, r := range n.Trace().Records {
		if r.Seg().Flags == wire.FlagSYN {
			syns = append(syns, r)
		}
	}
	if len(syns) != 2 || syns[0].Fate != harness.Dropped {
		t.Fatalf("want a dropped SYN and its retransmission\n%s", n.Trace())
	}
	// Linux's timer is 1 s in jiffies; sock_diag reports it in whole
	// milliseconds, and the poll that reads it comes within the same
	// millisecond as the SYN, so the mirror is 1 s to the millisecond.
	if gap := syns[1].At - syns[0].At; gap < 999*time.Millisecond || gap > 1001*time.Millisecond {
		t.Errorf("SYN retransmitted %v of virtual time after the first, want 1 s (RFC 6298 2.1)\n%s", gap, n.Trace())
	}
	t.Logf("virtual gap %v, real time %v", syns[1].At-syns[0].At, time.Since(start))
}

// Linux's first data segment is lost; its RTO (200 ms at least, Linux's
// minimum) brings it back, on the virtual clock at the kernel's distance.
func TestMirroredDataRetransmission(t *testing.T) {
	n := newNet(t, harness.Config{
		Seed:   1,
		Client: NewPeer(Config{}),
		Server: harness.GVisor(harness.GVisorOptions{}),
		Faults: []*harness.Rule{{
			Name: "lose the first data segment", Dirs: harness.OnlyClientToServer,
			Match: harness.WithPayload(), Times: 1, Action: harness.Drop,
		}},
	})
	l, err := n.Server().Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	c, err := n.Client().Dial(netip.AddrPortFrom(n.Addr(harness.Server), 80))
	if err != nil {
		t.Fatal(err)
	}
	var s harness.Conn
	if err := n.RunUntil("accept", time.Second, func() bool {
		s, err = l.Accept()
		return err == nil
	}); err != nil {
		t.Fatal(err)
	}
	echo(t, n, c, s, "lost once")
	var data []*harness.Record
	for _, r := range n.Trace().Records {
		if r.PayloadLen > 0 {
			data = append(data, r)
		}
	}
	if len(data) != 2 || data[0].Fate != harness.Dropped || data[1].Seg().Seq != data[0].Seg().Seq {
		t.Fatalf("want a dropped data segment and its retransmission\n%s", n.Trace())
	}
	if gap := data[1].At - data[0].At; gap < 200*time.Millisecond || gap > 1500*time.Millisecond {
		t.Errorf("retransmitted %v of virtual time later, want Linux's RTO (200 ms to 1 s)\n%s", gap, n.Trace())
	}
	t.Logf("virtual gap %v", data[1].At-data[0].At)
}
