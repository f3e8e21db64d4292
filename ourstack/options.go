package ourstack

import (
	"io"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Options configure a Stack.
type Options struct {
	// Addr is the stack's one address, IPv4 or IPv6: a Stack speaks the
	// family of its address.
	Addr netip.Addr
	// Clock drives every timer; nil means real time.
	Clock Clock
	// Rand is the source of the ISN key and ephemeral ports; nil means
	// crypto/rand. A seeded reader makes a run replayable. New reads every
	// secret it needs from it at once; nothing reads it later.
	Rand io.Reader
	// Send is the link: it is called with each outbound IP packet, which is
	// valid only during the call. It is called with the Stack's lock held and
	// must not call back into the Stack (queue the packet instead).
	Send func(pkt []byte)
	// TCP are the defaults for every connection.
	TCP tcp.Config
	// SYNQueue bounds half-open connections per listener (default 256); past
	// it the listener answers with SYN cookies (RFC 4987).
	SYNQueue int
	// OnStateChange, if set, is called (with the lock held) on every state
	// change of every connection, with the virtual time it happened at.
	// A connection born at a listener starts from LISTEN; one from Connect
	// from CLOSED. Changes within one event (a segment that carries both the
	// handshake's ACK and a FIN, say) are seen only as the state before and
	// after it.
	OnStateChange func(id tcp.FourTuple, from, to tcp.State, at time.Time)
}

// DefaultSYNQueue is the SYN queue bound when Options.SYNQueue is zero.
const DefaultSYNQueue = 256

// DefaultBacklog is the accept queue bound Listen uses for a backlog <= 0.
const DefaultBacklog = 128
