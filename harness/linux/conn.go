package linux

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"

	"github.com/tcpbed/tcpbed/harness"
	"golang.org/x/sys/unix"
)

// Conn is one Linux TCP connection's socket: non-blocking, so every call
// returns at once (ErrWouldBlock where the kernel says EAGAIN).
type Conn struct {
	s      *sock
	local  netip.AddrPort
	remote netip.AddrPort
}

// Connect starts an active open from an ephemeral port to raddr and returns
// with the socket in SYN-SENT: connect() on a non-blocking socket sends the
// SYN and returns EINPROGRESS. Connected reports the outcome.
func (h *Host) Connect(raddr netip.AddrPort) (*Conn, error) {
	return h.ConnectFrom(0, raddr)
}

// ConnectFrom is Connect from local port lport (0: an ephemeral one).
func (h *Host) ConnectFrom(lport uint16, raddr netip.AddrPort) (*Conn, error) {
	s, err := h.newSock()
	if err != nil {
		return nil, err
	}
	c := &Conn{s: s, remote: raddr}
	err = s.use(func(fd int) error {
		if lport != 0 {
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
				return os.NewSyscallError("setsockopt(SO_REUSEADDR)", err)
			}
		}
		if err := unix.Bind(fd, sockaddr(netip.AddrPortFrom(h.Addr(), lport))); err != nil {
			return os.NewSyscallError("bind", err)
		}
		if err := unix.Connect(fd, sockaddr(raddr)); err != nil && err != unix.EINPROGRESS {
			return os.NewSyscallError("connect", err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return os.NewSyscallError("getsockname", err)
		}
		c.local = addrPort(sa)
		return nil
	})
	if err != nil {
		s.close(nil)
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: tcpAddr(raddr), Err: err}
	}
	return c, nil
}

// Connected reports how the active open went: ErrWouldBlock while the
// handshake is under way, nil once the connection is established, or the
// error that ended it (errors.Is(err, syscall.ECONNREFUSED) for an RST).
func (c *Conn) Connected() error {
	err := c.s.use(func(fd int) error {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if _, err := unix.Poll(pfd, 0); err != nil {
			return os.NewSyscallError("poll", err)
		}
		if pfd[0].Revents == 0 {
			return ErrWouldBlock
		}
		soerr, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err != nil {
			return os.NewSyscallError("getsockopt(SO_ERROR)", err)
		}
		if soerr != 0 {
			return os.NewSyscallError("connect", unix.Errno(soerr))
		}
		return nil
	})
	return c.opError("dial", err)
}

// TryRead reads what has arrived: ErrWouldBlock if nothing has, io.EOF once
// the peer's FIN has been read past.
func (c *Conn) TryRead(p []byte) (int, error) {
	var n int
	err := c.s.use(func(fd int) (err error) {
		n, err = unix.Read(fd, p)
		if err != nil {
			n = 0
			return os.NewSyscallError("read", err)
		}
		if n == 0 && len(p) > 0 {
			return io.EOF
		}
		return nil
	})
	if err == io.EOF {
		return 0, io.EOF
	}
	return n, c.opError("read", err)
}

// TryWrite queues as much of p as the send buffer takes: ErrWouldBlock if
// none fits. MSG_NOSIGNAL turns a write after the peer's reset into EPIPE
// rather than a SIGPIPE.
func (c *Conn) TryWrite(p []byte) (int, error) {
	var n int
	err := c.s.use(func(fd int) (err error) {
		n, err = unix.SendmsgN(fd, p, nil, nil, unix.MSG_NOSIGNAL)
		if err != nil {
			n = 0
			return os.NewSyscallError("write", err)
		}
		return nil
	})
	return n, c.opError("write", err)
}

// CloseWrite half-closes: shutdown(SHUT_WR) sends a FIN once the queued
// data has gone.
func (c *Conn) CloseWrite() error {
	err := c.s.use(func(fd int) error {
		return os.NewSyscallError("shutdown", unix.Shutdown(fd, unix.SHUT_WR))
	})
	return c.opError("close", err)
}

// Close closes the socket. The connection lives on in the kernel as an
// orphan (FIN-WAIT-1/2, LAST-ACK, CLOSING, TIME-WAIT); State still finds it
// through sock_diag. Closing with unread data makes Linux send RST (RFC
// 1122 4.2.2.13).
func (c *Conn) Close() error {
	return c.opError("close", c.s.close(nil))
}

// Abort resets the connection: SO_LINGER {on, 0 s} makes close() send RST
// and drop the connection at once, with no TIME-WAIT.
func (c *Conn) Abort() error {
	return c.opError("close", c.s.close(func(fd int) error {
		return os.NewSyscallError("setsockopt(SO_LINGER)",
			unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0}))
	}))
}

// ID is the connection's four-tuple, Linux's end as Local.
func (c *Conn) ID() harness.FourTuple {
	return harness.FourTuple{
		LocalAddr: c.local.Addr(), LocalPort: c.local.Port(),
		RemoteAddr: c.remote.Addr(), RemotePort: c.remote.Port(),
	}
}

// LocalAddr and RemoteAddr are the connection's ends.
func (c *Conn) LocalAddr() net.Addr  { return tcpAddr(c.local) }
func (c *Conn) RemoteAddr() net.Addr { return tcpAddr(c.remote) }

// State reads the connection's state from the kernel: TCP_INFO while the
// socket is open, sock_diag by four-tuple after Close or once TCP_INFO says
// CLOSE (CLOSED when the kernel no longer has the connection).
func (c *Conn) State() (harness.State, error) {
	var st uint8
	err := c.s.use(func(fd int) error {
		info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return os.NewSyscallError("getsockopt(TCP_INFO)", err)
		}
		st = info.State
		return nil
	})
	if errors.Is(err, net.ErrClosed) {
		return c.s.h.State(c.ID())
	}
	if err != nil {
		return harness.Closed, err
	}
	if st == linuxClose && c.remote.Port() != 0 {
		// A connection that reaches TIME-WAIT while its fd is still open
		// moves to a separate timewait socket (tcp_time_wait), and the
		// fd's socket says TCP_CLOSE; the four-tuple finds the former.
		return c.s.h.State(c.ID())
	}
	return stateFromLinux(st)
}

// Info returns the kernel's TCP_INFO for the connection (window scales,
// options in use, MSS, retransmissions), for tests that look past the state.
func (c *Conn) Info() (*unix.TCPInfo, error) {
	var info *unix.TCPInfo
	err := c.s.use(func(fd int) (err error) {
		info, err = unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		return os.NewSyscallError("getsockopt(TCP_INFO)", err)
	})
	return info, err
}

// Control runs f with the socket's fd, to set a socket option the Conn does
// not wrap (TCP_NODELAY, SO_RCVBUF, keepalive). f must not close the fd.
func (c *Conn) Control(f func(fd int) error) error { return c.s.use(f) }

// opError wraps err as the net package does, so that errors.Is finds the
// errno through it; nil and ErrWouldBlock pass through unwrapped.
func (c *Conn) opError(op string, err error) error {
	if err == nil || err == ErrWouldBlock {
		return err
	}
	if errors.Is(err, unix.EAGAIN) {
		return ErrWouldBlock
	}
	return &net.OpError{Op: op, Net: "tcp", Source: tcpAddr(c.local), Addr: tcpAddr(c.remote), Err: err}
}

// State returns the state of the connection id in the namespace, read with
// sock_diag: any connection, open, orphaned or in TIME-WAIT, and SYN-RECEIVED
// request sockets a listener has not yet turned into connections. CLOSED when
// the kernel has nothing for id.
func (h *Host) State(id harness.FourTuple) (harness.State, error) {
	s, found, err := h.diag.lookup(id)
	if err != nil || !found {
		return harness.Closed, err
	}
	return stateFromLinux(s.State)
}
