package linux

import (
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tcpbed/tcpbed/harness"
)

// peerListener is a Listener as a harness.Listener.
type peerListener struct {
	p *peer
	l *Listener
}

func (l *peerListener) Accept() (harness.Conn, error) {
	c, err := l.l.TryAccept()
	if err != nil {
		return nil, err
	}
	l.p.touch(c.ID())
	return &peerConn{p: l.p, c: c}, nil
}

func (l *peerListener) Close() error {
	l.p.touch(l.l.id())
	return l.l.Close()
}

func (l *peerListener) Port() uint16 { return l.l.Port() }

// peerConn is a Conn as a harness.Conn. Every call touches the connection:
// it may have sent something or changed state, which Settle then reports.
type peerConn struct {
	p *peer
	c *Conn
}

// Linux is the underlying Conn (TCP_INFO, Control for socket options).
func (c *peerConn) Linux() *Conn { return c.c }

func (c *peerConn) ID() harness.FourTuple { return c.c.ID() }

func (c *peerConn) Read(b []byte) (int, error) {
	c.p.touch(c.c.ID())
	return c.c.TryRead(b)
}

func (c *peerConn) Write(b []byte) (int, error) {
	c.p.touch(c.c.ID())
	return c.c.TryWrite(b)
}

func (c *peerConn) CloseWrite() error {
	c.p.touch(c.c.ID())
	return c.c.CloseWrite()
}

func (c *peerConn) Close() error {
	c.p.touch(c.c.ID())
	return c.c.Close()
}

func (c *peerConn) Abort() error {
	c.p.touch(c.c.ID())
	return c.c.Abort()
}

// State reads the kernel's state now (TCP_INFO, or sock_diag once closed);
// CLOSED if the kernel cannot be asked.
func (c *peerConn) State() harness.State {
	st, err := c.c.State()
	if err != nil {
		return harness.Closed
	}
	return st
}

// SetKeepAliveConfig sets TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (each
// only if positive) and SO_KEEPALIVE on the socket, as *net.TCPConn's does.
func (c *peerConn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	return c.c.s.use(func(fd int) error {
		for _, o := range []struct {
			name       string
			opt, value int
		}{
			{"TCP_KEEPIDLE", unix.TCP_KEEPIDLE, int(cfg.Idle / time.Second)},
			{"TCP_KEEPINTVL", unix.TCP_KEEPINTVL, int(cfg.Interval / time.Second)},
			{"TCP_KEEPCNT", unix.TCP_KEEPCNT, cfg.Count},
		} {
			if o.value <= 0 {
				continue
			}
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, o.opt, o.value); err != nil {
				return os.NewSyscallError("setsockopt("+o.name+")", err)
			}
		}
		on := 0
		if cfg.Enable {
			on = 1
		}
		return os.NewSyscallError("setsockopt(SO_KEEPALIVE)", unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE, on))
	})
}
