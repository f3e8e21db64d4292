// Package ourstack is tcpbed's TCP/IPv4 stack, written from the RFCs. It reads
// and writes whole IPv4 packets and knows nothing of gVisor or the harness.
package ourstack

// CONTRACT (to be replaced by the implementation in stack.go, conn.go,
// listener.go ...). This file fixes the API the harness codes against.

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Clock is where ourstack gets time. gVisor's tcpip.Clock has the same shape
// (the harness adapts its virtual clock to both); nil means the real clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has elapsed. A virtual clock may call f
	// synchronously from inside its Advance.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	Stop() bool
	Reset(d time.Duration)
}

// Options configure a Stack.
type Options struct {
	// Addr is the stack's one IPv4 address.
	Addr netip.Addr
	// Clock drives every timer; nil means real time.
	Clock Clock
	// Rand is the source of the ISN key and ephemeral ports; nil means
	// crypto/rand. A seeded reader makes a run replayable.
	Rand io.Reader
	// Send is the link: it is called with each outbound IPv4 packet, which is
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
	OnStateChange func(id tcp.FourTuple, from, to tcp.State, at time.Time)
}

// ErrWouldBlock is what TryRead, TryWrite and TryAccept return when the call
// would have to wait.
var ErrWouldBlock = errors.New("ourstack: operation would block")

// Stack is one host's TCP/IPv4 stack.
type Stack struct{}

// New builds a Stack.
func New(opts Options) (*Stack, error) { return &Stack{}, nil }

// DeliverPacket hands the stack one inbound IPv4 packet. It processes it
// synchronously: any reply has been passed to Options.Send before it returns.
// A malformed packet is counted (Stats) and dropped.
func (s *Stack) DeliverPacket(pkt []byte) {}

// Connect starts an active open to raddr and returns at once with the Conn in
// SYN-SENT (the SYN already passed to Send). Dial is Connect plus waiting.
func (s *Stack) Connect(raddr netip.AddrPort) (*Conn, error) { return nil, nil }

// Dial connects to address ("192.0.2.2:80"), network "tcp" or "tcp4", and
// waits for the handshake or ctx.
func (s *Stack) Dial(ctx context.Context, network, address string) (*Conn, error) { return nil, nil }

// Listen opens a listener on port with an accept queue of backlog.
func (s *Stack) Listen(port uint16, backlog int) (*Listener, error) { return nil, nil }

// Close aborts every connection and listener.
func (s *Stack) Close() error { return nil }

// StackStats are the stack-wide counters.
type StackStats struct {
	PacketsReceived, PacketsSent uint64
	MalformedPackets             uint64 // any parse error
	BadChecksums                 uint64 // of those, checksum failures
	ResetsSent                   uint64
	SYNCookiesSent               uint64
	SYNCookiesAccepted           uint64
	tcp.Stats                    // summed over connections
}

// Stats returns the stack-wide counters.
func (s *Stack) Stats() StackStats { return StackStats{} }

// Listener is a net.Listener.
type Listener struct{}

func (l *Listener) Accept() (net.Conn, error) { return nil, nil }
func (l *Listener) TryAccept() (*Conn, error) { return nil, ErrWouldBlock }
func (l *Listener) Close() error              { return nil }
func (l *Listener) Addr() net.Addr            { return &net.TCPAddr{} }

// Conn is a net.Conn with CloseWrite, like *net.TCPConn.
type Conn struct{}

func (c *Conn) Read(p []byte) (int, error)         { return 0, nil }
func (c *Conn) Write(p []byte) (int, error)        { return 0, nil }
func (c *Conn) TryRead(p []byte) (int, error)      { return 0, ErrWouldBlock }
func (c *Conn) TryWrite(p []byte) (int, error)     { return 0, ErrWouldBlock }
func (c *Conn) CloseWrite() error                  { return nil }
func (c *Conn) Close() error                       { return nil }
func (c *Conn) Abort() error                       { return nil }
func (c *Conn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *Conn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *Conn) SetDeadline(t time.Time) error      { return nil }
func (c *Conn) SetReadDeadline(t time.Time) error  { return nil }
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }
func (c *Conn) SetNoDelay(noDelay bool) error      { return nil }
func (c *Conn) State() tcp.State                   { return tcp.Closed }
func (c *Conn) ID() tcp.FourTuple                  { return tcp.FourTuple{} }
func (c *Conn) Stats() tcp.Stats                   { return tcp.Stats{} }
