package linux

import (
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// Linux's first two SYNs are lost. Its retransmission timer (1 s, RFC 6298
// 2.1) runs on real time; the peer mirrors it onto the virtual clock, so the
// Net advances to it, the peer waits for the kernel to fire it, and each
// retransmitted SYN crosses the wire 1 s of virtual time after the one
// before. 1 s and 1 s, not 1 s and 2 s: Linux backs off linearly for its
// first SYN retransmissions (net.ipv4.tcp_syn_linear_timeouts, 4 by default
// since Linux 6.5), where RFC 6298 5.5 doubles. Real time spent: about 2 s,
// Linux's own timers.
func TestMirroredSYNRetransmission(t *testing.T) {
	n := newNet(t, harness.Config{
		Seed:   1,
		Client: NewPeer(Config{}),
		Server: gvisor.NewPeer(gvisor.Options{}),
		Faults: []*harness.Rule{{
			Name: "lose two SYNs", Dirs: harness.OnlyClientToServer,
			Match: []harness.SegCheck{harness.Flags(packet.SYN)}, Times: 2, Action: harness.Drop,
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
		if r.Seg().Flags == packet.SYN {
			syns = append(syns, r)
		}
	}
	if len(syns) != 3 || syns[0].Fate != harness.Dropped || syns[1].Fate != harness.Dropped {
		t.Fatalf("want two dropped SYNs and a third\n%s", n.Trace())
	}
	// Linux's timer is 1 s in jiffies. sock_diag reports what is left of
	// it in whole jiffies, read right after the SYN went out: 1 s, or one
	// jiffy less when the read falls in the next jiffy (4 ms at HZ=250,
	// 10 ms at HZ=100).
	for i := 1; i < len(syns); i++ {
		if gap := syns[i].At - syns[i-1].At; gap < 990*time.Millisecond || gap > 1001*time.Millisecond {
			t.Errorf("SYN %d went %v of virtual time after the one before, want 1 s\n%s", i+1, gap, n.Trace())
		}
	}
	t.Logf("virtual %v, real %v", syns[2].At-syns[0].At, time.Since(start))
}

// Linux's first data segment is lost; its RTO (200 ms at least, Linux's
// minimum) brings it back, on the virtual clock at the kernel's distance.
func TestMirroredDataRetransmission(t *testing.T) {
	n := newNet(t, harness.Config{
		Seed:   1,
		Client: NewPeer(Config{}),
		Server: gvisor.NewPeer(gvisor.Options{}),
		Faults: []*harness.Rule{{
			Name: "lose the first data segment", Dirs: harness.OnlyClientToServer,
			Match: []harness.SegCheck{harness.HasData()}, Times: 1, Action: harness.Drop,
		}},
	})
	c, s, _, err := n.Connect(80, time.Second)
	if err != nil {
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

// TIME-WAIT's timer (Linux's fixed 60 s) is mirrored onto the virtual
// clock only when Config.MirrorTimeWait asks for it.
func TestTimeWaitMirroredOnlyWhenAsked(t *testing.T) {
	h := openHost(t, Config{})
	c, e := establish(t, h, 8093)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	e.expectSegment(t, h, packet.ACK|packet.FIN)
	e.sendData(t, h, nil, true)
	e.expectSegment(t, h, packet.ACK)
	s, found, err := h.diag.lookup(c.ID())
	if err != nil || !found || s.Timer != diagTimerTimeWait {
		t.Fatalf("lookup: %+v, found %v, %v; want a TIME-WAIT timer", s, found, err)
	}
	for _, ask := range []bool{false, true} {
		clock := harness.NewClock()
		var k kernelTimers
		k.init(clock, time.Millisecond, ask)
		k.observe(c.ID(), s, true, time.Now())
		at, pending := clock.NextDeadline()
		switch {
		case ask && (!pending || at < 59*time.Second || at > 60*time.Second):
			t.Errorf("MirrorTimeWait: mirror at %v (pending %v), want about 60 s", at, pending)
		case !ask && pending:
			t.Errorf("without MirrorTimeWait: a mirror at %v", at)
		}
		k.stopAll()
	}
}

// A timer the kernel re-arms a few real milliseconds after arming it is
// mirrored anew from the virtual now, though its real deadline barely moved:
// an orphaned FIN-WAIT-2 (Linux holds it as a timewait socket with a 60 s
// timer) that receives the peer's FIN 1 s later in virtual time enters
// TIME-WAIT with a fresh 60 s, so its mirror moves from 60 s to 61 s.
func TestReArmedTimerMirroredFromNow(t *testing.T) {
	h := openHost(t, Config{})
	c, e := establish(t, h, 8096)
	id := c.ID()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	e.expectSegment(t, h, packet.ACK|packet.FIN)
	e.ack(t, h)
	clock := harness.NewClock()
	var k kernelTimers
	k.init(clock, time.Millisecond, true)
	observe := func() diagSocket {
		s, found, err := h.diag.lookup(id)
		if err != nil || !found {
			t.Fatalf("lookup: found %v, %v", found, err)
		}
		k.observe(id, s, true, time.Now())
		return s
	}
	if s := observe(); s.State != linuxFinWait2 || s.Timer != diagTimerTimeWait {
		t.Fatalf("orphaned FIN-WAIT-2: state %d timer %d", s.State, s.Timer)
	}
	clock.AdvanceTo(time.Second)
	e.sendData(t, h, nil, true)
	e.expectSegment(t, h, packet.ACK)
	if s := observe(); s.State != linuxTimeWait {
		t.Fatalf("after our FIN: state %d, want TIME-WAIT", s.State)
	}
	if at, ok := clock.NextDeadline(); !ok || at < 60*time.Second+990*time.Millisecond || at > 61*time.Second {
		t.Errorf("TIME-WAIT mirrored at %v (pending %v), want 61 s: 60 s from the FIN at 1 s", at, ok)
	}
	k.stopAll()
}

// TestMirrorCountsFromTheEvent: a timer the kernel armed for an event is
// mirrored as far from that event's virtual instant as the kernel's
// deadline is from the event in real time, however late the poll reads
// it. A poll 300 ms late on a loaded machine reads 700 ms to go on a 1 s
// timer; the mirror still fires 1 s after the event, where counting from
// the poll put it at 700 ms and a retransmission Linux sent 1 s after the
// last was recorded 300 ms early. Pure bookkeeping: no kernel is needed.
func TestMirrorCountsFromTheEvent(t *testing.T) {
	clock := harness.NewClock()
	clock.AdvanceTo(5 * time.Second)
	var k kernelTimers
	k.init(clock, 0, false)
	k.event()
	polledAt := k.anchor.Add(300 * time.Millisecond)
	id := harness.FourTuple{LocalPort: 40000, RemotePort: 80}
	k.observe(id, diagSocket{ID: id, Timer: diagTimerRetrans, Expires: 700 * time.Millisecond}, true, polledAt)
	if at, ok := clock.NextDeadline(); !ok || at != 6*time.Second {
		t.Fatalf("mirror at %v (armed %v), want 6s: 1 s after the event at 5s", at, ok)
	}

	// Once virtual time has moved on with no event on Linux, the kernel
	// armed the timer on its own: it counts from the poll.
	clock.AdvanceTo(5500 * time.Millisecond)
	other := harness.FourTuple{LocalPort: 40001, RemotePort: 80}
	k.observe(other, diagSocket{ID: other, Timer: diagTimerRetrans, Expires: 700 * time.Millisecond}, true, polledAt)
	if m := k.mirrors[other]; m == nil {
		t.Fatal("no mirror for a timer armed without an event")
	}
	clock.AdvanceTo(6100 * time.Millisecond) // the first mirror fires
	if at, ok := clock.NextDeadline(); !ok || at != 6200*time.Millisecond {
		t.Fatalf("mirror at %v (armed %v), want 6.2s: 700 ms after the poll at 5.5s", at, ok)
	}
}
