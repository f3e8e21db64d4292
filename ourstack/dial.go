package ourstack

import (
	"context"
	"net"
	"net/netip"
	"syscall"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Connect starts an active open to raddr and returns at once with the Conn in
// SYN-SENT (the SYN already passed to Send). Dial is Connect plus waiting.
func (s *Stack) Connect(raddr netip.AddrPort) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connect(raddr)
}

// ConnectFrom is Connect from a chosen local port, as after bind(2): what a
// simultaneous open (RFC 9293 figure 7) needs, both ends naming the same
// four-tuple. It fails with EADDRINUSE if that four-tuple is in use.
func (s *Stack) ConnectFrom(localPort uint16, raddr netip.AddrPort) (*Conn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if localPort == 0 {
		return s.connect(raddr)
	}
	return s.connectFrom(localPort, raddr)
}

func (s *Stack) connect(raddr netip.AddrPort) (*Conn, error) {
	return s.connectFrom(0, raddr)
}

// connectFrom is the active OPEN (RFC 9293 3.10.1), from localPort or, if
// it is 0, from an ephemeral port.
func (s *Stack) connectFrom(localPort uint16, raddr netip.AddrPort) (*Conn, error) {
	fail := func(err error) (*Conn, error) {
		return nil, opError("dial", nil, net.TCPAddrFromAddrPort(raddr), err)
	}
	if s.closed {
		return fail(net.ErrClosed)
	}
	if raddr.Addr().Is4() != s.addr.Is4() || !unicast(raddr.Addr()) || raddr.Port() == 0 {
		return fail(&net.AddrError{Err: "not a unicast address and port of the stack's family", Addr: raddr.String()})
	}
	id := tcp.FourTuple{LocalAddr: s.addr, LocalPort: localPort, RemoteAddr: raddr.Addr(), RemotePort: raddr.Port()}
	if localPort != 0 {
		if s.conns[id] != nil {
			return fail(syscall.EADDRINUSE)
		}
	} else {
		port, ok := s.ports.pick(s.addr, raddr, func(p uint16) bool {
			id.LocalPort = p
			return s.conns[id] != nil || s.listeners[p] != nil
		})
		if !ok {
			return fail(ErrNoPorts)
		}
		id.LocalPort = port
	}
	now := s.clock.Now()
	tcb := tcp.Open(s.cfg, id, s.isns.isn(id, now), now)
	tcb.SetTimestampOffset(s.isns.tsOffset(id))
	c := s.newConn(id, tcb, tcp.Closed)
	s.conns[id] = c
	s.afterEvent(c, now)
	return c, nil
}

// Dial connects to address ("192.0.2.2:80"), network "tcp" or "tcp4", and
// waits for the handshake or ctx. If ctx ends first the attempt is aborted
// and the error wraps ctx.Err(); a refused or timed-out handshake wraps
// syscall.ECONNREFUSED or syscall.ETIMEDOUT.
func (s *Stack) Dial(ctx context.Context, network, address string) (*Conn, error) {
	raddr, err := netip.ParseAddrPort(address)
	switch {
	case network != "tcp" && network != "tcp4":
		return nil, opError("dial", nil, nil, net.UnknownNetworkError(network))
	case err != nil:
		return nil, opError("dial", nil, nil, &net.AddrError{Err: err.Error(), Addr: address})
	}
	if err := ctx.Err(); err != nil {
		return nil, opError("dial", nil, net.TCPAddrFromAddrPort(raddr), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.connect(raddr)
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case c.tcb.Established():
			return c, nil
		case c.tcb.Err() != nil:
			c.closed = true
			return nil, c.opError("dial", c.tcb.Err())
		case c.forgotten:
			c.closed = true
			return nil, c.opError("dial", tcp.ErrConnectionAborted)
		}
		if err := ctx.Err(); err != nil || !s.wait(c.wake.wait(), ctx.Done()) {
			now := s.clock.Now()
			c.closed = true
			c.tcb.Abort(now)
			s.afterEvent(c, now)
			s.forget(c, now)
			return nil, c.opError("dial", ctx.Err())
		}
	}
}
