package serve

import (
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// errorStatuses are the statuses the peer's errors stand for, as
// harness.Peer returns them (the standard library's errors).
var errorStatuses = []struct {
	err    error
	status peerproto.Status
}{
	{harness.ErrWouldBlock, peerproto.WouldBlock},
	{io.EOF, peerproto.EOF},
	{harness.ErrNotSupported, peerproto.Unsupported},
	{net.ErrClosed, peerproto.EBADF},
	{syscall.ECONNRESET, peerproto.ECONNRESET},
	{syscall.ECONNREFUSED, peerproto.ECONNREFUSED},
	{syscall.ETIMEDOUT, peerproto.ETIMEDOUT},
	{syscall.ECONNABORTED, peerproto.ECONNABORTED},
	{syscall.EPIPE, peerproto.EPIPE},
	{syscall.ENOTCONN, peerproto.ENOTCONN},
	{syscall.EADDRINUSE, peerproto.EADDRINUSE},
	{syscall.EINVAL, peerproto.EINVAL},
	{syscall.EBADF, peerproto.EBADF},
	{syscall.ENOBUFS, peerproto.ENOBUFS},
}

// errorOutcome is the reply for a call that returned err.
func errorOutcome(err error) outcome {
	if err == nil {
		return ok
	}
	for _, e := range errorStatuses {
		if errors.Is(err, e.err) {
			o := failure(e.status, 0, err.Error())
			if e.status == peerproto.WouldBlock || e.status == peerproto.EOF {
				o.msg = ""
			}
			return o
		}
	}
	return failure(peerproto.Other, 0, err.Error())
}
