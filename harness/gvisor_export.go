package harness

import (
	"gvisor.dev/gvisor/pkg/tcpip"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// GVisorState maps a gVisor TCP endpoint's state (tcpip.Endpoint.State())
// onto RFC 9293's, as the gVisor peer reports it: connecting is SYN-SENT;
// initial, bound, closed and error are CLOSED.
func GVisorState(s uint32) State { return gvisorState(gtcp.EndpointState(s)) }

// GVisorError turns a tcpip.Error into the error the standard library would
// return, as the gVisor peer's Conn does: ErrWouldBlock, io.EOF, or a
// syscall.Errno (ECONNRESET, ECONNREFUSED, ETIMEDOUT, ...).
func GVisorError(op string, err tcpip.Error) error { return gvisorError(op, err) }
