package harness

import (
	"errors"
	"net"
	"net/netip"
	"time"
)

// Side names an end of a Net. The client is the end that dials (or, in the
// close scenarios, closes first); the server listens.
type Side int

const (
	Client Side = iota
	Server
)

func (s Side) String() string {
	if s == Client {
		return "client"
	}
	return "server"
}

// Other is the opposite end.
func (s Side) Other() Side { return 1 - s }

// ErrWouldBlock is what a peer's non-blocking calls (Accept, Read, Write)
// return when the call would have to wait. Scenarios are one loop of act,
// settle, advance, so no call ever blocks.
var ErrWouldBlock = errors.New("harness: operation would block")

// ErrNotSupported is returned by a peer that has no such operation (the raw
// peer has no sockets).
var ErrNotSupported = errors.New("harness: operation not supported by this peer")

// Peer is one end of a Net: a TCP stack, or a test's hand on the wire. A peer
// deals in whole IPv4 packets in and out, and offers its application face
// through non-blocking calls.
type Peer interface {
	// Name is the peer kind: "gvisor", "ours", "linux", "raw".
	Name() string
	// Addr is the peer's IPv4 address.
	Addr() netip.Addr
	// Deliver hands the peer one inbound IPv4 packet. The peer copies what it
	// keeps; it may go on processing the packet until Settle.
	Deliver(pkt []byte)
	// Settle returns once the peer has finished processing everything
	// delivered to it and every application call made on it, and has passed
	// every packet that produced to PeerEnv.Transmit and every state change
	// to PeerEnv.StateChanged.
	Settle()
	// Listen opens a listening socket on port.
	Listen(port uint16) (Listener, error)
	// Dial starts an active open to raddr and returns at once, with the
	// handshake under way (the SYN goes out at the next Settle).
	Dial(raddr netip.AddrPort) (Conn, error)
	// Counters are the stack's own counts; ok is false for a peer that
	// keeps none (the raw peer).
	Counters() (c Counters, ok bool)
	// Close tears the peer down, releasing its goroutines.
	Close() error
}

// Breakable is a Peer that can fail outside its TCP conduct: a stack in
// another process that exited, stopped answering, or broke the protocol it
// is spoken to in (harness/exec). Broken is nil while the peer works, and
// then the first such failure for good; from then on the peer does
// nothing, and the Net's Settle, and every wait built on it, return the
// failure, so that a run ends at once instead of judging a stack that is
// no longer there. A failure that wraps ErrUnsupported means the peer
// cannot do what the run asked of it (a skip, not a failure).
type Breakable interface {
	Broken() error
}

// RealTimePeer is a Peer whose stack's timers run on real time, not on the
// Net's clock (Linux's kernel; a stack in another process that says so):
// its timers cost their real duration and fire to within a real-time
// slack, so a scenario that waits on them long does not run with it, and
// its timing is judged with that slack.
type RealTimePeer interface {
	RealTime() bool
}

// StateReporter is a Peer that may report no TCP states (a stack in
// another process that lacks the capability): the Net then notes when a
// test reads that end's states (StatesRead), so that a run that needed
// them is not judged on states that were never reported.
type StateReporter interface {
	ReportsStates() bool
}

// Counters are what a stack counted of its own doing, read from the stack
// (not from the wire): a check compares them with what the trace shows.
type Counters struct {
	// MalformedDropped is how many inbound packets the stack threw away as
	// malformed: a bad checksum, a header that does not hold together.
	MalformedDropped uint64
	// SYNCookiesSent is how many SYN-ACKs carried a SYN cookie (RFC 4987).
	SYNCookiesSent uint64
}

// BurstTaker is a Peer that takes several packets of one connection
// handed over at one instant together, as a host takes the burst its NIC
// hands it: Deliver for each, then one Settle. The Net hands over a burst
// only the packets that arrived at one instant, in one direction of one
// connection, without SYN, FIN or RST, and only when TakesBurst says the
// first may begin one. A peer that processes packets inside Deliver gains
// nothing by it; one that processes them on its own goroutine (gVisor)
// is saved a handoff per packet, and answers a burst as it would on a
// real host (gVisor ACKs once for the segments it processes in one wake).
type BurstTaker interface {
	// TakesBurst reports whether pkt, an intact segment, may begin a
	// burst: its connection is one the peer processes in order, packet by
	// packet, calling PeerEnv.Taking as it starts on each.
	TakesBurst(pkt []byte) bool
}

// ChecksumOffloader is a Peer whose network card can be told that the
// wire has verified a packet's checksums, as a NIC with receive checksum
// offload tells its host (Linux's CHECKSUM_UNNECESSARY). The Net hands
// over with DeliverVerified every packet whose IP and TCP checksums it
// found right when it recorded it, and with Deliver every other (a
// corrupted one, an ICMP error, a fragment), which the stack verifies
// itself as before: no corrupted packet gets past the stack's own check.
type ChecksumOffloader interface {
	// DeliverVerified is Deliver for a packet whose checksums are right.
	DeliverVerified(pkt []byte)
}

// BufferLender is a Peer whose stack takes an inbound packet in a buffer
// of its own (gVisor: a view of its pooled chunks): the wire writes every
// packet bound for it straight into a buffer it lends, and hands the
// buffer over with the packet, which saves copying each packet once more.
type BufferLender interface {
	// Lend returns a buffer of size bytes, for one packet bound for the
	// peer.
	Lend(size int) []byte
	// DeliverLent is Deliver, or DeliverVerified when verified, for a
	// packet in a lent buffer; the buffer goes back to the peer with it.
	DeliverLent(pkt []byte, verified bool)
	// Unlend gives back a lent buffer whose packet will not be delivered
	// (the wire lost it).
	Unlend(pkt []byte)
}

// PortDialer is a Peer that can dial from a local port of the caller's
// choosing (bind(2), then connect(2)): to reuse a four-tuple in TIME-WAIT,
// or to open simultaneously from both ends.
type PortDialer interface {
	// DialFrom is Dial from local port lport; 0 picks an ephemeral port.
	DialFrom(lport uint16, raddr netip.AddrPort) (Conn, error)
}

// DialFrom dials raddr from local port lport on p, or fails with
// ErrNotSupported if p cannot choose its port.
func DialFrom(p Peer, lport uint16, raddr netip.AddrPort) (Conn, error) {
	if d, ok := p.(PortDialer); ok {
		return d.DialFrom(lport, raddr)
	}
	return nil, ErrNotSupported
}

// Listener is a listening socket.
type Listener interface {
	// Accept returns the next established connection, or ErrWouldBlock.
	Accept() (Conn, error)
	Close() error
	Port() uint16
}

// Conn is one connection's application face. Every call returns at once.
type Conn interface {
	// ID is the connection's four-tuple, local side first.
	ID() FourTuple
	// Read copies received bytes into p. It returns ErrWouldBlock when none
	// are ready, io.EOF after the peer's FIN, and the error that ended the
	// connection (syscall.ECONNRESET, ...) after a reset or abort.
	Read(p []byte) (int, error)
	// Write queues as much of p as the send buffer takes (perhaps less than
	// len(p)); ErrWouldBlock when it takes nothing.
	Write(p []byte) (int, error)
	// CloseWrite half-closes: a FIN follows the data already written.
	CloseWrite() error
	// Close is the application's close (RFC 9293 3.10.4).
	Close() error
	// Abort resets the connection (RFC 9293 3.10.5, linger 0).
	Abort() error
	// State is the connection's current RFC 9293 state, read from the stack.
	State() State
}

// PeerEnv is what a Net gives each peer it builds.
type PeerEnv struct {
	Side  Side
	Addr  netip.Addr
	Clock *Clock
	// Seed is the Net's seed; a peer draws its randomness from
	// StreamRand/StreamReader(Seed, <its side and purpose>).
	Seed uint64
	// MTU of the link; a stack's MSS follows from it.
	MTU int
	// Transmit puts one outbound IPv4 packet on the wire. pkt is valid only
	// during the call. It is safe to call from any goroutine, but not
	// concurrently with itself.
	Transmit func(pkt []byte)
	// TransmitWith is Transmit for a packet of size bytes that fill writes
	// straight into the wire's buffer (all size bytes of it), for a peer
	// that would otherwise assemble the packet in a buffer of its own only
	// for Transmit to copy it: one copy fewer of every packet. Nil for a
	// peer built outside a Net.
	TransmitWith func(size int, fill func(pkt []byte))
	// StateChanged records a connection's state change.
	StateChanged func(StateChange)
	// Taking is for a BurstTaker: it calls it as it starts on each packet
	// of a burst after the first, before anything it sends in answer to
	// that packet, so that the trace shows what it had taken in when it
	// sent each packet. The packets of a burst it has not said it took by
	// the end of Settle count as taken then, in order. Safe to call from
	// any goroutine, but not concurrently with Transmit.
	Taking func()
}

// StreamName is the name of a peer's random stream for purpose.
func (e PeerEnv) StreamName(purpose string) string { return e.Side.String() + "/" + purpose }

// PeerMaker builds a peer for a Net.
type PeerMaker func(env PeerEnv) (Peer, error)

// StateChange is one transition of one connection at one end.
type StateChange struct {
	At       time.Duration // virtual time since Epoch
	Side     Side
	ID       FourTuple // local side first
	From, To State

	order uint64 // place among the trace's records and changes
}

// NoState stands for "this end keeps no TCP state" (the raw peer) in traces.
const NoState State = -1

// UnreadCounter is a Conn that can say how many bytes it has received
// that the application has not read (FIONREAD).
type UnreadCounter interface {
	Unread() int
}

// UnackedCounter is a Conn that can say how many bytes the application
// wrote that the peer has not acknowledged, sent or not (Linux's
// SIOCOUTQ).
type UnackedCounter interface {
	Unacknowledged() int
}

// Unread is how many bytes c has received and not handed to the
// application, or ErrNotSupported if its stack cannot say.
func Unread(c Conn) (int, error) {
	if u, ok := c.(UnreadCounter); ok {
		return u.Unread(), nil
	}
	return 0, ErrNotSupported
}

// Unacknowledged is how many bytes written on c its peer has not
// acknowledged, or ErrNotSupported if its stack cannot say.
func Unacknowledged(c Conn) (int, error) {
	if u, ok := c.(UnackedCounter); ok {
		return u.Unacknowledged(), nil
	}
	return 0, ErrNotSupported
}

// KeepAliver is a Conn whose keep-alive (RFC 1122 4.2.3.6) an application
// can set, as with *net.TCPConn's SetKeepAliveConfig.
type KeepAliver interface {
	SetKeepAliveConfig(cfg net.KeepAliveConfig) error
}

// SetKeepAlive sets c's keep-alive, or fails with ErrNotSupported if c's
// peer has no such socket option.
func SetKeepAlive(c Conn, cfg net.KeepAliveConfig) error {
	if k, ok := c.(KeepAliver); ok {
		return k.SetKeepAliveConfig(cfg)
	}
	return ErrNotSupported
}
