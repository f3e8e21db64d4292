package conformance

import (
	"bytes"
	"io"
	"net/netip"
	"syscall"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// The stacks behind the harness's peers, for what the Peer interface does
// not offer: counters, and (for gVisor) a connection from a chosen local
// port, which simultaneous open needs.

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

// pokePort is a port no scenario uses; see gvisorPoker.
const pokePort = 9

// gvisorPoker makes the gVisor peer at side report state changes of
// endpoints the harness did not create. The peer polls its endpoints'
// states at Settle only when one of its own calls (or a packet, or a timer)
// marked it busy; a call on a harness listener is such a call, and Accept on
// an idle listener changes nothing else.
func (e *Env) gvisorPoker(side harness.Side) func() {
	l, err := e.Net.Peer(side).Listen(pokePort)
	e.NoError("listen on the poke port", err)
	return func() { _, _ = l.Accept() }
}

// DialFromGVisor opens a connection on the gVisor peer at side from local
// port lport to raddr: Bind, then Connect, as a BSD socket user would. The
// harness's Dial always takes an ephemeral port.
func (e *Env) DialFromGVisor(side harness.Side, lport uint16, raddr netip.AddrPort) harness.Conn {
	s := gvisorStackOf(e.Net.Peer(side))
	if s == nil {
		e.Fail("a gVisor peer at the "+side.String(), e.Net.Peer(side).Name())
	}
	poke := e.gvisorPoker(side)
	var wq waiter.Queue
	ep, terr := s.NewEndpoint(gtcp.ProtocolNumber, ipv4.ProtocolNumber, &wq)
	if terr != nil {
		e.Fatalf("a gVisor endpoint", "NewEndpoint: %s", terr)
	}
	if terr := ep.Bind(tcpip.FullAddress{Port: lport}); terr != nil {
		e.Fatalf("gVisor Bind to succeed", "Bind(%d): %s", lport, terr)
	}
	to := tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4(raddr.Addr().As4()), Port: raddr.Port()}
	switch terr := ep.Connect(to); terr.(type) {
	case nil, *tcpip.ErrConnectStarted:
	default:
		e.Fatalf("gVisor Connect to start", "Connect(%v): %s", raddr, terr)
	}
	poke()
	return &gvisorBoundConn{ep: ep, poke: poke, id: tcp.FourTuple{
		LocalAddr: e.Net.Addr(side), LocalPort: lport, RemoteAddr: raddr.Addr(), RemotePort: raddr.Port(),
	}}
}

// gvisorBoundConn is a gVisor endpoint this package opened, as a
// harness.Conn. Every call pokes the peer so that the next Settle lets the
// stack act on it and reports the endpoint's state.
type gvisorBoundConn struct {
	ep   tcpip.Endpoint
	id   tcp.FourTuple
	poke func()
}

func (c *gvisorBoundConn) ID() tcp.FourTuple { return c.id }

func (c *gvisorBoundConn) State() tcp.State {
	return stateOfGVisor(gtcp.EndpointState(c.ep.State()))
}

func (c *gvisorBoundConn) Read(p []byte) (int, error) {
	defer c.poke()
	w := tcpip.SliceWriter(p)
	res, err := c.ep.Read(&w, tcpip.ReadOptions{})
	if err != nil {
		return 0, errorOfGVisor(err)
	}
	return res.Count, nil
}

func (c *gvisorBoundConn) Write(p []byte) (int, error) {
	defer c.poke()
	n, err := c.ep.Write(bytes.NewReader(p), tcpip.WriteOptions{})
	if err != nil {
		return int(n), errorOfGVisor(err)
	}
	return int(n), nil
}

func (c *gvisorBoundConn) CloseWrite() error {
	defer c.poke()
	if err := c.ep.Shutdown(tcpip.ShutdownWrite); err != nil {
		return errorOfGVisor(err)
	}
	return nil
}

func (c *gvisorBoundConn) Close() error {
	defer c.poke()
	c.ep.Close()
	return nil
}

func (c *gvisorBoundConn) Abort() error {
	defer c.poke()
	c.ep.Abort()
	return nil
}

// errorOfGVisor is the standard library's error for a gVisor one, as the
// harness's gVisor peer reports them.
func errorOfGVisor(err tcpip.Error) error {
	switch err.(type) {
	case *tcpip.ErrWouldBlock:
		return harness.ErrWouldBlock
	case *tcpip.ErrClosedForReceive:
		return io.EOF
	case *tcpip.ErrConnectionReset:
		return syscall.ECONNRESET
	case *tcpip.ErrConnectionRefused:
		return syscall.ECONNREFUSED
	case *tcpip.ErrTimeout:
		return syscall.ETIMEDOUT
	case *tcpip.ErrConnectionAborted, *tcpip.ErrAborted:
		return syscall.ECONNABORTED
	case *tcpip.ErrClosedForSend:
		return syscall.EPIPE
	case *tcpip.ErrNotConnected:
		return syscall.ENOTCONN
	}
	return syscall.EIO
}

// stateOfGVisor maps gVisor's endpoint state onto RFC 9293's, as the
// harness's gVisor peer does.
func stateOfGVisor(s gtcp.EndpointState) tcp.State {
	switch s {
	case gtcp.StateConnecting, gtcp.StateSynSent:
		return tcp.SynSent
	case gtcp.StateSynRecv:
		return tcp.SynReceived
	case gtcp.StateEstablished:
		return tcp.Established
	case gtcp.StateFinWait1:
		return tcp.FinWait1
	case gtcp.StateFinWait2:
		return tcp.FinWait2
	case gtcp.StateTimeWait:
		return tcp.TimeWait
	case gtcp.StateCloseWait:
		return tcp.CloseWait
	case gtcp.StateLastAck:
		return tcp.LastAck
	case gtcp.StateListen:
		return tcp.Listen
	case gtcp.StateClosing:
		return tcp.Closing
	}
	return tcp.Closed
}
