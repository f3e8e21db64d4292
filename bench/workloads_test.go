package bench

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// Each workload runs, small, in every pairing, and does what it says.

func TestBulkEveryPairing(t *testing.T) {
	for _, mtu := range bulkMTUs {
		for _, p := range Pairings {
			n, err := harness.NewNet(NetConfig(p, mtu, NoDelay, StackOptions{}))
			if err != nil {
				t.Fatal(err)
			}
			c, s, err := Connect(n)
			if err != nil {
				t.Fatalf("%s: %v", p.Name(), err)
			}
			const size = 3<<20 + 5 // not a multiple of the pattern or any segment
			if _, err := Bulk(n, c, s, size); err != nil {
				t.Errorf("mtu %d %s: %v", mtu, p.Name(), err)
			}
			// The data went as segments no longer than the MTU allows.
			var dataBytes int
			for _, r := range n.Trace().Records {
				if r.Dir == harness.ClientToServer {
					dataBytes += r.PayloadLen
					if r.Len > mtu {
						t.Errorf("mtu %d %s: a %d-byte packet", mtu, p.Name(), r.Len)
					}
				}
			}
			if dataBytes < size {
				t.Errorf("mtu %d %s: %d bytes of data on the wire, %d read", mtu, p.Name(), dataBytes, size)
			}
			n.Close()
		}
	}
}

// checkPattern tells a byte out of place.
func TestCheckPattern(t *testing.T) {
	off := len(pattern) - 3
	p := append([]byte{}, pattern[off:]...)
	p = append(p, pattern[:10]...)
	if err := checkPattern(p, off); err != nil {
		t.Fatalf("the pattern itself, across its wrap: %v", err)
	}
	p[5] ^= 1
	if err := checkPattern(p, off); err == nil || !strings.Contains(err.Error(), "differ") {
		t.Fatalf("a flipped byte: got %v", err)
	}
	if err := checkPattern(pattern[1:100], 0); err == nil {
		t.Fatal("bytes at the wrong offset passed")
	}
}

func TestConnRateEveryPairing(t *testing.T) {
	for _, p := range Pairings {
		n, err := harness.NewNet(NetConfig(p, harness.DefaultMTU, harness.DefaultLink, StackOptions{MSL: ConnRateMSL}))
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		count := connTestCount
		if _, err := ConnRate(n, count); err != nil {
			t.Fatalf("%s: %v", p.Name(), err)
		}
		// Every connection made its handshake: count SYNs from the client.
		syns := 0
		for _, r := range n.Trace().Records {
			if r.Dir == harness.ClientToServer && r.Packet.TCP.Flags&packet.SYN != 0 {
				syns++
			}
		}
		if syns != count {
			t.Errorf("%s: %d SYNs for %d connections", p.Name(), syns, count)
		}
		t.Logf("%s: %d connections in %v real, %v virtual", p.Name(), count, time.Since(start), n.Now())
		n.Close()
	}
}

func TestIdleHeap(t *testing.T) {
	for _, kind := range []string{Ours, GVisor} {
		perEnd, err := IdleHeap(kind, 500)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		// A connection costs something, and far less than a send buffer.
		if perEnd <= 0 || perEnd > 256<<10 {
			t.Errorf("%s: %.0f bytes per idle connection end", kind, perEnd)
		}
		t.Logf("%s: %.0f B per idle connection end", kind, perEnd)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int{"4096": 4096, "16MiB": 16 << 20, "512KiB": 512 << 10, "1GiB": 1 << 30} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-1MiB", "16MB", "x"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) took it", in)
		}
	}
}

// connTestCount is how many connections TestConnRateEveryPairing makes.
var connTestCount = 200

// The loss workload's time is the transfer's, no shorter than the link
// needs to carry 4 MiB at 100 Mbit/s.
func TestLossRecovery(t *testing.T) {
	took, err := LossRecovery("loss-recovery", Pairing{Client: Ours, Server: Ours}, "cubic", 1)
	if err != nil {
		t.Fatal(err)
	}
	if floor := time.Duration(4<<20*8) * time.Second / 100_000_000; took < floor {
		t.Errorf("4 MiB in %v, under the link's %v", took, floor)
	}
	if _, err := LossRecovery("no-such-scenario", Control, "newreno", 1); err == nil {
		t.Error("an unknown workload ran")
	}
}

// TestScaleBothListeners: the scale workload, small, in both directions:
// every connection echoes and closes, no goroutine is left behind, and the
// heap beyond the buffers is part of the peak heap.
func TestScaleBothListeners(t *testing.T) {
	const count = 300 // more than gVisor's default backlog of 128
	for _, p := range scalePairings {
		cost, err := Scale(ScaleConfig(p, count), count)
		if err != nil {
			t.Errorf("%s: %v", p.Name(), err)
		}
		if cost.Goroutines > 0 {
			t.Errorf("%s: %d goroutines left after Net.Close", p.Name(), cost.Goroutines)
		}
		if cost.PeakBeyondBuffers > cost.PeakHeap {
			t.Errorf("%s: %d bytes beyond the buffers, over the peak heap of %d", p.Name(), cost.PeakBeyondBuffers, cost.PeakHeap)
		}
	}
}

// The scale workload's heap samples fall where its allocations put them,
// not where the runtime's pacing does: with automatic collection off (as
// Scale runs), a sample collects only once heapSampleEvery bytes have been
// allocated since the last, and always the first time.
func TestHeapPeakSamplesEverySoManyBytes(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	cycles := func() uint64 {
		s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
		metrics.Read(s)
		return s[0].Value.Uint64()
	}
	var keep [][]byte
	allocate := func(n int) { keep = append(keep, make([]byte, n)) }
	var h heapPeak
	buffered := 0
	at := cycles()
	h.sample(func() int { return buffered })
	if got := cycles(); got != at+1 {
		t.Fatalf("the first sample made %d collections, want 1", got-at)
	}
	allocate(heapSampleEvery / 4)
	at = cycles()
	h.sample(func() int { return buffered })
	if got := cycles(); got != at {
		t.Errorf("a sample after a quarter of heapSampleEvery collected (%d)", got-at)
	}
	allocate(heapSampleEvery)
	buffered = heapSampleEvery / 2
	at = cycles()
	h.sample(func() int { return buffered })
	if got := cycles(); got != at+1 {
		t.Errorf("a sample after heapSampleEvery made %d collections, want 1", got-at)
	}
	// The heap only grew, so the last sample is the peak, and beyond it
	// less what was buffered then.
	if kept := uint64(heapSampleEvery * 5 / 4); h.max < kept || h.beyond < h.max-uint64(buffered) {
		t.Errorf("peak %d, beyond %d, with %d bytes kept and %d buffered", h.max, h.beyond, kept, buffered)
	}
	runtime.KeepAlive(keep)
}
