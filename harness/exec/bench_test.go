package exec

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// BenchmarkRoundTrip is one request and its reply (ADVANCE, with no
// timer due) with a stack in another process, the Go test stack or lwIP:
// what every packet delivered to it costs.
func BenchmarkRoundTrip(b *testing.B) {
	for name, opts := range map[string]func(testing.TB) Options{
		"stack=served-gvisor": func(testing.TB) Options { return testStack() },
		"stack=lwip":          lwipStack,
	} {
		b.Run(name, func(b *testing.B) {
			n, err := harness.NewNet(harness.Config{Client: NewPeer(opts(b)), Server: gvisor.NewPeer(gvisor.Options{})})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			p := n.Client().(*peer)
			for b.Loop() {
				if _, _, err := p.call(peerproto.Advance, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
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
