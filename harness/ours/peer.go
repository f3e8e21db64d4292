// Package ours is tcpbed's own stack (ourstack) as a harness peer. It is the
// one package outside ourstack that imports it: it translates ourstack's
// states, four-tuples and options into the harness's vocabulary.
package ours

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// Options tune the ourstack peer.
type Options struct {
	// Settings are the scenario's wishes of every stack; they override TCP.
	Settings harness.TCPSettings
	// TCP are the connection defaults (zero fields take ourstack's), for
	// what only ourstack has a switch for.
	TCP tcp.Config
	// SYNQueue bounds half-open connections per listener.
	SYNQueue int
	// Backlog is the accept queue of every Listen (default 128).
	Backlog int
}

// NewPeer builds ourstack peers.
func NewPeer(opts Options) harness.PeerMaker {
	return func(env harness.PeerEnv) (harness.Peer, error) { return newOursPeer(env, opts) }
}

// oursPeer is ourstack as a peer. ourstack processes every packet and every
// timer synchronously, on the caller's goroutine, so Settle has nothing to
// wait for.
type oursPeer struct {
	env     harness.PeerEnv
	stack   *ourstack.Stack
	backlog int
}

func newOursPeer(env harness.PeerEnv, opts Options) (harness.Peer, error) {
	p := &oursPeer{env: env, backlog: opts.Backlog}
	opts.TCP = configWith(opts.TCP, opts.Settings)
	// RFC 9293 3.7.1: the MSS is the MTU less the fixed IP and TCP headers.
	headers := 20 + 20
	if env.Addr.Is6() {
		headers = 40 + 20
	}
	if opts.TCP.MSS == 0 && env.MTU > headers {
		opts.TCP.MSS = uint16(min(env.MTU-headers, 65535))
	}
	if p.backlog == 0 {
		p.backlog = 128
	}
	s, err := ourstack.New(ourstack.Options{
		Addr:     env.Addr,
		Clock:    oursClock{env.Clock.ForPeer()},
		Rand:     harness.StreamReader(env.Seed, env.StreamName("ours")),
		Send:     env.Transmit,
		TCP:      opts.TCP,
		SYNQueue: opts.SYNQueue,
		OnStateChange: func(ourID tcp.FourTuple, ourFrom, ourTo tcp.State, at time.Time) {
			id, from, to := harness.FourTuple(ourID), oursStates[ourFrom], oursStates[ourTo]
			env.StateChanged(harness.StateChange{At: at.Sub(harness.Epoch), Side: env.Side, ID: id, From: from, To: to})
		},
	})
	if err != nil {
		return nil, fmt.Errorf("harness: ourstack: %w", err)
	}
	if s == nil {
		return nil, errNotImplemented
	}
	p.stack = s
	return p, nil
}

// errNotImplemented is what the adapter reports while ourstack is still the
// contract's stubs.
var errNotImplemented = errors.New("harness: ourstack returned nothing (not implemented yet?)")

func (p *oursPeer) Name() string     { return "ours" }
func (p *oursPeer) Addr() netip.Addr { return p.env.Addr }

func (p *oursPeer) Deliver(pkt []byte) { p.stack.DeliverPacket(pkt) }

// DeliverVerified implements harness.ChecksumOffloader: the wire verified
// pkt's checksums, as a NIC with receive checksum offload does.
func (p *oursPeer) DeliverVerified(pkt []byte) { p.stack.DeliverVerifiedPacket(pkt) }

func (p *oursPeer) Settle()      {}
func (p *oursPeer) Close() error { return p.stack.Close() }

func (p *oursPeer) Counters() (harness.Counters, bool) {
	st := p.stack.Stats()
	return harness.Counters{MalformedDropped: st.MalformedPackets, SYNCookiesSent: st.SYNCookiesSent}, true
}

func (p *oursPeer) Listen(port uint16) (harness.Listener, error) {
	l, err := p.stack.Listen(port, p.backlog)
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, errNotImplemented
	}
	return &oursListener{l: l, port: port}, nil
}

func (p *oursPeer) Dial(raddr netip.AddrPort) (harness.Conn, error) { return p.DialFrom(0, raddr) }

// DialFrom is Dial from local port lport (0: an ephemeral one).
func (p *oursPeer) DialFrom(lport uint16, raddr netip.AddrPort) (harness.Conn, error) {
	var c *ourstack.Conn
	var err error
	if lport == 0 {
		c, err = p.stack.Connect(raddr)
	} else {
		c, err = p.stack.ConnectFrom(lport, raddr)
	}
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, errNotImplemented
	}
	return &oursConn{c: c}, nil
}

type oursListener struct {
	l    *ourstack.Listener
	port uint16
}

func (l *oursListener) Port() uint16 { return l.port }
func (l *oursListener) Close() error { return l.l.Close() }

func (l *oursListener) Accept() (harness.Conn, error) {
	c, err := l.l.TryAccept()
	if err != nil {
		return nil, oursError(err)
	}
	if c == nil {
		return nil, errNotImplemented
	}
	return &oursConn{c: c}, nil
}

type oursConn struct{ c *ourstack.Conn }

func (c *oursConn) ID() harness.FourTuple { return harness.FourTuple(c.c.ID()) }
func (c *oursConn) State() harness.State  { return oursStates[c.c.State()] }
func (c *oursConn) Unread() int           { return c.c.Unread() }
func (c *oursConn) Unacknowledged() int   { return c.c.Unacknowledged() }

// oursStates translates ourstack's states, name by name.
var oursStates = [...]harness.State{
	tcp.Closed:      harness.Closed,
	tcp.Listen:      harness.Listen,
	tcp.SynSent:     harness.SynSent,
	tcp.SynReceived: harness.SynReceived,
	tcp.Established: harness.Established,
	tcp.FinWait1:    harness.FinWait1,
	tcp.FinWait2:    harness.FinWait2,
	tcp.CloseWait:   harness.CloseWait,
	tcp.Closing:     harness.Closing,
	tcp.LastAck:     harness.LastAck,
	tcp.TimeWait:    harness.TimeWait,
}

func (c *oursConn) Read(p []byte) (int, error) {
	n, err := c.c.TryRead(p)
	return n, oursError(err)
}

func (c *oursConn) Write(p []byte) (int, error) {
	n, err := c.c.TryWrite(p)
	return n, oursError(err)
}

func (c *oursConn) CloseWrite() error { return c.c.CloseWrite() }
func (c *oursConn) Close() error      { return c.c.Close() }
func (c *oursConn) Abort() error      { return c.c.Abort() }

// oursError turns ourstack's would-block into the harness's; every other
// error already follows the standard library (errors.Is(err,
// syscall.ECONNRESET) and so on).
func oursError(err error) error {
	if errors.Is(err, ourstack.ErrWouldBlock) {
		return harness.ErrWouldBlock
	}
	return err
}

func (c *oursConn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	return c.c.SetKeepAliveConfig(cfg)
}

// oursClock is a PeerClock as ourstack's Clock: the two differ only in
// AfterFunc's result type.
type oursClock struct{ p *harness.PeerClock }

func (o oursClock) Now() time.Time { return o.p.Now() }

func (o oursClock) AfterFunc(d time.Duration, f func()) ourstack.Timer {
	return o.p.AfterFunc(d, f)
}

// configWith translates the settings into ourstack's connection defaults.
func configWith(c tcp.Config, w harness.TCPSettings) tcp.Config {
	c.NoSACK = c.NoSACK || w.NoSACK
	if w.Nagle {
		c.NoDelay = false
	}
	if w.MaxRTO != 0 {
		c.MaxRTO = w.MaxRTO
	}
	if w.SynRetries != 0 {
		c.SynRetries = w.SynRetries
	}
	if w.DataRetries != 0 {
		c.DataRetries = w.DataRetries
	}
	if w.MSL != 0 {
		c.MSL = w.MSL
	}
	if w.Congestion != "" {
		c.Congestion = w.Congestion
	}
	return c
}
