package gvisor

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
)

// BenchmarkGVisorBarrier is the cost of one settle barrier on an idle gVisor
// stack: resume its processor and pause it again.
func BenchmarkGVisorBarrier(b *testing.B) {
	n, err := harness.NewNet(harness.Config{Client: NewPeer(Options{}), Server: NewPeer(Options{})})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	p := n.Client().(*gvisorPeer)
	for b.Loop() {
		p.resume()
		p.pause()
	}
}

// BenchmarkNewNet is the cost of building a Net of two gVisor peers and
// closing it: what every conformance cell and every FuzzInterop run pays
// before its first packet.
func BenchmarkNewNet(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		n, err := harness.NewNet(harness.Config{Client: NewPeer(Options{}), Server: NewPeer(Options{})})
		if err != nil {
			b.Fatal(err)
		}
		n.Close()
	}
}
