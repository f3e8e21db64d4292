// Package ourstack is tcpbed's TCP stack over IPv4 or IPv6, written from the
// RFCs. It reads and writes whole IP packets and knows nothing of gVisor or
// the harness. A Stack is one host with one address, of either family.
//
// The connection state machine lives in package tcp and does no I/O; the
// Stack around it owns the one lock, the clock, demultiplexing, listeners
// and the net.Conn face. Every event (a packet, a timer, a user call) runs
// under the lock and ends in afterEvent, which sends what the TCB queued,
// re-arms its timer, reports state changes and wakes whoever waits.
//
// A Conn offers what a program expects of *net.TCPConn: CloseWrite,
// SetNoDelay, SetKeepAlive, SetKeepAlivePeriod, SetKeepAliveConfig,
// SetLinger, SetReadBuffer, SetWriteBuffer and the deadlines (on the
// Stack's clock), with errors as *net.OpError wrapping the syscall errno
// or net.ErrClosed the standard library would give.
package ourstack

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/ipfrag"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Stack is one host's TCP stack, on one IPv4 or IPv6 address.
type Stack struct {
	mu sync.Mutex

	addr          netip.Addr
	clock         Clock
	send          func(pkt []byte)
	cfg           tcp.Config
	synQueueLimit int
	onStateChange func(id tcp.FourTuple, from, to tcp.State, at time.Time)

	isns    isnGenerator
	ports   portPicker
	cookies cookieJar
	frags   *ipfrag.Reassembler

	conns     map[tcp.FourTuple]*Conn
	listeners map[uint16]*Listener
	closed    bool

	out   packetWriter
	stats StackStats // the tcp.Stats part holds connections already forgotten
}

// New builds a Stack.
func New(opts Options) (*Stack, error) {
	if !opts.Addr.IsValid() || opts.Addr.Is4In6() || opts.Addr.Zone() != "" {
		return nil, fmt.Errorf("ourstack: Options.Addr %v is not an IPv4 or IPv6 address", opts.Addr)
	}
	if opts.TCP.MSS == 0 {
		opts.TCP.MSS = defaultMSS(opts.Addr)
	}
	if opts.Send == nil {
		return nil, errors.New("ourstack: Options.Send is nil")
	}
	s := &Stack{
		addr:          opts.Addr,
		clock:         opts.Clock,
		send:          opts.Send,
		cfg:           opts.TCP,
		synQueueLimit: opts.SYNQueue,
		onStateChange: opts.OnStateChange,
		conns:         make(map[tcp.FourTuple]*Conn),
		listeners:     make(map[uint16]*Listener),
		frags:         ipfrag.New(ipfrag.DefaultLimits),
	}
	if s.clock == nil {
		s.clock = realClock{}
	}
	if s.synQueueLimit <= 0 {
		s.synQueueLimit = DefaultSYNQueue
	}
	src := opts.Rand
	if src == nil {
		src = rand.Reader
	}
	// Every secret is drawn here, in a fixed order, so that one seeded
	// reader gives one run.
	var next [2]byte
	for _, b := range [][]byte{s.isns.key[:], s.ports.key[:], s.cookies.key[:], next[:]} {
		if _, err := io.ReadFull(src, b); err != nil {
			return nil, fmt.Errorf("ourstack: reading Options.Rand: %w", err)
		}
	}
	s.ports.next = uint16(next[0])<<8 | uint16(next[1])
	s.out.init(s)
	return s, nil
}

// Close aborts every connection (each sends its RST) and closes every
// listener. Calls on the Stack afterwards fail with net.ErrClosed; inbound
// packets are dropped.
func (s *Stack) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return net.ErrClosed
	}
	now := s.clock.Now()
	for _, port := range slices.Sorted(maps.Keys(s.listeners)) {
		s.closeListener(s.listeners[port], now)
	}
	for _, c := range s.sortedConns(nil) {
		c.tcb.Abort(now)
		s.afterEvent(c, now)
		s.forget(c, now)
	}
	s.closed = true
	return nil
}

// sortedConns returns the connections keep accepts (nil: all) in a fixed
// order, so that what a sweep over them sends (an RST each) goes out in the
// same order in every run with the same seed; map order would not.
func (s *Stack) sortedConns(keep func(*Conn) bool) []*Conn {
	var cs []*Conn
	for _, c := range s.conns {
		if keep == nil || keep(c) {
			cs = append(cs, c)
		}
	}
	slices.SortFunc(cs, func(a, b *Conn) int { return a.id.Compare(b.id) })
	return cs
}

// afterEvent is the end of every event that touched c's TCB: it sends what
// the TCB queued, runs timers already due, re-arms c's one timer, reports a
// state change, moves a finished handshake to its listener's accept queue,
// wakes whoever waits on c, and forgets c once its TCB is done.
func (s *Stack) afterEvent(c *Conn, now time.Time) {
	if c.forgotten {
		return
	}
	// A timer already due (a deadline the event itself set in the past)
	// runs now rather than through the clock, so that no callback is ever
	// scheduled for a time that has passed. The bound only guards against
	// a TCB whose deadline never moves forward.
	for range 8 {
		s.out.poll(c, now)
		deadline, ok := c.tcb.Deadline()
		if !ok || deadline.After(now) {
			break
		}
		c.tcb.HandleTimers(now)
	}
	s.noteState(c, now)
	if c.inSYNQueue && c.tcb.Established() {
		s.handshakeDone(c)
	}
	c.wake.wake()
	if c.tcb.Done() {
		s.forget(c, now)
		return
	}
	s.rearm(c, now)
}

// noteState reports a change of c's state since it was last looked at.
func (s *Stack) noteState(c *Conn, now time.Time) {
	st := c.tcb.State()
	if st == c.lastState {
		return
	}
	from := c.lastState
	c.lastState = st
	if s.onStateChange != nil {
		s.onStateChange(c.id, from, st, now)
	}
}

// forget drops c from the demultiplexer: its TCB is done (or has been
// replaced by a new incarnation), so segments for its four-tuple now go to a
// listener or are answered as for no connection, and its port is free.
func (s *Stack) forget(c *Conn, now time.Time) {
	if c.forgotten {
		return
	}
	c.forgotten = true
	if c.timerArmed {
		c.timer.Stop()
		c.timerArmed = false
	}
	if c.inSYNQueue {
		c.inSYNQueue = false
		c.listener.synQueue--
	}
	if s.conns[c.id] == c {
		delete(s.conns, c.id)
	}
	addTCPStats(&s.stats.Stats, c.tcb.Stats())
	if c.lastState != tcp.Closed {
		// A TCB replaced in TIME-WAIT is not CLOSED itself, but its
		// incarnation has ended: report it so.
		if s.onStateChange != nil {
			s.onStateChange(c.id, c.lastState, tcp.Closed, now)
		}
		c.lastState = tcp.Closed
	}
	c.wake.wake()
}

// defaultMSS is the MSS of an Ethernet-sized MTU of 1500 bytes less the
// fixed IP and TCP headers (RFC 9293 3.7.1): 1460 for IPv4, 1440 for IPv6.
func defaultMSS(a netip.Addr) uint16 {
	if a.Is6() {
		return 1500 - 40 - 20
	}
	return 1500 - 20 - 20
}

// tcpAddr is the *net.TCPAddr the net.Conn face reports.
func tcpAddr(a netip.Addr, port uint16) *net.TCPAddr {
	return net.TCPAddrFromAddrPort(netip.AddrPortFrom(a, port))
}
