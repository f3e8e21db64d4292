package ourstack

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// testLink is the tests' wire: Send queues a copy of each packet; pump (or,
// once run is called, a goroutine) delivers them in order to the stack that
// owns the destination address. Every packet is also recorded, parsed, for
// the tests to read.
type testLink struct {
	t          testing.TB
	mu         sync.Mutex
	cond       *sync.Cond
	queue      [][]byte
	delivering bool
	stopped    bool
	stacks     map[netip.Addr]*Stack
	sent       []wire.Packet
	all        [][]byte // every packet sent, in order, never taken
	// drop, if set, is asked about each packet before it is queued.
	drop func(p wire.Packet) bool
}

func newTestLink(t testing.TB) *testLink {
	l := &testLink{t: t, stacks: make(map[netip.Addr]*Stack)}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *testLink) send(pkt []byte) {
	cp := append([]byte(nil), pkt...)
	p, err := wire.Parse(cp)
	if err != nil {
		l.t.Errorf("stack sent a packet that does not parse: %v", err)
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sent = append(l.sent, p)
	l.all = append(l.all, cp)
	if l.drop != nil && l.drop(p) {
		return
	}
	l.queue = append(l.queue, cp)
	l.cond.Broadcast()
}

// take returns (and forgets) the packets sent since the last take.
func (l *testLink) take() []wire.Packet {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.sent
	l.sent = nil
	return s
}

// discard empties the queue without delivering anything.
func (l *testLink) discard() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queue = nil
}

// deliverOne delivers the oldest queued packet; false if there was none.
func (l *testLink) deliverOne() bool {
	l.mu.Lock()
	if len(l.queue) == 0 {
		l.mu.Unlock()
		return false
	}
	pkt := l.queue[0]
	l.queue = l.queue[1:]
	l.delivering = true
	l.mu.Unlock()
	dst := netip.AddrFrom4([4]byte(pkt[16:20]))
	if s := l.stacks[dst]; s != nil {
		s.DeliverPacket(pkt)
	}
	l.mu.Lock()
	l.delivering = false
	l.cond.Broadcast()
	l.mu.Unlock()
	return true
}

// pump delivers until nothing is in flight.
func (l *testLink) pump() {
	for l.deliverOne() {
	}
}

// run delivers from a goroutine from now on, for tests that block in Dial,
// Accept, Read or Write; settle waits for the wire to go quiet. The
// goroutine ends at the test's end or when the returned stop is called.
func (l *testLink) run() (stop func()) {
	go func() {
		l.mu.Lock()
		for {
			for len(l.queue) == 0 && !l.stopped {
				l.cond.Wait()
			}
			if l.stopped {
				l.mu.Unlock()
				return
			}
			l.mu.Unlock()
			l.deliverOne()
			l.mu.Lock()
		}
	}()
	stop = func() {
		l.mu.Lock()
		l.stopped = true
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	l.t.Cleanup(stop)
	return stop
}

func (l *testLink) settle() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for len(l.queue) > 0 || l.delivering {
		l.cond.Wait()
	}
}
