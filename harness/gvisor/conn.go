package gvisor

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// gvisorListener is a listening gVisor endpoint.
type gvisorListener struct {
	peer *gvisorPeer
	ep   tcpip.Endpoint
	port uint16
	t    *gvisorTracked
}

func (l *gvisorListener) Port() uint16 { return l.port }

func (l *gvisorListener) Accept() (harness.Conn, error) {
	defer l.peer.work(l.t)()
	ep, _, err := l.ep.Accept(nil)
	if err != nil {
		return nil, gvisorError("accept", err)
	}
	return &gvisorConn{peer: l.peer, ep: ep, t: l.peer.track(ep, harness.Listen)}, nil
}

func (l *gvisorListener) Close() error {
	defer l.peer.work(l.t)()
	// Closing a listener resets the connections still pending on it,
	// which the peer cannot name: the next Settle looks at every endpoint.
	l.peer.st.everyone = true
	l.ep.Close()
	return nil
}

// gvisorConn is a connected gVisor endpoint, driven through its non-blocking
// Read and Write (gonet would block, and a blocked goroutine is not a
// deterministic thing).
type gvisorConn struct {
	peer   *gvisorPeer
	ep     tcpip.Endpoint
	t      *gvisorTracked
	closed bool
}

func (c *gvisorConn) ID() harness.FourTuple { return c.t.id }
func (c *gvisorConn) State() harness.State  { return gvisorState(gtcp.EndpointState(c.ep.State())) }

// Unread is gVisor's count of the bytes ready to read.
func (c *gvisorConn) Unread() int {
	n, err := c.ep.GetSockOptInt(tcpip.ReceiveQueueSizeOption)
	if err != nil {
		return 0
	}
	return n
}

func (c *gvisorConn) Read(p []byte) (int, error) {
	defer c.peer.work(c.t)()
	w := tcpip.SliceWriter(p)
	res, err := c.ep.Read(&w, tcpip.ReadOptions{})
	if err != nil {
		return 0, gvisorError("read", err)
	}
	return res.Count, nil
}

// Unacknowledged is gVisor's send queue: the bytes written that the peer
// has not acknowledged, sent or not. gVisor answers SendQueueSizeOption
// with an error and gives the count out only to its TCP probe, after each
// segment it takes (gvisorPeer.took); what was written since is added.
func (c *gvisorConn) Unacknowledged() int { return c.t.sndBufUsed + c.t.written }

func (c *gvisorConn) Write(p []byte) (int, error) {
	defer c.peer.work(c.t)()
	n, err := c.ep.Write(bytes.NewReader(p), tcpip.WriteOptions{})
	c.t.written += int(n)
	if err != nil {
		return int(n), gvisorError("write", err)
	}
	return int(n), nil
}

func (c *gvisorConn) CloseWrite() error {
	defer c.peer.work(c.t)()
	if err := c.ep.Shutdown(tcpip.ShutdownWrite); err != nil {
		return gvisorError("shutdown", err)
	}
	return nil
}

func (c *gvisorConn) Close() error {
	defer c.peer.work(c.t)()
	if c.closed {
		return nil
	}
	c.closed = true
	c.ep.Close()
	return nil
}

func (c *gvisorConn) Abort() error {
	defer c.peer.work(c.t)()
	c.ep.Abort()
	return c.Close()
}

// gvisorError turns a tcpip.Error into the error the standard library would
// return for it, so that scenarios compare errors the same way for every
// peer: io.EOF, ErrWouldBlock, or a syscall.Errno.
func gvisorError(op string, err tcpip.Error) error {
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
	case *tcpip.ErrPortInUse:
		return syscall.EADDRINUSE
	case *tcpip.ErrInvalidEndpointState:
		return syscall.EINVAL
	case *tcpip.ErrHostUnreachable:
		return syscall.EHOSTUNREACH
	case *tcpip.ErrNetworkUnreachable:
		return syscall.ENETUNREACH
	case *tcpip.ErrUnknownProtocolOption:
		return syscall.ENOPROTOOPT
	}
	return fmt.Errorf("gvisor %s: %s", op, err)
}

// SetKeepAliveConfig sets SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL and
// TCP_KEEPCNT on the endpoint, as *net.TCPConn's does on a socket. Zero
// leaves gVisor's default; negative leaves the setting unchanged.
func (c *gvisorConn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	defer c.peer.work(c.t)()
	if cfg.Idle > 0 {
		opt := tcpip.KeepaliveIdleOption(cfg.Idle)
		if err := c.ep.SetSockOpt(&opt); err != nil {
			return gvisorError("setsockopt TCP_KEEPIDLE", err)
		}
	}
	if cfg.Interval > 0 {
		opt := tcpip.KeepaliveIntervalOption(cfg.Interval)
		if err := c.ep.SetSockOpt(&opt); err != nil {
			return gvisorError("setsockopt TCP_KEEPINTVL", err)
		}
	}
	if cfg.Count > 0 {
		if err := c.ep.SetSockOptInt(tcpip.KeepaliveCountOption, cfg.Count); err != nil {
			return gvisorError("setsockopt TCP_KEEPCNT", err)
		}
	}
	c.ep.SocketOptions().SetKeepAlive(cfg.Enable)
	return nil
}
