package ourstack

import (
	"errors"
	"net"
)

// ErrWouldBlock is what TryRead, TryWrite and TryAccept return when the call
// would have to wait.
var ErrWouldBlock = errors.New("ourstack: operation would block")

// ErrNoPorts is the error Dial and Connect wrap when every ephemeral port to
// the destination is in use.
var ErrNoPorts = errors.New("ourstack: no free ephemeral port")

// opError wraps err the way the standard library's net package does, so
// callers can test it with errors.Is (syscall.ECONNRESET,
// os.ErrDeadlineExceeded, net.ErrClosed ...) and net.Error's Timeout.
func opError(op string, local, remote net.Addr, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: local, Addr: remote, Err: err}
}
