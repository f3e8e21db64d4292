package tcp

// CONTRACT (to be replaced by the implementation in tcb.go and friends).
// This file fixes the API that ourstack's Stack (package ourstack) codes
// against while the TCB is being written. The TCB is sans-I/O: it never reads
// a clock, never touches a socket, never starts a goroutine. The caller hands
// it segments and the time, polls it for segments to send, and asks it when it
// next needs attention.

import (
	"net/netip"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Errors the TCB reports; they are the syscall errnos so that errors.Is works
// the standard library's way once the Stack wraps them in *net.OpError.
var (
	ErrConnectionReset   error = syscall.ECONNRESET
	ErrConnectionRefused error = syscall.ECONNREFUSED
	ErrTimedOut          error = syscall.ETIMEDOUT
	ErrConnectionAborted error = syscall.ECONNABORTED
	ErrNotConnected      error = syscall.ENOTCONN
	ErrClosing           error = syscall.EPIPE // send after CLOSE / CloseWrite
)

// FourTuple names a connection.
type FourTuple struct {
	LocalAddr  netip.Addr
	LocalPort  uint16
	RemoteAddr netip.Addr
	RemotePort uint16
}

// Config are a connection's tunables. Zero fields take the defaults named.
type Config struct {
	MSS               uint16        // MSS we advertise; default 1460
	SendBuffer        int           // bytes; default 256 KiB
	ReceiveBuffer     int           // bytes; default 256 KiB; sets the window scale we offer
	MSL               time.Duration // default 30 s; TIME-WAIT lasts 2*MSL
	InitialRTO        time.Duration // default 1 s (RFC 6298 2.1)
	MinRTO            time.Duration // default 200 ms
	MaxRTO            time.Duration // default 60 s (RFC 6298 2.5 allows a cap >= 60 s)
	SynRetries        int           // SYN / SYN-ACK retransmissions before giving up; default 5
	DataRetries       int           // data retransmissions before aborting; default 12
	DelayedACK        time.Duration // default 200 ms (RFC 9293 3.8.6.3: < 0.5 s); negative disables
	NoDelay           bool          // disable Nagle (RFC 9293 3.7.4)
	NoWindowScale     bool          // do not offer window scale
	NoSACK            bool          // do not offer SACK-permitted
	NoTimestamps      bool          // do not offer timestamps
	KeepAlive         bool          // off by default (RFC 1122 4.2.3.6)
	KeepIdle          time.Duration // default 2 h
	KeepInterval      time.Duration // default 75 s
	KeepCount         int           // default 9
	Congestion        string        // "newreno" (default)
	ChallengeACKLimit int           // challenge ACKs per second (RFC 5961 7); default 10
}

// Verdict is what HandleSegment tells the Stack it must do beyond the
// segments the TCB queued itself.
type Verdict int

const (
	// Handled: nothing more to do.
	Handled Verdict = iota
	// ReopenFromTimeWait: the segment is a SYN the TCB in TIME-WAIT accepts
	// as the start of a new incarnation (RFC 9293 3.10.7.4 note, RFC 6191);
	// the Stack drops this TCB and hands the SYN to the listener.
	ReopenFromTimeWait
)

// TCB is one connection's transmission control block.
type TCB struct{}

// Open starts an active open (RFC 9293 3.10.1): the TCB enters SYN-SENT and
// queues a SYN with iss as its sequence number.
func Open(cfg Config, id FourTuple, iss seqnum.Value, now time.Time) *TCB { return &TCB{} }

// OpenPassive answers a SYN that arrived at a listener (RFC 9293 3.10.7.2):
// the TCB enters SYN-RECEIVED and queues a SYN-ACK with iss.
func OpenPassive(cfg Config, id FourTuple, syn *wire.Segment, iss seqnum.Value, now time.Time) *TCB {
	return &TCB{}
}

// OpenFromCookie builds an ESTABLISHED TCB from the ACK that completed a
// SYN-cookie handshake (RFC 4987 3.6): iss and irs are recovered from the ACK
// (iss = ack.Ack-1, irs = ack.Seq-1); mss is the MSS the cookie encoded; the
// SYN's other options are lost, as with any cookie scheme that does not use
// timestamps to carry them.
func OpenFromCookie(cfg Config, id FourTuple, ack *wire.Segment, mss uint16, now time.Time) *TCB {
	return &TCB{}
}

// RespondClosed returns the RST RFC 9293 3.10.7.1 requires for a segment that
// arrives where no connection exists (and ok=false when none is to be sent:
// the segment was itself an RST).
func RespondClosed(seg *wire.Segment) (rst wire.Segment, ok bool) { return wire.Segment{}, false }

// ID is the connection's four-tuple.
func (t *TCB) ID() FourTuple { return FourTuple{} }

// State is the RFC 9293 state.
func (t *TCB) State() State { return Closed }

// HandleSegment is SEGMENT ARRIVES (RFC 9293 3.10.7) for this connection.
// seg has been parsed and its checksums verified by the Stack.
func (t *TCB) HandleSegment(now time.Time, seg *wire.Segment) Verdict { return Handled }

// HandleTimers runs every timer whose deadline is at or before now.
func (t *TCB) HandleTimers(now time.Time) {}

// Deadline is when HandleTimers must next run; ok is false when no timer is armed.
func (t *TCB) Deadline() (deadline time.Time, ok bool) { return time.Time{}, false }

// Poll hands each segment the TCB wants sent to emit, in order, with ports,
// seq, ack, window and options filled in. The segment (and its Payload, which
// may alias the send buffer) is valid only during the call.
func (t *TCB) Poll(now time.Time, emit func(seg *wire.Segment)) {}

// Send is SEND: it copies as much of p as the send buffer has room for and
// returns how much it took. It returns an error once the connection can no
// longer send (after CloseWrite or Close: ErrClosing; after reset or abort:
// the error that ended it).
func (t *TCB) Send(now time.Time, p []byte) (int, error) { return 0, nil }

// Receive is RECEIVE: it copies in-order received data into p. It returns
// (0, nil) when nothing is ready yet, io.EOF once the peer's FIN has been
// reached, and the connection's error after a reset or abort.
func (t *TCB) Receive(now time.Time, p []byte) (int, error) { return 0, nil }

// CloseWrite is a half-close: queue a FIN after the data already sent.
func (t *TCB) CloseWrite(now time.Time) error { return nil }

// Close is CLOSE (RFC 9293 3.10.4): CloseWrite, and the application will not
// read any more. If unread data is waiting, the TCB aborts with an RST
// instead (RFC 1122 4.2.2.13); so does data that arrives afterwards.
func (t *TCB) Close(now time.Time) error { return nil }

// Abort is ABORT (RFC 9293 3.10.5): send RST if synchronized, go to CLOSED.
func (t *TCB) Abort(now time.Time) {}

// Readable reports whether Receive would return something other than (0, nil).
func (t *TCB) Readable() bool { return false }

// Writable reports whether Send would take at least one byte or return an error.
func (t *TCB) Writable() bool { return false }

// Err is the error that ended the connection, or nil.
func (t *TCB) Err() error { return nil }

// Established reports that the connection has reached ESTABLISHED at least once.
func (t *TCB) Established() bool { return false }

// Done reports that the TCB is CLOSED and holds nothing more: the Stack may
// forget it.
func (t *TCB) Done() bool { return false }

// Stats are the connection's counters.
type Stats struct {
	SegmentsSent, SegmentsReceived uint64
	Retransmits                    uint64
	OutOfOrder                     uint64
	DupACKs                        uint64
	ChallengeACKs                  uint64
}

// Stats returns the connection's counters.
func (t *TCB) Stats() Stats { return Stats{} }
