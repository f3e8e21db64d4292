package bench

import (
	"fmt"
	"net"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
)

// The anchors' benchmarks, run as sub-benchmarks of BenchmarkBulk and
// BenchmarkConnRate after the pairings, so one run measures everything:
// "Bulk/mtu=1500/pair=gvisor-raw", "ConnRate/pair=linux-loopback".

// anchorNet opens an anchor at mtu (0 for the connection-rate workload's):
// its listener, how to dial it, how to close it, and how many segments
// each end has sent so far (nil where the anchor cannot say).
func anchorNet(b *testing.B, anchor string, mtu int) (net.Listener, func() (net.Conn, error), func(), func() [2]uint64) {
	switch anchor {
	case GVisorRaw:
		msl := ConnRateMSL
		if mtu != 0 {
			msl = 0
		} else {
			mtu = harness.DefaultMTU
		}
		n, err := NewRawGVisorNet(mtu, msl)
		if err != nil {
			b.Fatal(err)
		}
		l, err := n.Listen()
		if err != nil {
			n.Close()
			b.Fatal(err)
		}
		return l, n.Dial, func() { l.Close(); n.Close() }, n.SegmentsSent
	case LinuxLoopback:
		n, err := NewLinuxLoopbackNet()
		if err != nil {
			b.Skipf("no usable loopback: %v", err)
		}
		return n.L, n.Dial, func() { n.Close() }, nil
	}
	b.Fatalf("no anchor %q", anchor)
	return nil, nil, nil, nil
}

// benchAnchorBulk is BenchmarkBulk's workload over anchor at mtu.
func benchAnchorBulk(b *testing.B, anchor string, mtu, size int) {
	if anchor == LinuxLoopback {
		b.Logf("loopback MTU is %d, not %d", LinuxLoopbackMTU, mtu)
	}
	var total Cost
	var segs [2]uint64
	for i := range b.N + 1 {
		b.StopTimer()
		warm, moved := warmUp(i, size)
		l, dial, closeNet, segments := anchorNet(b, anchor, mtu)
		c, s, err := Pair(l, dial)
		if err != nil {
			closeNet()
			b.Fatal(err)
		}
		if !warm {
			b.StartTimer()
		}
		took, err := StreamBulk(c, s, moved)
		b.StopTimer()
		if segments != nil && !warm {
			sent := segments()
			segs[0], segs[1] = segs[0]+sent[0], segs[1]+sent[1]
		}
		c.Close()
		s.Close()
		closeNet()
		if err != nil {
			b.Fatal(err)
		}
		if !warm {
			total = total.Add(took)
		}
	}
	b.ReportMetric(float64(size)*float64(b.N)/total.Real.Seconds()/1e6, "MB/s")
	b.ReportMetric(float64(size)*float64(b.N)/total.CPU.Seconds()/1e6, "MB/cpu-s")
	if segs[0] > 0 {
		reportAckRatio(b, segs)
	}
}

// benchAnchorConnRate is BenchmarkConnRate's workload over anchor.
func benchAnchorConnRate(b *testing.B, anchor string, count int) {
	var total Cost
	for range b.N {
		b.StopTimer()
		l, dial, closeNet, _ := anchorNet(b, anchor, 0)
		b.StartTimer()
		took, err := StreamConnRate(l, dial, count)
		b.StopTimer()
		closeNet()
		if err != nil {
			b.Fatal(err)
		}
		total = total.Add(took)
	}
	b.ReportMetric(float64(count*b.N)/total.Real.Seconds(), "conns/s")
	b.ReportMetric(float64(count*b.N)/total.CPU.Seconds(), "conns/cpu-s")
}

func anchorName(anchor string) string { return fmt.Sprintf("pair=%s", anchor) }
