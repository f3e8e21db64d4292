package ourstack

import (
	"io"
	"net"
	"os"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Conn is a net.Conn with CloseWrite, like *net.TCPConn. It is safe for
// concurrent use: every method takes the Stack's lock, and blocking ones
// release it while they wait.
type Conn struct {
	s   *Stack
	id  tcp.FourTuple
	tcb *tcp.TCB

	lastState tcp.State // as last reported to OnStateChange

	// listener is the listener a passive connection was born at, until
	// Accept hands it out; inSYNQueue says it still counts in the SYN queue.
	listener   *Listener
	inSYNQueue bool

	timer      Timer // the TCB's one timer, on the Stack's clock
	timerArmed bool
	timerAt    time.Time

	forgotten bool // no longer in the demultiplexer
	closed    bool // Close or Abort was called: the application is done with it
	// lingerZero: SetLinger(0) was called, so Close is an abort.
	lingerZero bool

	wake                        waker
	readDeadline, writeDeadline deadline
}

func (s *Stack) newConn(id tcp.FourTuple, tcb *tcp.TCB, from tcp.State) *Conn {
	return &Conn{
		s:         s,
		id:        id,
		tcb:       tcb,
		lastState: from,
	}
}

func (c *Conn) opError(op string, err error) error {
	return opError(op, c.LocalAddr(), c.RemoteAddr(), err)
}

// Read reads data the peer sent, waiting until some is there. It returns
// io.EOF after the peer's FIN, and a *net.OpError for everything else.
func (c *Conn) Read(p []byte) (int, error) { return c.read(p, true) }

// TryRead is Read that returns ErrWouldBlock instead of waiting.
func (c *Conn) TryRead(p []byte) (int, error) { return c.read(p, false) }

func (c *Conn) read(p []byte, block bool) (int, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		if c.closed {
			return 0, c.opError("read", net.ErrClosed)
		}
		if c.readDeadline.expired {
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		if len(p) == 0 {
			return 0, nil
		}
		now := s.clock.Now()
		n, err := c.tcb.Receive(now, p)
		if n > 0 {
			// Reading opens the window: the TCB may want to say so.
			s.afterEvent(c, now)
		}
		switch {
		case err == io.EOF:
			return n, io.EOF
		case err != nil:
			return n, c.opError("read", err)
		case n > 0:
			return n, nil
		case !block:
			return 0, ErrWouldBlock
		}
		s.wait(c.wake.wait(), nil)
	}
}

// Write writes all of p, waiting for room in the send buffer as often as it
// must; it returns less than len(p) only with an error.
func (c *Conn) Write(p []byte) (int, error) { return c.write(p, true) }

// TryWrite takes as much of p as the send buffer has room for now, and
// returns ErrWouldBlock if that is nothing.
func (c *Conn) TryWrite(p []byte) (int, error) { return c.write(p, false) }

func (c *Conn) write(p []byte, block bool) (int, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	total := 0
	for {
		if c.closed {
			return total, c.opError("write", net.ErrClosed)
		}
		if c.writeDeadline.expired {
			return total, c.opError("write", os.ErrDeadlineExceeded)
		}
		now := s.clock.Now()
		n, err := c.tcb.Send(now, p[total:])
		total += n
		if n > 0 {
			s.afterEvent(c, now)
		}
		switch {
		case err != nil:
			return total, c.opError("write", err)
		case total == len(p):
			return total, nil
		case !block && total > 0:
			return total, nil
		case !block:
			return 0, ErrWouldBlock
		case n > 0:
			continue // the buffer may have room again already
		}
		s.wait(c.wake.wait(), nil)
	}
}

// CloseWrite shuts down the sending side (a FIN after the data already
// written), like *net.TCPConn's. Reading goes on until the peer's FIN.
func (c *Conn) CloseWrite() error {
	return c.onOpen("close", c.tcb.CloseWrite)
}

// onOpen runs call under the lock on a connection not yet closed (op fails
// with net.ErrClosed otherwise), lets the TCB act on it (send, re-arm its
// timer, report states) and wakes whoever waits. call's error comes back
// as op's *net.OpError.
func (c *Conn) onOpen(op string, call func(now time.Time) error) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return c.opError(op, net.ErrClosed)
	}
	now := s.clock.Now()
	err := call(now)
	s.afterEvent(c, now)
	c.wake.wake()
	if err != nil {
		return c.opError(op, err)
	}
	return nil
}

// Close is CLOSE (RFC 9293 3.10.4): the connection goes on to deliver what
// was written and exchange FINs, but the application is done with it; a
// pending or later Read, Write or deadline call fails with net.ErrClosed.
// With unread data waiting the TCB sends an RST instead (RFC 1122 4.2.2.13);
// after SetLinger(0), Close is Abort.
func (c *Conn) Close() error {
	return c.end(func(now time.Time) {
		if c.lingerZero {
			c.tcb.Abort(now)
			return
		}
		c.tcb.Close(now)
	})
}

// Abort is ABORT (RFC 9293 3.10.5), like Close after SetLinger(0): an RST
// if the connection was synchronized, and no TIME-WAIT.
func (c *Conn) Abort() error {
	return c.end(c.tcb.Abort)
}

func (c *Conn) end(how func(now time.Time)) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return c.opError("close", net.ErrClosed)
	}
	c.closed = true
	c.readDeadline.stop()
	c.writeDeadline.stop()
	now := s.clock.Now()
	// The TCB's own error (it was already reset, say) is not the caller's
	// problem at Close, as with the standard library.
	how(now)
	s.afterEvent(c, now)
	c.wake.wake()
	return nil
}

// LocalAddr is the local *net.TCPAddr. It is made from the four-tuple at
// each call, not kept: an application asks for it seldom, and a stack
// holding many connections would keep two for each (104 bytes).
func (c *Conn) LocalAddr() net.Addr { return tcpAddr(c.id.LocalAddr, c.id.LocalPort) }

// RemoteAddr is the peer's *net.TCPAddr, made as LocalAddr's is.
func (c *Conn) RemoteAddr() net.Addr { return tcpAddr(c.id.RemoteAddr, c.id.RemotePort) }

// State is the connection's RFC 9293 state.
func (c *Conn) State() tcp.State {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.tcb.State()
}

// ID is the connection's four-tuple.
func (c *Conn) ID() tcp.FourTuple { return c.id }

// Stats are the connection's counters.
func (c *Conn) Stats() tcp.Stats {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.tcb.Stats()
}

// Err is the error that ended the connection (a reset, a timeout), or nil.
func (c *Conn) Err() error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.tcb.Err()
}
