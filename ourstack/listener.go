package ourstack

import (
	"net"
	"net/netip"
	"os"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// Listener is a net.Listener: a passive OPEN (RFC 9293 3.10.1) on one port.
//
// It holds two bounded queues, as BSD and Linux do: the SYN queue of
// connections in SYN-RECEIVED (Options.SYNQueue), and the accept queue of
// connections that finished their handshake and wait for Accept (the
// backlog). When the SYN queue is full the listener answers SYNs with SYN
// cookies and keeps nothing for them. When the accept queue is full it drops
// SYNs and handshake-completing ACKs, so that peers retransmit until Accept
// makes room.
type Listener struct {
	s       *Stack
	port    uint16
	addr    *net.TCPAddr
	backlog int

	synQueue int     // connections in s.conns with listener == this, inSYNQueue
	accepts  []*Conn // established, waiting for Accept, oldest first
	closed   bool
	wake     waker
	deadline deadline // for Accept, as net.TCPListener's SetDeadline

	// cookieSlot is the cookie counter when this listener last sent a SYN
	// cookie. Returning ACKs are checked as cookies only while cookies sent
	// then can still be valid (Linux does the same), so that a listener
	// which never overflowed never accepts a guessed cookie.
	cookieSlot  uint64
	cookiesSent bool
}

// Listen opens a listener on port with an accept queue of backlog (a
// backlog <= 0 means DefaultBacklog). Port 0 picks a free ephemeral port.
func (s *Stack) Listen(port uint16, backlog int) (*Listener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fail := func(err error) (*Listener, error) {
		return nil, opError("listen", nil, tcpAddr(s.addr, port), err)
	}
	if s.closed {
		return fail(net.ErrClosed)
	}
	if port == 0 {
		p, ok := s.ports.pick(s.addr, netip.AddrPort{}, s.localPortInUse)
		if !ok {
			return fail(ErrNoPorts)
		}
		port = p
	}
	if s.listeners[port] != nil {
		return fail(syscall.EADDRINUSE)
	}
	if backlog <= 0 {
		backlog = DefaultBacklog
	}
	l := &Listener{s: s, port: port, addr: tcpAddr(s.addr, port), backlog: backlog}
	s.listeners[port] = l
	return l, nil
}

// localPortInUse reports whether a listener or any connection uses port.
func (s *Stack) localPortInUse(port uint16) bool {
	if s.listeners[port] != nil {
		return true
	}
	for id := range s.conns {
		if id.LocalPort == port {
			return true
		}
	}
	return false
}

func (l *Listener) acceptQueueFull() bool { return len(l.accepts) >= l.backlog }

// segmentForListener is SEGMENT ARRIVES in the LISTEN state
// (RFC 9293 3.10.7.2) for a four-tuple with no connection.
func (s *Stack) segmentForListener(l *Listener, id tcp.FourTuple, seg *wire.Segment, now time.Time) {
	switch {
	case seg.Flags.Has(wire.FlagRST):
		// "First, check for a RST: An incoming RST should be ignored."
		return
	case seg.Flags.Has(wire.FlagACK):
		// "Second, check for an ACK: Any acknowledgment is bad if it
		// arrives on a connection still in the LISTEN state", unless it
		// returns one of our SYN cookies (RFC 4987 3.6).
		if !seg.Flags.Has(wire.FlagSYN) && l.cookiesMayReturn(s.cookies.counter(now)) {
			if mss, ok := s.cookies.check(id, seg.Ack-1, seg.Seq-1, now); ok {
				s.acceptCookie(l, id, seg, mss, now)
				return
			}
			s.stats.SYNCookiesRejected++
		}
		s.respondClosed(id, seg) // <SEQ=SEG.ACK><CTL=RST>
	case seg.Flags.Has(wire.FlagSYN):
		s.synForListener(l, id, seg, now)
	default:
		// "Any other control or text-bearing segment (not containing SYN)
		// must have an ACK and thus would be discarded by the ACK
		// processing." Drop it.
	}
}

// synForListener is RFC 9293 3.10.7.2's third check, a SYN: a new
// connection in SYN-RECEIVED, or a SYN cookie when the SYN queue is full.
func (s *Stack) synForListener(l *Listener, id tcp.FourTuple, syn *wire.Segment, now time.Time) {
	s.synForListenerAbove(l, id, syn, now, 0, false)
}

// synForListenerAbove is synForListener for a SYN that reopens a four-tuple
// whose last incarnation's sequence numbers ended at oldEnd (if reopen): the
// ISN is the clock's (RFC 6528) unless that is not above oldEnd, when it is
// oldEnd + 65535 + 2, past any window of the old data, as Linux chooses
// (tcp_timewait_state_process, tw_snd_nxt + 65535 + 2). A SYN cookie
// cannot honour the floor; like Linux, a full SYN queue still sends one.
func (s *Stack) synForListenerAbove(l *Listener, id tcp.FourTuple, syn *wire.Segment, now time.Time, oldEnd seqnum.Value, reopen bool) {
	if l.acceptQueueFull() {
		// Like Linux: no room to ever accept it, so do not start it; the
		// peer retransmits its SYN.
		s.stats.ListenOverflows++
		return
	}
	if l.synQueue >= s.synQueueLimit {
		s.sendCookie(l, id, syn, now)
		return
	}
	iss := s.isns.isn(id, now)
	if reopen && !oldEnd.LessThan(iss) {
		iss = oldEnd.Add(65535 + 2)
	}
	tcb := tcp.OpenPassive(s.cfg, id, syn, iss, now)
	tcb.SetTimestampOffset(s.isns.tsOffset(id))
	c := s.newConn(id, tcb, tcp.Listen)
	c.listener, c.inSYNQueue = l, true
	l.synQueue++
	s.conns[id] = c
	s.afterEvent(c, now)
}

// sendCookie answers a SYN with a SYN-ACK whose sequence number is a SYN
// cookie, keeping no state at all (RFC 4987 3.6).
func (s *Stack) sendCookie(l *Listener, id tcp.FourTuple, syn *wire.Segment, now time.Time) {
	peerMSS := uint16(536) // RFC 9293 3.7.1: the default when the SYN has no MSS option
	if syn.Options.HasMSS {
		peerMSS = syn.Options.MSS
	}
	cfg := s.cfg.WithDefaults()
	// No window scale is offered in cookie mode, so the window is what fits
	// in 16 bits; tcp.OpenFromCookie assumes the same.
	window := min(cfg.ReceiveBuffer, 0xffff)
	synAck := wire.Segment{
		SrcPort: id.LocalPort,
		DstPort: id.RemotePort,
		Seq:     s.cookies.make(id, syn.Seq, peerMSS, now),
		Ack:     syn.Seq.Add(1),
		Flags:   wire.FlagSYN | wire.FlagACK,
		Window:  uint16(window),
		Options: wire.Options{HasMSS: true, MSS: cfg.MSS},
	}
	l.cookieSlot, l.cookiesSent = s.cookies.counter(now), true
	s.stats.SYNCookiesSent++
	s.out.writeTo(id.RemoteAddr, &synAck)
}

// cookiesMayReturn reports whether a cookie this listener sent could still be
// valid in slot now.
func (l *Listener) cookiesMayReturn(now uint64) bool {
	return l.cookiesSent && now-l.cookieSlot <= cookieMaxAge
}

// acceptCookie builds the connection a valid cookie stands for.
func (s *Stack) acceptCookie(l *Listener, id tcp.FourTuple, ack *wire.Segment, mss uint16, now time.Time) {
	if l.acceptQueueFull() {
		// Dropped, as for a SYN-RECEIVED connection: the peer will
		// retransmit (its data, or its ACK on our silence), and the cookie
		// stays valid for minutes.
		s.stats.ListenOverflows++
		return
	}
	s.stats.SYNCookiesAccepted++
	tcb := tcp.OpenFromCookie(s.cfg, id, ack, mss, now)
	c := s.newConn(id, tcb, tcp.Listen)
	c.listener, c.inSYNQueue = l, true // leaves at once through handshakeDone
	l.synQueue++
	s.conns[id] = c
	s.afterEvent(c, now)
}

// handshakeDone moves c, just established, from its listener's SYN queue to
// its accept queue.
func (s *Stack) handshakeDone(c *Conn) {
	l := c.listener
	c.inSYNQueue = false
	l.synQueue--
	// The ACK check in segmentForConn keeps the queue within the backlog;
	// a connection that got here another way is still queued, never lost.
	l.accepts = append(l.accepts, c)
	l.wake.wake()
}

// Accept waits for and returns the next connection (net.Listener).
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptTCP()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcceptTCP is Accept returning the *Conn, like net.TCPListener's.
func (l *Listener) AcceptTCP() (*Conn, error) {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		c, err := l.tryAccept()
		if err != ErrWouldBlock {
			return c, err
		}
		s.wait(l.wake.wait(), nil)
	}
}

// TryAccept returns the next connection, or ErrWouldBlock if none is waiting.
func (l *Listener) TryAccept() (*Conn, error) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.tryAccept()
}

func (l *Listener) tryAccept() (*Conn, error) {
	if l.closed {
		return nil, opError("accept", nil, l.addr, net.ErrClosed)
	}
	if l.deadline.expired {
		return nil, opError("accept", nil, l.addr, os.ErrDeadlineExceeded)
	}
	if len(l.accepts) == 0 {
		return nil, ErrWouldBlock
	}
	c := l.accepts[0]
	l.accepts[0] = nil
	l.accepts = l.accepts[1:]
	c.listener = nil
	return c, nil
}

// SetDeadline sets the deadline for pending and future Accepts (zero: none),
// measured on the Stack's Clock, like net.TCPListener's.
func (l *Listener) SetDeadline(t time.Time) error {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.closed {
		return opError("set", nil, l.addr, net.ErrClosed)
	}
	l.deadline.set(s, t, &l.wake)
	return nil
}

// Close stops listening. Connections not yet accepted are aborted (an RST
// each), as Linux does; pending Accepts return net.ErrClosed.
func (l *Listener) Close() error {
	s := l.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if l.closed {
		return opError("close", nil, l.addr, net.ErrClosed)
	}
	s.closeListener(l, s.clock.Now())
	return nil
}

func (s *Stack) closeListener(l *Listener, now time.Time) {
	l.closed = true
	l.deadline.stop()
	if s.listeners[l.port] == l {
		delete(s.listeners, l.port)
	}
	for _, c := range s.sortedConns(func(c *Conn) bool { return c.listener == l && c.inSYNQueue }) {
		c.tcb.Abort(now)
		s.afterEvent(c, now)
		s.forget(c, now)
	}
	for _, c := range l.accepts {
		c.tcb.Abort(now)
		s.afterEvent(c, now)
		s.forget(c, now)
	}
	l.accepts = nil
	l.wake.wake()
}

// Addr is the listener's local address.
func (l *Listener) Addr() net.Addr { return l.addr }
