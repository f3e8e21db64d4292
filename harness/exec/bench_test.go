package exec

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// BenchmarkRoundTrip is one request and its reply (COUNTERS) with a stack
// in another process: what every packet delivered to it costs.
func BenchmarkRoundTrip(b *testing.B) {
	n, err := harness.NewNet(harness.Config{Client: NewPeer(testStack()), Server: gvisor.NewPeer(gvisor.Options{})})
	if err != nil {
		b.Fatal(err)
	}
	defer n.Close()
	p := n.Client()
	for b.Loop() {
		if _, ok := p.Counters(); !ok {
			b.Fatal(p.(*peer).err)
		}
	}
}

// BenchmarkStart is starting a stack's process, HELLO, and ending it.
func BenchmarkStart(b *testing.B) {
	for b.Loop() {
		n, err := harness.NewNet(harness.Config{Client: NewPeer(testStack()), Server: gvisor.NewPeer(gvisor.Options{})})
		if err != nil {
			b.Fatal(err)
		}
		n.Close()
	}
}
