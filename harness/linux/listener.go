package linux

import (
	"net"
	"net/netip"
	"os"

	"github.com/tcpbed/tcpbed/harness"
	"golang.org/x/sys/unix"
)

// Listener is a listening Linux socket, non-blocking.
type Listener struct {
	s    *sock
	addr netip.AddrPort
}

// Listen opens a listener on the Host's address and port with an accept
// queue of backlog.
func (h *Host) Listen(port uint16, backlog int) (*Listener, error) {
	s, err := h.newSock()
	if err != nil {
		return nil, err
	}
	l := &Listener{s: s, addr: netip.AddrPortFrom(h.Addr(), port)}
	err = s.use(func(fd int) error {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return os.NewSyscallError("setsockopt(SO_REUSEADDR)", err)
		}
		if err := unix.Bind(fd, sockaddr(l.addr)); err != nil {
			return os.NewSyscallError("bind", err)
		}
		if err := unix.Listen(fd, backlog); err != nil {
			return os.NewSyscallError("listen", err)
		}
		sa, err := unix.Getsockname(fd)
		if err != nil {
			return os.NewSyscallError("getsockname", err)
		}
		l.addr = addrPort(sa)
		return nil
	})
	if err != nil {
		s.close(nil)
		return nil, &net.OpError{Op: "listen", Net: "tcp", Addr: tcpAddr(l.addr), Err: err}
	}
	return l, nil
}

// TryAccept returns the next established connection, or ErrWouldBlock.
func (l *Listener) TryAccept() (*Conn, error) {
	var nfd int
	var remote netip.AddrPort
	err := l.s.use(func(fd int) error {
		var sa unix.Sockaddr
		var err error
		nfd, sa, err = unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
		if err == unix.EAGAIN {
			return ErrWouldBlock
		}
		if err != nil {
			return os.NewSyscallError("accept", err)
		}
		remote = addrPort(sa)
		return nil
	})
	if err == ErrWouldBlock {
		return nil, err
	}
	if err != nil {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: tcpAddr(l.addr), Err: err}
	}
	// The accepted socket belongs to the listener's namespace, whatever
	// thread accepted it.
	s, err := l.s.h.adopt(nfd)
	if err != nil {
		return nil, err
	}
	return &Conn{s: s, local: l.addr, remote: remote}, nil
}

// Close stops listening; connections not yet accepted are reset.
func (l *Listener) Close() error { return l.s.close(nil) }

// Addr is the listening address.
func (l *Listener) Addr() net.Addr { return tcpAddr(l.addr) }

// id names the listener as the harness does: local end only.
func (l *Listener) id() harness.FourTuple {
	return harness.FourTuple{LocalAddr: l.addr.Addr(), LocalPort: l.addr.Port()}
}

// Port is the listening port (useful after Listen(0, ...)).
func (l *Listener) Port() uint16 { return l.addr.Port() }

// State is LISTEN while open, CLOSED after Close, read from TCP_INFO.
func (l *Listener) State() (harness.State, error) {
	var st uint8
	err := l.s.use(func(fd int) error {
		info, err := unix.GetsockoptTCPInfo(fd, unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return os.NewSyscallError("getsockopt(TCP_INFO)", err)
		}
		st = info.State
		return nil
	})
	if err == net.ErrClosed {
		return harness.Closed, nil
	}
	if err != nil {
		return harness.Closed, err
	}
	return stateFromLinux(st)
}
