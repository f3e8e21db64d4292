// Package tcp is ourstack's transmission control block: one TCP connection's
// state machine, written from RFC 9293 section 3.10 and the RFCs it leans on.
//
// The TCB is sans-I/O: it never reads a clock, never touches a socket, never
// starts a goroutine. The caller (ourstack's Stack) hands it segments and the
// time, polls it for segments to send, and asks it when it next needs
// attention. One file per concept:
//
//	tcb.go              the struct, its constructors, its accessors
//	state.go            the eleven states of RFC 9293 3.3.2 and their names
//	config.go           Config and its defaults
//	sockopts.go         what an application changes on a live connection
//	header_options.go   SYN option negotiation, timestamps, PAWS, window scale
//	segment_arrives.go  SEGMENT ARRIVES, RFC 9293 3.10.7, every state
//	user_calls.go       SEND, RECEIVE, CLOSE, ABORT, RFC 9293 3.10.2-3.10.5
//	sender.go           Poll: segmentation, Nagle, SWS, windows, retransmission
//	sendbuf_tune.go     send-buffer autotuning with the congestion window
//	output.go           building each outgoing segment: ACK, window, options
//	persist.go          zero-window probes and the SWS override timer
//	loss_probe.go       tail loss probe (RFC 8985 7)
//	recovery.go         congestion control and loss recovery (RFC 5681, 6582, 6675)
//	lost_retransmit.go  RACK's rule for retransmissions lost again (RFC 8985 6.2)
//	spurious_undo.go    undoing a recovery timestamps prove spurious (RFC 3522, 4015)
//	receiver.go         receive window, delayed and quick ACKs, reassembly, SACK
//	byte_ring.go        the receive buffer
//	timers.go           the one enum of timers and what each does when it fires
//	keepalive.go        RFC 1122 4.2.3.6 keep-alives
//	respond_closed.go   the RST for a segment that finds no connection
//
// The send buffer (tcp/sendbuf), the out-of-order queue (tcp/reassembly),
// the RTO estimator (tcp/rtt) and the congestion window arithmetic with the
// SACK scoreboard (tcp/congestion) are packages of their own; the TCB
// decides when each is consulted.
//
// Where the TCB follows Linux rather than the letter of an RFC, the comment
// says so: Minshall's Nagle, quick ACKs, the delayed-ACK cap, the SYN-ACK
// answer to a retransmitted SYN, the FIN-WAIT-2 timeout, bare ACKs numbered
// SND.MAX after a go-back-N rewind (BSD). Where it departs
// from RFC 9293 for a later RFC, it cites it: RFC 5961 (challenge ACKs) and
// RFC 1337 (an RST in TIME-WAIT is ignored).
package tcp

import (
	"cmp"
	"net/netip"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp/rtt"
	"github.com/tcpbed/tcpbed/ourstack/tcp/sendbuf"
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

// Reverse is the same connection seen from the other end.
func (id FourTuple) Reverse() FourTuple {
	return FourTuple{LocalAddr: id.RemoteAddr, LocalPort: id.RemotePort, RemoteAddr: id.LocalAddr, RemotePort: id.LocalPort}
}

// Compare orders four-tuples (local address, local port, remote address,
// remote port), so that connections can be listed in one order every run.
func (id FourTuple) Compare(o FourTuple) int {
	return cmp.Or(
		id.LocalAddr.Compare(o.LocalAddr),
		cmp.Compare(id.LocalPort, o.LocalPort),
		id.RemoteAddr.Compare(o.RemoteAddr),
		cmp.Compare(id.RemotePort, o.RemotePort),
	)
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

// Stats are the connection's counters.
type Stats struct {
	SegmentsSent, SegmentsReceived uint64
	Retransmits                    uint64
	OutOfOrder                     uint64
	DupACKs                        uint64
	ChallengeACKs                  uint64
	// Timeouts counts retransmission timeouts on data; FastRecoveries the
	// loss recoveries entered on duplicate ACKs or SACK (RFC 5681 3.2, RFC
	// 6675 5); LossProbes the tail loss probes sent (RFC 8985 7.3).
	Timeouts, FastRecoveries, LossProbes uint64
	// LostRetransmits counts retransmissions RACK found lost and sent
	// again (RFC 8985 6.2).
	LostRetransmits uint64
	// SpuriousRecoveries counts recoveries undone because timestamps showed
	// the retransmissions unneeded (RFC 3522, RFC 4015).
	SpuriousRecoveries uint64
	// ICMPIgnored counts ICMP errors that quoted a sequence number outside
	// SND.UNA..SND.NXT (RFC 5927 4.1) or reported a path MTU no smaller
	// than the segments we send; PathMTUReductions the reports that made
	// our segments smaller (RFC 1191, RFC 8201).
	ICMPIgnored, PathMTUReductions uint64
}

// TCB is one connection's transmission control block (RFC 9293 3.3.1).
type TCB struct {
	cfg Config
	// cfgSendBuffer is Config.SendBuffer as given, before defaults: zero
	// means autotune.
	cfgSendBuffer int
	id            FourTuple
	state         State
	// err ended the connection (reset, refused, timed out); Send and
	// Receive report it once the data before it is gone.
	err error
	// softErr is the last soft ICMP error (HandleICMP), reported instead
	// of ErrTimedOut if the connection times out.
	softErr error
	// everEstablished: the connection reached ESTABLISHED at least once.
	everEstablished bool
	// activeOpen: the TCB began in SYN-SENT. In SYN-RECEIVED it decides
	// what an RST means (RFC 9293 3.10.7.4 second check).
	activeOpen bool

	// Send sequence space (RFC 9293 3.3.1, figure 3).
	iss    seqnum.Value
	sndUna seqnum.Value
	// sndNxt is the next sequence number to send. It rewinds to sndUna when
	// the retransmission timer fires (go-back-N, RFC 5681 3.1 with RFC 6298
	// 5.4), so sndMax remembers how far we ever sent: an ACK up to sndMax
	// acknowledges something we did send.
	sndNxt    seqnum.Value
	sndMax    seqnum.Value
	sndWnd    uint32 // the peer's window in bytes, scaled
	maxSndWnd uint32 // largest window the peer ever offered (RFC 9293 3.8.6.2.1, RFC 5961 5.2)
	sndWl1    seqnum.Value
	sndWl2    seqnum.Value

	// Receive sequence space.
	irs    seqnum.Value
	rcvNxt seqnum.Value
	// rcvAdv is the right edge of the window we last advertised
	// (RCV.NXT+RCV.WND when we sent it). It never moves left (RFC 9293
	// 3.8.6.2.2, RFC 7323 2.4).
	rcvAdv seqnum.Value

	opts negotiated

	// Send side. sendBuf is created on first use: a half-open connection
	// costs no buffer memory. finQueued: CloseWrite or Close was called; the
	// FIN follows the last byte of sendBuf.
	sendBuf   *sendbuf.Buffer
	finQueued bool

	recv receiver
	snd  sender

	timers [numTimers]time.Time
	rto    *rtt.Estimator

	// lastHeard is when the last acceptable segment arrived.
	lastHeard time.Time
	keepalive keepaliveState
	challenge challengeLimiter

	// Pending control output, emitted by the next Poll.
	ackNow    bool // an ACK must go out (data, FIN, unacceptable segment)
	resendSyn bool // SYN-RECEIVED saw the peer's SYN again
	rst       pendingRST

	stats Stats
	out   wire.Segment // the segment Poll hands to emit; reused, never escapes
}

// pendingRST is an RST the TCB owes, built when the reason for it arrived.
type pendingRST struct {
	pending bool
	seq     seqnum.Value
	ack     seqnum.Value
	withACK bool
}

func newTCB(cfg Config, id FourTuple, iss seqnum.Value, now time.Time) *TCB {
	given := cfg.SendBuffer
	cfg = cfg.WithDefaults()
	t := &TCB{
		cfg:           cfg,
		cfgSendBuffer: given,
		id:            id,
		iss:           iss,
		sndUna:        iss,
		sndNxt:        iss,
		sndMax:        iss,
		rto:           rtt.New(cfg.InitialRTO, cfg.MinRTO, cfg.MaxRTO),
	}
	t.opts.init(cfg, iss, id.LocalAddr.Is6())
	t.recv.init(cfg)
	t.snd.init(t)
	t.lastHeard = now
	return t
}

// Open starts an active open (RFC 9293 3.10.1): the TCB enters SYN-SENT and
// queues a SYN with iss as its sequence number.
func Open(cfg Config, id FourTuple, iss seqnum.Value, now time.Time) *TCB {
	t := newTCB(cfg, id, iss, now)
	t.activeOpen = true
	t.state = SynSent
	return t
}

// OpenPassive answers a SYN that arrived at a listener (RFC 9293 3.10.7.2):
// the TCB enters SYN-RECEIVED and queues a SYN-ACK with iss.
//
// Data carried on the SYN is not accepted (it is not acknowledged, so the
// peer sends it again once the connection is established); Linux without
// TCP Fast Open does the same.
func OpenPassive(cfg Config, id FourTuple, syn *wire.Segment, iss seqnum.Value, now time.Time) *TCB {
	t := newTCB(cfg, id, iss, now)
	t.state = SynReceived
	t.irs = syn.Seq
	t.rcvNxt = syn.Seq.Add(1)
	t.rcvAdv = t.rcvNxt // the SYN-ACK moves it out
	t.opts.lastAckSent = t.rcvNxt
	t.opts.negotiateFromSYN(t.cfg, syn, now)
	t.recv.setShift(t.opts.rcvShift)
	// RFC 7323 2.2: the window of a SYN is never scaled.
	t.setSendWindow(uint32(syn.Window), syn.Seq, syn.Ack)
	t.recv.rememberMSS(t.opts.sendMSS)
	t.snd.mssChanged(t)
	return t
}

// OpenFromCookie builds an ESTABLISHED TCB from the ACK that completed a
// SYN-cookie handshake (RFC 4987 3.6): iss and irs are recovered from the ACK
// (iss = ack.Ack-1, irs = ack.Seq-1); mss is the MSS the cookie encoded; the
// SYN's other options are lost, as with any cookie scheme that does not use
// timestamps to carry them.
//
// The TCB processes the ACK itself, data and FIN included: the Stack must not
// hand the same segment to HandleSegment again (if it does, the data is a
// duplicate and only draws an ACK).
func OpenFromCookie(cfg Config, id FourTuple, ack *wire.Segment, mss uint16, now time.Time) *TCB {
	iss := ack.Ack.Add(^seqnum.Size(0)) // ack.Ack - 1
	t := newTCB(cfg, id, iss, now)
	t.irs = ack.Seq.Add(^seqnum.Size(0))
	t.rcvNxt = ack.Seq
	// The SYN-ACK the listener sent for us carried no window scale, so the
	// window it advertised is whatever fits in 16 bits.
	t.rcvAdv = t.rcvNxt.Add(seqnum.Size(t.recv.synWindow()))
	t.opts.lastAckSent = t.rcvNxt
	t.opts.negotiateCookie(t.cfg, mss)
	t.recv.rememberMSS(t.opts.sendMSS)
	t.snd.mssChanged(t)
	t.sndNxt = iss.Add(1)
	t.sndMax = t.sndNxt
	t.state = SynReceived
	t.HandleSegment(now, ack)
	return t
}

// SetTimestampOffset sets the offset our TSval clock carries (RFC 7323
// 5.4). The Stack derives it from the four-tuple (RFC 7323 7.1), so that
// timestamps keep increasing across incarnations of one four-tuple and RFC
// 6191's TIME-WAIT test can tell a new SYN from an old duplicate. Call it
// before the first Poll: a TSval already sent would jump.
func (t *TCB) SetTimestampOffset(off uint32) { t.opts.tsOffset = off }

// SendEnd is the sequence number after the highest one this connection
// ever sent (its FIN included): where a new incarnation of its four-tuple
// must start above (RFC 9293 3.6, RFC 1122 4.2.2.13).
func (t *TCB) SendEnd() seqnum.Value { return t.sndMax }

// ID is the connection's four-tuple.
func (t *TCB) ID() FourTuple { return t.id }

// State is the RFC 9293 state.
func (t *TCB) State() State { return t.state }

// Err is the error that ended the connection, or nil.
func (t *TCB) Err() error { return t.err }

// Established reports that the connection has reached ESTABLISHED at least once.
func (t *TCB) Established() bool { return t.everEstablished }

// Done reports that the TCB is CLOSED and holds nothing more: the Stack may
// forget it.
func (t *TCB) Done() bool {
	return t.state == Closed && !t.rst.pending && !t.ackNow
}

// Stats returns the connection's counters.
func (t *TCB) Stats() Stats { return t.stats }

// Config returns the connection's configuration with every default filled in.
func (t *TCB) Config() Config { return t.cfg }

// setState moves to a new state, doing what every entry into that state
// needs.
func (t *TCB) setState(s State, now time.Time) {
	if t.state == s {
		return
	}
	t.state = s
	switch s {
	case Established:
		t.everEstablished = true
		t.recv.enterQuickAck()
		if t.rto.Backoffs() > 0 {
			t.rto.AfterSYNTimeout() // RFC 6298 5.7
		}
	case TimeWait:
		// Nothing is left to send or time but the 2MSL wait itself.
		t.stopAllTimers()
		t.snd.releaseBuffers(t)
		t.arm(timerTimeWait, now.Add(2*t.cfg.MSL))
	case Closed:
		t.stopAllTimers()
		t.snd.releaseBuffers(t)
		t.recv.release()
		t.ackNow = false
		t.resendSyn = false
	}
}

// terminate ends the connection with err (nil for a clean end) and enters
// CLOSED. RFC 9293 3.10.7.4: "All segment queues should be flushed."
func (t *TCB) terminate(err error, now time.Time) {
	if t.err == nil {
		t.err = err
	}
	if err != nil {
		// RFC 9293 3.10.7.4 on RST: "any outstanding RECEIVEs and SEND
		// should receive "reset" responses. All segment queues should be
		// flushed." The peer's FIN went with the queue: Receive must
		// report the reset, not an EOF that claims every byte arrived.
		t.recv.flush()
		t.recv.finReceived = false
	}
	t.setState(Closed, now)
}
