package conformance

import (
	"fmt"
	"net/netip"

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

// DialFromGVisor opens a connection at side from local port lport to raddr
// (bind, then connect), failing the scenario if it cannot. It is
// harness.DialFrom, which now serves every peer kind; the name stays for
// its callers.
func (e *Env) DialFromGVisor(side harness.Side, lport uint16, raddr netip.AddrPort) harness.Conn {
	c, err := harness.DialFrom(e.Net.Peer(side), lport, raddr)
	e.NoError(fmt.Sprintf("%s DialFrom(%d, %v)", side, lport, raddr), err)
	return c
}
