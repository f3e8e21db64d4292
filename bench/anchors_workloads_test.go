package bench

import (
	"net"
	"runtime"
	"testing"
	"time"
)

// The anchors run the workloads, small, and leave no goroutine behind.

func TestAnchorsRunTheWorkloads(t *testing.T) {
	before := runtime.NumGoroutine()
	const size = 3<<20 + 5 // not a multiple of the pattern or any segment
	for _, mtu := range bulkMTUs {
		n, err := NewRawGVisorNet(mtu, 0)
		if err != nil {
			t.Fatal(err)
		}
		l, err := n.Listen()
		if err != nil {
			t.Fatal(err)
		}
		anchorBulk(t, "gvisor-raw", l, n.Dial, size)
		l.Close()
		n.Close()
	}
	n, err := NewRawGVisorNet(1500, ConnRateMSL)
	if err != nil {
		t.Fatal(err)
	}
	l, err := n.Listen()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := StreamConnRate(l, n.Dial, 50); err != nil {
		t.Errorf("gvisor-raw connection rate: %v", err)
	}
	l.Close()
	n.Close()

	if lo, err := NewLinuxLoopbackNet(); err != nil {
		t.Logf("linux-loopback not run: %v", err)
	} else {
		anchorBulk(t, "linux-loopback", lo.L, lo.Dial, size)
		if _, err := StreamConnRate(lo.L, lo.Dial, 50); err != nil {
			t.Errorf("linux-loopback connection rate: %v", err)
		}
		lo.Close()
	}

	// gVisor's stacks and the pumps end with Close (allow the runtime a
	// moment to reap goroutines that have returned).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}

func anchorBulk(t *testing.T, name string, l net.Listener, dial func() (net.Conn, error), size int) {
	t.Helper()
	c, s, err := Pair(l, dial)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if _, err := StreamBulk(c, s, size); err != nil {
		t.Errorf("%s: %v", name, err)
	}
	c.Close()
	s.Close()
}
