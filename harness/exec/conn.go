package exec

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"syscall"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// statusErrors are the errors a reply's status stands for, as the
// standard library (and every other peer) returns them.
var statusErrors = map[peerproto.Status]error{
	peerproto.WouldBlock:   harness.ErrWouldBlock,
	peerproto.EOF:          io.EOF,
	peerproto.ECONNRESET:   syscall.ECONNRESET,
	peerproto.ECONNREFUSED: syscall.ECONNREFUSED,
	peerproto.ETIMEDOUT:    syscall.ETIMEDOUT,
	peerproto.ECONNABORTED: syscall.ECONNABORTED,
	peerproto.EPIPE:        syscall.EPIPE,
	peerproto.ENOTCONN:     syscall.ENOTCONN,
	peerproto.EADDRINUSE:   syscall.EADDRINUSE,
	peerproto.EINVAL:       syscall.EINVAL,
	peerproto.EBADF:        net.ErrClosed,
	peerproto.ENOBUFS:      syscall.ENOBUFS,
}

// statusError is the error a failed reply to t stands for. UNSUPPORTED
// ends the run as a skip: the scenario needs what the stack cannot do.
func (p *peer) statusError(t peerproto.Type, head peerproto.ReplyHead) error {
	if !p.expectStatus(t, head) {
		return p.err
	}
	if head.Status == peerproto.Unsupported {
		why := p.stackName() + " has no " + t.String()
		if head.Option != 0 {
			why = p.stackName() + " cannot set " + head.Option.String()
		}
		if head.Message != "" {
			why += ": " + head.Message
		}
		return p.unsupported(t, why)
	}
	err, ok := statusErrors[head.Status]
	if !ok { // OTHER
		return errors.New(p.stackName() + ": " + head.Message)
	}
	return err
}

// connResult reads a DIAL or ACCEPT result into a connection.
func (p *peer) connResult(t peerproto.Type, f *peerproto.Fields) (harness.Conn, error) {
	r, err := peerproto.ReadConnResult(f)
	if err != nil {
		return nil, p.protocolError(t, "a %s reply with %v", t, err)
	}
	if r.Handle == 0 {
		return nil, p.protocolError(t, "answered %s with handle 0", t)
	}
	id := harness.FourTuple{LocalAddr: p.env.Addr, LocalPort: r.LocalPort, RemoteAddr: r.Remote.Addr(), RemotePort: r.Remote.Port()}
	return &conn{p: p, handle: r.Handle, id: id}, nil
}

// Listen opens a listening socket on port with the Options' backlog.
func (p *peer) Listen(port uint16) (harness.Listener, error) {
	head, f, err := p.call(peerproto.Listen, func(b *peerproto.Builder) { b.U16(port).U32(uint32(p.opts.Backlog)) })
	if err != nil {
		return nil, err
	}
	if head.Status != peerproto.OK {
		return nil, p.statusError(peerproto.Listen, head)
	}
	handle, got := f.U32(), f.U16()
	if err := f.End(); err != nil {
		return nil, p.protocolError(peerproto.Listen, "a LISTEN reply with %v", err)
	}
	if handle == 0 {
		return nil, p.protocolError(peerproto.Listen, "answered LISTEN with handle 0")
	}
	return &listener{p: p, handle: handle, port: got}, nil
}

// Dial starts an active open from an ephemeral port.
func (p *peer) Dial(raddr netip.AddrPort) (harness.Conn, error) { return p.DialFrom(0, raddr) }

// DialFrom starts an active open from local port lport (0: the stack
// picks one). A stack that cannot choose its port ends the run as a skip.
func (p *peer) DialFrom(lport uint16, raddr netip.AddrPort) (harness.Conn, error) {
	head, f, err := p.call(peerproto.Dial, func(b *peerproto.Builder) { b.U16(lport).Addr(raddr.Addr()).U16(raddr.Port()) })
	if err != nil {
		return nil, err
	}
	if head.Status != peerproto.OK {
		return nil, p.statusError(peerproto.Dial, head)
	}
	return p.connResult(peerproto.Dial, f)
}

// listener is a listening socket of the stack.
type listener struct {
	p      *peer
	handle uint32
	port   uint16
}

func (l *listener) Port() uint16 { return l.port }

func (l *listener) Accept() (harness.Conn, error) {
	p := l.p
	head, f, err := p.callOn(peerproto.Accept, l.handle, 0, nil)
	if err != nil {
		return nil, err
	}
	if head.Status != peerproto.OK {
		return nil, p.statusError(peerproto.Accept, head)
	}
	return p.connResult(peerproto.Accept, f)
}

func (l *listener) Close() error { return l.p.handleCall(peerproto.Close, l.handle) }

// handleCall makes a request whose only field is a handle and whose
// result has none.
func (p *peer) handleCall(t peerproto.Type, handle uint32) error {
	head, f, err := p.call(t, func(b *peerproto.Builder) { b.U32(handle) })
	if err != nil {
		return err
	}
	if head.Status != peerproto.OK {
		return p.statusError(t, head)
	}
	if err := f.End(); err != nil {
		return p.protocolError(t, "a %s reply with %v", t, err)
	}
	return nil
}

// conn is a connection of the stack.
type conn struct {
	p      *peer
	handle uint32
	id     harness.FourTuple
}

func (c *conn) ID() harness.FourTuple { return c.id }

func (c *conn) CloseWrite() error { return c.p.handleCall(peerproto.Shutdown, c.handle) }
func (c *conn) Close() error      { return c.p.handleCall(peerproto.Close, c.handle) }
func (c *conn) Abort() error      { return c.p.handleCall(peerproto.Abort, c.handle) }

// Read asks for up to len(b) bytes (at most peerproto.MaxData at once).
func (c *conn) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	p := c.p
	want := min(len(b), peerproto.MaxData)
	head, f, err := p.callOn(peerproto.Read, c.handle, 0, func(bd *peerproto.Builder) { bd.U32(uint32(want)) })
	if err != nil {
		return 0, err
	}
	if head.Status != peerproto.OK {
		return 0, p.statusError(peerproto.Read, head)
	}
	data := f.Rest()
	if len(data) == 0 || len(data) > want {
		return 0, p.protocolError(peerproto.Read, "answered a READ of at most %d bytes with %d", want, len(data))
	}
	return copy(b, data), nil
}

// Write hands the stack as much of b as its send buffer takes, in
// requests of at most peerproto.MaxData bytes.
func (c *conn) Write(b []byte) (int, error) {
	p := c.p
	total := 0
	for len(b) > 0 {
		chunk := b[:min(len(b), peerproto.MaxData)]
		head, f, err := p.callOn(peerproto.Write, c.handle, len(chunk), func(bd *peerproto.Builder) { bd.Raw(chunk) })
		if err != nil {
			return total, err
		}
		if head.Status != peerproto.OK {
			if total > 0 && head.Status == peerproto.WouldBlock {
				return total, nil
			}
			return total, p.statusError(peerproto.Write, head)
		}
		n := f.U32()
		if err := f.End(); err != nil {
			return total, p.protocolError(peerproto.Write, "a WRITE reply with %v", err)
		}
		if n == 0 || int(n) > len(chunk) {
			return total, p.protocolError(peerproto.Write, "took %d bytes of a %d-byte WRITE (1 to %d allowed)", n, len(chunk), len(chunk))
		}
		total += int(n)
		b = b[n:]
		if int(n) < len(chunk) {
			// The send buffer is full: until something changes, the
			// stack would refuse the next WRITE.
			p.refused(peerproto.Write, c.handle, 1)
			break
		}
	}
	return total, nil
}

// State asks the stack for the connection's state. A stack that reports
// none ends the run as a skip: the scenario reads states.
func (c *conn) State() harness.State {
	p := c.p
	if p.hello.Caps&peerproto.CapStates == 0 {
		p.unsupported(0, p.stackName()+" reports no TCP states (its HELLO reply has no STATES capability), and the scenario reads one")
		return harness.NoState
	}
	head, f, err := p.call(peerproto.State, func(b *peerproto.Builder) { b.U32(c.handle) })
	if err != nil {
		return harness.NoState
	}
	if head.Status != peerproto.OK {
		p.statusError(peerproto.State, head)
		return harness.NoState
	}
	st := f.U8()
	if err := f.End(); err != nil {
		p.protocolError(peerproto.State, "a STATE reply with %v", err)
		return harness.NoState
	}
	if st > peerproto.MaxState {
		p.protocolError(peerproto.State, "answered STATE with state code %d (0 to %d)", st, peerproto.MaxState)
		return harness.NoState
	}
	return harness.State(st)
}

// SetKeepAliveConfig sets the connection's keep-alive in one SETOPT, as
// *net.TCPConn's does: zero leaves the stack's default, negative leaves a
// setting as it is.
func (c *conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	var opts []peerproto.OptionValue
	if cfg.Idle > 0 {
		opts = append(opts, peerproto.OptionValue{Option: peerproto.OptKeepIdle, Value: uint64(cfg.Idle)})
	}
	if cfg.Interval > 0 {
		opts = append(opts, peerproto.OptionValue{Option: peerproto.OptKeepIntvl, Value: uint64(cfg.Interval)})
	}
	if cfg.Count > 0 {
		opts = append(opts, peerproto.OptionValue{Option: peerproto.OptKeepCnt, Value: uint64(cfg.Count)})
	}
	enable := uint64(0)
	if cfg.Enable {
		enable = 1
	}
	opts = append(opts, peerproto.OptionValue{Option: peerproto.OptKeepAlive, Value: enable})
	p := c.p
	head, f, err := p.call(peerproto.SetOpt, func(b *peerproto.Builder) {
		b.U32(c.handle)
		peerproto.AppendOptions(b, opts)
	})
	if err != nil {
		return err
	}
	if head.Status != peerproto.OK {
		return p.statusError(peerproto.SetOpt, head)
	}
	if err := f.End(); err != nil {
		return p.protocolError(peerproto.SetOpt, "a SETOPT reply with %v", err)
	}
	return nil
}
