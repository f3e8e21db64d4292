package bench

import (
	"fmt"
	"net/netip"
	"runtime"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// dialBatch is how many connections IdleHeap opens at a time: fewer than
// either stack's accept queue (128) holds.
const dialBatch = 64

// IdleHeap opens count connections between two peers of kind and leaves
// them established and idle (no byte sent either way, so neither end holds
// any buffered data). It returns the growth of the live heap, GC'd, per
// connection end: (heap after - heap before) / (2*count).
//
// What is counted beside the stack's own memory: the harness's record of
// each end's state (a map entry per end), the benchmark's handle on each
// end, and for gVisor the harness's list of endpoints whose state it
// reports. The harness's packet trace is not counted: it is emptied before
// the heap is measured.
func IdleHeap(kind string, count int) (perEnd float64, err error) {
	p := Pairing{Client: kind, Server: kind}
	n, err := harness.NewNet(NetConfig(p, harness.DefaultMTU, harness.DefaultLink, StackOptions{}))
	if err != nil {
		return 0, err
	}
	defer n.Close()
	l, err := n.Server().Listen(benchPort)
	if err != nil {
		return 0, err
	}
	if err := n.Settle(); err != nil {
		return 0, err
	}
	raddr := netip.AddrPortFrom(n.Addr(harness.Server), benchPort)
	conns := make([]harness.Conn, 0, 2*count)
	before := liveHeap()
	for len(conns) < 2*count {
		batch := min(dialBatch, count-len(conns)/2)
		for range batch {
			c, err := n.Client().Dial(raddr)
			if err != nil {
				return 0, fmt.Errorf("dial %d: %w", len(conns)/2, err)
			}
			conns = append(conns, c)
		}
		accepted := 0
		if err := n.RunUntil("accept", time.Minute, func() bool {
			for accepted < batch {
				s, err := l.Accept()
				if err != nil {
					break
				}
				conns = append(conns, s)
				accepted++
			}
			return accepted == batch
		}); err != nil {
			return 0, fmt.Errorf("accepting after %d connections: %w", len(conns)/2, err)
		}
	}
	// Let the last ACKs land; nothing is left on the wire.
	if err := n.Drain(time.Minute); err != nil {
		return 0, err
	}
	for i, c := range conns {
		if st := c.State(); st != harness.Established {
			return 0, fmt.Errorf("connection end %d is %v, not ESTABLISHED", i, st)
		}
	}
	tr := n.Trace()
	tr.Records, tr.Changes = nil, nil
	after := liveHeap()
	runtime.KeepAlive(conns)
	return float64(int64(after)-int64(before)) / float64(2*count), nil
}

// liveHeap is the bytes of live heap objects after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
