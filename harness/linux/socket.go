package linux

import (
	"net"
	"net/netip"
	"os"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/tcpbed/tcpbed/harness"
)

// ErrWouldBlock is what TryRead, TryWrite, TryAccept and Connected return
// when the call would have to wait (the kernel said EAGAIN or EINPROGRESS).
// It is the harness's own, so a Conn's errors need no translation.
var ErrWouldBlock = harness.ErrWouldBlock

// sock is a non-blocking socket fd in the Host's namespace. Every use of the
// fd holds mu, so Close (by its owner or by Host.Close) can never race a
// syscall onto an fd number the kernel has since given to someone else.
type sock struct {
	h  *Host
	mu sync.Mutex
	fd int // -1 once closed
}

// newSock creates a TCP socket inside the namespace (socket() is the one
// call whose namespace is the calling thread's; the fd keeps it afterwards)
// and registers it with the Host so Host.Close can close it.
func (h *Host) newSock() (*sock, error) {
	var fd int
	err := h.ns.do(func() (err error) {
		fd, err = unix.Socket(h.family(), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
		if err != nil {
			return os.NewSyscallError("socket", err)
		}
		if h.family() == unix.AF_INET6 {
			// IPv6 only: a listener's accepted connections then come from
			// IPv6 addresses alone, never as IPv4-mapped ones (RFC 3493 5.3).
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 1); err != nil {
				unix.Close(fd)
				return os.NewSyscallError("setsockopt(IPV6_V6ONLY)", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h.adopt(fd)
}

// family is the address family of the Host's sockets: its address's.
func (h *Host) family() int {
	if h.Addr().Is6() {
		return unix.AF_INET6
	}
	return unix.AF_INET
}

// adopt registers fd (already in the namespace) with the Host.
func (h *Host) adopt(fd int) (*sock, error) {
	s := &sock{h: h, fd: fd}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		unix.Close(fd)
		return nil, ErrClosed
	}
	h.sockets[s] = struct{}{}
	return s, nil
}

// use runs f with the fd, or returns net.ErrClosed.
func (s *sock) use(f func(fd int) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return net.ErrClosed
	}
	return f(s.fd)
}

// close runs before (if not nil) on the fd, then closes it.
func (s *sock) close(before func(fd int) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fd < 0 {
		return net.ErrClosed
	}
	var err error
	if before != nil {
		err = before(s.fd)
	}
	if cerr := unix.Close(s.fd); cerr != nil && err == nil {
		err = os.NewSyscallError("close", cerr)
	}
	s.fd = -1
	s.h.mu.Lock()
	delete(s.h.sockets, s)
	s.h.mu.Unlock()
	return err
}

// sockaddr converts an address and port for bind and connect, in the
// address's family.
func sockaddr(ap netip.AddrPort) unix.Sockaddr {
	if ap.Addr().Is6() {
		return &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}
	}
	return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
}

// addrPort converts what getsockname, getpeername and accept return.
func addrPort(sa unix.Sockaddr) netip.AddrPort {
	switch in := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(in.Addr), uint16(in.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(in.Addr), uint16(in.Port))
	}
	return netip.AddrPort{}
}

// tcpAddr is ap as the net package prints it.
func tcpAddr(ap netip.AddrPort) *net.TCPAddr { return net.TCPAddrFromAddrPort(ap) }
