package conformance

import (
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack"
)

// The stacks behind the harness's peers, for what the Peer interface does
// not offer: their own counters (SYN cookies sent, listen overflows).

// ourStackOf is the ourstack Stack behind peer p, or nil if p is not one.
func ourStackOf(p harness.Peer) *ourstack.Stack {
	if s, ok := p.(interface{ Stack() *ourstack.Stack }); ok {
		return s.Stack()
	}
	return nil
}

// gvisorStackOf is the gVisor stack behind peer p, or nil if p is not one.
func gvisorStackOf(p harness.Peer) *stack.Stack {
	if s, ok := p.(interface{ Stack() *stack.Stack }); ok {
		return s.Stack()
	}
	return nil
}
