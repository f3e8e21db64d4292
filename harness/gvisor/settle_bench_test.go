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
