package lneto

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"

	upstream "github.com/soypat/lneto"
	"github.com/soypat/lneto/tcp"

	"github.com/tcpbed/tcpbed/harness"
)

// trackedConn is one lneto connection whose state this peer reports. lneto
// has no state-change callback, so the peer reads each connection's state
// after every pump and reports what moved.
type trackedConn struct {
	conn *tcp.Conn
	// id is the four-tuple, kept here because lneto forgets it: a
	// connection's ports read zero once it has sent its last ACK from
	// TIME-WAIT (tcp.Handler.Send resets the handler).
	id    harness.FourTuple
	known bool // id is set: a passive connection learns it from the SYN
	last  harness.State
	// finReceived: the connection has been in a state only the other
	// end's FIN leads to (CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT).
	finReceived bool
}

// reportStates reports every tracked connection's state change since the
// last pump, and stops tracking the connections that ended in CLOSED.
func (p *peer) reportStates() {
	at := p.env.Clock.Elapsed()
	kept := p.conns[:0]
	for _, t := range p.conns {
		if !t.known {
			if rport := t.conn.RemotePort(); rport != 0 {
				raddr, _ := netip.AddrFromSlice(t.conn.RemoteAddr())
				t.id = harness.FourTuple{LocalAddr: p.env.Addr, LocalPort: t.conn.LocalPort(), RemoteAddr: raddr, RemotePort: rport}
				t.known = true
			}
		}
		now := states[t.conn.State()]
		if t.known && now != t.last {
			p.env.StateChanged(harness.StateChange{At: at, Side: p.env.Side, ID: t.id, From: t.last, To: now})
		}
		t.last = now
		t.finReceived = t.finReceived || now == harness.CloseWait || now == harness.Closing || now == harness.LastAck || now == harness.TimeWait
		if now != harness.Closed {
			kept = append(kept, t)
		}
	}
	clear(p.conns[len(kept):])
	p.conns = kept
}

// states translates lneto's states, name by name (lneto numbers them in
// another order).
var states = map[tcp.State]harness.State{
	tcp.StateClosed:      harness.Closed,
	tcp.StateListen:      harness.Listen,
	tcp.StateSynRcvd:     harness.SynReceived,
	tcp.StateSynSent:     harness.SynSent,
	tcp.StateEstablished: harness.Established,
	tcp.StateFinWait1:    harness.FinWait1,
	tcp.StateFinWait2:    harness.FinWait2,
	tcp.StateClosing:     harness.Closing,
	tcp.StateTimeWait:    harness.TimeWait,
	tcp.StateCloseWait:   harness.CloseWait,
	tcp.StateLastAck:     harness.LastAck,
}

// connection is one lneto connection's application face. lneto's Read and
// Write block (with a backoff) until they can proceed; this face calls
// them only when they cannot block, and says ErrWouldBlock otherwise.
type connection struct {
	p *peer
	c *tcp.Conn
	t *trackedConn
	// finQueued: the application's Close or CloseWrite has asked lneto for
	// its FIN; lneto refuses a second request.
	finQueued bool
}

func (c *connection) ID() harness.FourTuple { return c.t.id }
func (c *connection) State() harness.State  { return states[c.c.State()] }

// Read takes what lneto has received. Before the connection is
// established lneto's Read would say EOF (its receive side is not open
// yet), so that reads as would-block, as on a socket still connecting.
// Once the other end's FIN has been taken in and read up to, lneto says
// net.ErrClosed in TIME-WAIT and CLOSED (RFC 9293 3.10.3's "connection
// closing"): that is the end of the stream, io.EOF in Go's words.
func (c *connection) Read(b []byte) (int, error) {
	defer c.p.pump()
	if len(b) == 0 {
		return 0, nil
	}
	st := c.c.State()
	if c.c.BufferedInput() == 0 {
		switch {
		case st.IsPreestablished() || st.RxDataOpen():
			return 0, harness.ErrWouldBlock
		case c.t.finReceived || states[st] == harness.TimeWait:
			return 0, io.EOF
		}
	}
	return c.c.Read(b)
}

// Write queues as much of b as lneto's send buffer has room for. Where
// the connection can send no more, lneto's Handler says why at once (its
// Conn.Write would wait for room that never comes).
func (c *connection) Write(b []byte) (int, error) {
	defer c.p.pump()
	st := c.c.State()
	free := c.c.FreeOutput()
	switch {
	case st.IsPreestablished():
		return 0, harness.ErrWouldBlock
	case !st.TxDataOpen():
		return c.c.InternalHandler().Write(b)
	case free == 0 && len(b) > 0:
		return 0, harness.ErrWouldBlock
	}
	return c.c.Write(b[:min(free, len(b))])
}

// CloseWrite is lneto's Close: it queues the FIN, and the connection goes
// on taking in data until the other end's FIN.
func (c *connection) CloseWrite() error {
	defer c.p.pump()
	if c.finQueued {
		return nil
	}
	if err := c.closedUnasked(); err != nil {
		return err
	}
	c.finQueued = true
	return c.c.Close()
}

// closedUnasked is net.ErrClosed once lneto has sent its FIN from
// CLOSE-WAIT by itself (conformance.LnetoFINFromCloseWaitUnasked), nil
// before. lneto's own Close then returns nil in LAST-ACK but aborts the
// connection on the next transmit attempt (Handler.Send: ControlBlock.Close
// fails in LAST-ACK, then Handler.Abort), dropping the FIN it still owes a
// resend: so the application's close is not passed on, and says what
// lneto's Close says once the connection is gone.
func (c *connection) closedUnasked() error {
	if c.t.finReceived && c.c.State() != tcp.StateCloseWait {
		return net.ErrClosed
	}
	return nil
}

// Close is the application's close in both directions: lneto's CloseRead
// (data that arrives from now on is not delivered; with the FIN sent, it
// draws a RST) and its Close.
func (c *connection) Close() error {
	defer c.p.pump()
	readErr := c.c.CloseRead()
	if c.finQueued {
		return nil
	}
	if err := c.closedUnasked(); err != nil {
		return err
	}
	c.finQueued = true
	if err := c.c.Close(); err != nil {
		return errors.Join(err, readErr)
	}
	return nil
}

// SetKeepAliveConfig: lneto v0.3.2 has no keep-alive timer (it can build
// a probe, tcp.ControlBlock.MakeKeepalive, but nothing sends one), so a
// scenario that asks for keep-alive cannot run with it: the peer breaks
// with that reason and the cell is skipped.
func (c *connection) SetKeepAliveConfig(net.KeepAliveConfig) error {
	err := fmt.Errorf("%w: keep-alive (lneto v0.3.2 has no keep-alive timer)", harness.ErrUnsupported)
	if c.p.broken == nil {
		c.p.broken = err
	}
	return err
}

// Abort is lneto's Abort: it drops the connection's state at once.
func (c *connection) Abort() error {
	defer c.p.pump()
	c.c.Abort()
	return nil
}

// listener is a lneto listener, and the pool it draws its connections
// from (tcp.Listener asks a pool for a connection on each SYN and hands it
// back when the connection ends).
type listener struct {
	p    *peer
	port uint16
	l    tcp.Listener
	// pending are the connections taken from the pool and not yet
	// accepted: Options.Backlog bounds them.
	pending map[*tcp.Conn]*trackedConn
}

func (l *listener) Port() uint16 { return l.port }

func (l *listener) Close() error {
	defer l.p.pump()
	return l.l.Close()
}

func (l *listener) Accept() (harness.Conn, error) {
	defer l.p.pump()
	conn, _, err := l.l.TryAccept()
	if errors.Is(err, upstream.ErrExhausted) {
		return nil, harness.ErrWouldBlock
	}
	if err != nil {
		return nil, err
	}
	t := l.pending[conn]
	delete(l.pending, conn)
	if t == nil {
		return nil, errors.New("harness: lneto: the listener accepted a connection its pool never gave out")
	}
	return &connection{p: l.p, c: conn, t: t}, nil
}

// GetTCP gives lneto's listener a fresh connection for a SYN, or none when
// the backlog is full (lneto then refuses the SYN with a RST).
func (l *listener) GetTCP() (*tcp.Conn, any, tcp.Value) {
	if len(l.pending) >= l.p.opts.Backlog {
		return nil, nil, 0
	}
	conn, t, err := l.p.newConn()
	if err != nil {
		return nil, nil, 0
	}
	t.last = harness.Listen
	if l.pending == nil {
		l.pending = map[*tcp.Conn]*trackedConn{}
	}
	l.pending[conn] = t
	return conn, nil, l.p.iss()
}

// PutTCP takes back a connection the listener is done with; like lneto's
// own pool (x/xnet.TCPPool) it aborts it.
func (l *listener) PutTCP(conn *tcp.Conn) {
	delete(l.pending, conn)
	conn.Abort()
}
