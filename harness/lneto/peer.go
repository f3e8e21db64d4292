// Package lneto is github.com/soypat/lneto's TCP/IPv4 stack as a harness
// peer. lneto is sans-I/O: it takes whole IPv4 packets in (Demux), gives
// them out one at a time when asked (Encapsulate), reads time only through
// the nanotime function it is handed, and keeps no timers and no
// goroutines. So this peer does for it what its own event loop (x/xnet)
// would: after every packet, application call or due deadline it asks the
// stack for every packet it has to send, puts them on the wire, reads each
// connection's state to report the changes (lneto reports none), and arms
// one timer on the Net's clock for the earliest deadline the stack's
// loss recovery (tcp.RTO, RFC 6298) asks to be serviced at. It adds no
// TCP behaviour of its own: what lneto does not do (retransmit a SYN, hold
// TIME-WAIT for 2MSL), this peer does not do either.
package lneto

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	upstream "github.com/soypat/lneto"
	"github.com/soypat/lneto/internet"
	"github.com/soypat/lneto/tcp"

	"github.com/tcpbed/tcpbed/harness"
)

// Options tune the lneto peer.
type Options struct {
	// Settings are the scenario's wishes of every stack. lneto has a switch
	// for none of them: a wish it cannot honour fails the peer's build with
	// an error wrapping harness.ErrUnsupported (see unsupported).
	Settings harness.TCPSettings
	// ReceiveBuffer is each connection's receive buffer (default and most
	// MaxReceiveBuffer: lneto offers no window scale, so its window field
	// holds no more).
	ReceiveBuffer int
	// SendBuffer is each connection's send buffer (default 256 KiB).
	SendBuffer int
	// Backlog bounds the connections a listener holds, accepted or not
	// (default 128).
	Backlog int
}

// MaxReceiveBuffer is the largest window an unscaled window field carries
// (RFC 9293 3.1): lneto v0.3.2 neither offers nor accepts window scaling.
const MaxReceiveBuffer = 65535

const (
	defaultSendBuffer = 256 << 10
	defaultBacklog    = 128
	// segmentsInFlight bounds the sent, unacknowledged segments a
	// connection tracks (lneto's TxPacketQueueSize): an unscaled window of
	// MSS-sized segments, with room to spare.
	segmentsInFlight = 128
	// maxSendsPerPump is more packets than lneto ever has to send at one
	// instant (an unscaled window of the smallest segments, and their
	// ACKs): one that sends that many without running out is in a storm
	// (lneto-endless-resend), and the peer stops it (see pump).
	maxSendsPerPump = 1 << 12
	// maxCopiesPerPump is more copies of one segment, in a row at one
	// instant, than any retransmission sends: lneto sending that many is
	// in its endless resend (lneto-endless-resend), stopped then rather
	// than after maxSendsPerPump, each copy costing the wire real time.
	maxCopiesPerPump = 64
	// ephemeralFirst is the first port of RFC 6335's dynamic range.
	ephemeralFirst = 49152
	// maxPortNodes bounds the connections and listeners lneto's port table
	// holds at once.
	maxPortNodes = 256
)

// NewPeer builds lneto peers.
func NewPeer(opts Options) harness.PeerMaker {
	return func(env harness.PeerEnv) (harness.Peer, error) { return newPeer(env, opts) }
}

// peer is one lneto stack: an IPv4 layer with a TCP port table under it,
// and every connection it made, dialed or accepted, whose states it reports.
type peer struct {
	env   harness.PeerEnv
	opts  Options
	clock *harness.PeerClock
	rand  *rand.Rand

	ip    internet.StackIPv4
	ports internet.StackPorts
	// out is the buffer lneto writes each outbound packet into; its size,
	// the link's MTU, is what lneto derives its MSS from.
	out []byte

	conns []*trackedConn // every connection whose state is still reported
	timer *harness.Timer
	// timerAt is when timer fires (since Epoch); 0 while it is not armed.
	timerAt time.Duration

	malformed uint64
	// broken is set once a scenario asked for what lneto cannot do (the
	// cell is then skipped with the reason), or once lneto would not stop
	// sending (the cell fails): harness.Breakable. From then on the peer
	// hands lneto nothing and sends nothing.
	broken error
}

// Broken is nil, or why the run asked of lneto what it cannot do.
func (p *peer) Broken() error { return p.broken }

func newPeer(env harness.PeerEnv, opts Options) (harness.Peer, error) {
	if err := unsupported(opts); err != nil {
		return nil, err
	}
	if opts.ReceiveBuffer == 0 {
		opts.ReceiveBuffer = MaxReceiveBuffer
	}
	if opts.SendBuffer == 0 {
		opts.SendBuffer = defaultSendBuffer
	}
	if opts.Backlog == 0 {
		opts.Backlog = defaultBacklog
	}
	if !env.Addr.Is4() {
		return nil, fmt.Errorf("harness: lneto: %w: address %v is not IPv4", harness.ErrUnsupported, env.Addr)
	}
	p := &peer{
		env:   env,
		opts:  opts,
		clock: env.Clock.ForPeer(),
		rand:  harness.StreamRand(env.Seed, env.StreamName("lneto")),
		out:   make([]byte, max(env.MTU, 576)),
	}
	if err := p.ip.Reset(new(upstream.Validator), 1); err != nil {
		return nil, fmt.Errorf("harness: lneto: %w", err)
	}
	p.ip.SetAddr4(env.Addr.As4())
	if err := p.ports.ResetTCP(maxPortNodes); err != nil {
		return nil, fmt.Errorf("harness: lneto: %w", err)
	}
	if err := p.ip.Register4(&p.ports); err != nil {
		return nil, fmt.Errorf("harness: lneto: %w", err)
	}
	return p, nil
}

// unsupported names the first wish in opts lneto has no switch for.
// lneto v0.3.2 has no Nagle, no congestion control, no SYN or data retry
// limit and a fixed RTO cap of 60 s; its MSL is not asked for, since it
// keeps no TIME-WAIT timer at all (a departure its deviations record).
// SACK off is what it does anyway.
func unsupported(opts Options) error {
	w := opts.Settings
	var what string
	switch {
	case w.Nagle:
		what = "Nagle's algorithm (lneto has none)"
	case w.MaxRTO != 0 && w.MaxRTO != 60*time.Second:
		what = fmt.Sprintf("an RTO cap of %v (lneto's is fixed at 60s)", w.MaxRTO)
	case w.SynRetries != 0:
		what = "a SYN retry limit (lneto has none)"
	case w.DataRetries != 0:
		what = "a data retry limit (lneto has none)"
	case w.Congestion != "":
		what = fmt.Sprintf("congestion control %q (lneto has none)", w.Congestion)
	case opts.ReceiveBuffer > MaxReceiveBuffer:
		what = fmt.Sprintf("a %d-byte receive buffer (lneto has no window scaling: at most %d)", opts.ReceiveBuffer, MaxReceiveBuffer)
	default:
		return nil
	}
	return fmt.Errorf("harness: lneto: %w: %s", harness.ErrUnsupported, what)
}

func (p *peer) Name() string     { return "lneto" }
func (p *peer) Addr() netip.Addr { return p.env.Addr }

// Settle has nothing to wait for: lneto does all its work inside the calls
// this peer makes, and every one of them ends with a pump.
func (p *peer) Settle() {}

func (p *peer) Close() error {
	if p.timer != nil {
		p.timer.Stop()
	}
	return nil
}

func (p *peer) Counters() (harness.Counters, bool) {
	return harness.Counters{MalformedDropped: p.malformed}, true
}

// Deliver hands lneto one packet. lneto reads it in place and copies what
// it keeps (into a connection's receive ring), so pkt is not copied here.
func (p *peer) Deliver(pkt []byte) {
	if p.broken != nil {
		return
	}
	if err := p.ip.Demux(pkt, 0); isMalformed(err) {
		p.malformed++
	}
	p.reportStates()
	p.pump()
}

// isMalformed reports whether lneto refused a packet as malformed rather
// than as not its own (no listener, another address).
func isMalformed(err error) bool {
	return errors.Is(err, upstream.ErrBadCRC) || errors.Is(err, upstream.ErrTruncatedFrame) ||
		errors.Is(err, upstream.ErrInvalidLengthField)
}

// pump sends everything lneto has to send, reporting the state changes
// each packet leaves (lneto may pass through a state within one pump, as
// an accepted connection does TIME-WAIT), and arms the timer for lneto's
// next deadline.
//
// A stack still sending after maxSendsPerPump packets at one instant
// would go on for ever, each copy costing the wire and the other end real
// time: the peer stops it there, failing the run with ErrLivelock.
func (p *peer) pump() {
	if p.broken != nil {
		return
	}
	var last []byte // the TCP segment of the last packet sent
	streak := 0     // how many times in a row it was sent
	for range maxSendsPerPump {
		n, _ := p.ip.Encapsulate(p.out, 0, 0)
		if n == 0 {
			p.reportStates()
			p.armTimer()
			return
		}
		p.reportStates()
		p.env.Transmit(p.out[:n])
		// The IPv4 header differs from copy to copy (its ID); the
		// segment does not.
		seg := p.out[int(p.out[0]&0x0f)*4 : n]
		if bytes.Equal(seg, last) {
			streak++
		} else {
			last, streak = append(last[:0], seg...), 1
		}
		if streak == maxCopiesPerPump {
			p.broken = fmt.Errorf("%w: lneto sent the same segment %d times in a row at %v; the peer stopped it", harness.ErrLivelock, streak, p.env.Clock.Elapsed())
			p.stop()
			return
		}
	}
	p.broken = fmt.Errorf("%w: lneto still had packets to send after %d at %v; the peer stopped it", harness.ErrLivelock, maxSendsPerPump, p.env.Clock.Elapsed())
	p.stop()
}

// stop ends a storm: the timer is stopped, and being broken the peer
// hands lneto nothing more.
func (p *peer) stop() {
	if p.timer != nil {
		p.timer.Stop()
	}
}

// nanotime is lneto's clock: the peer's view of the Net's virtual time.
func (p *peer) nanotime() int64 { return int64(p.clock.Elapsed()) }

// armTimer arms the one timer at the earliest deadline any connection's
// loss recovery has (tcp.Handler.NextDeadline: 0 for none).
func (p *peer) armTimer() {
	var next time.Duration
	for _, c := range p.conns {
		if d := time.Duration(c.conn.InternalHandler().NextDeadline()); d > 0 && (next == 0 || d < next) {
			next = d
		}
	}
	if next == p.timerAt {
		return
	}
	p.timerAt = next
	if p.timer != nil {
		p.timer.Stop()
	}
	if next == 0 {
		return
	}
	wait := max(next-p.clock.Elapsed(), 0)
	if p.timer == nil {
		p.timer = p.clock.AfterFunc(wait, p.deadlineDue)
		return
	}
	p.timer.Reset(wait)
}

// deadlineDue services lneto at its deadline: a transmit attempt is what
// lets tcp.RTO see that its timer expired and resend.
func (p *peer) deadlineDue() {
	p.timerAt = 0
	p.pump()
}

// newConn is a configured, unopened lneto connection, tracked from now on.
func (p *peer) newConn() (*tcp.Conn, *trackedConn, error) {
	conn := new(tcp.Conn)
	err := conn.Configure(tcp.ConnConfig{
		RxBuf:             make([]byte, p.opts.ReceiveBuffer),
		TxBuf:             make([]byte, p.opts.SendBuffer),
		TxPacketQueueSize: min(segmentsInFlight, p.opts.SendBuffer),
		RWBackoff:         neverWait,
		LossRecovery:      new(tcp.RTO),
		Nanotime:          p.nanotime,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("harness: lneto: configuring a connection: %w", err)
	}
	t := &trackedConn{conn: conn, last: harness.Closed}
	p.conns = append(p.conns, t)
	return conn, t, nil
}

// iss draws an initial sequence number from the peer's seeded stream.
func (p *peer) iss() tcp.Value { return tcp.Value(p.rand.Uint32()) }

// neverWait is the backoff lneto's blocking calls would wait with. This
// peer never makes a call that would block (it checks the buffers first),
// so the backoff never runs; if it did, it returns at once rather than
// sleep in real time.
func neverWait(uint) time.Duration { return upstream.BackoffFlagNop }

// Listen registers a listener on port with lneto's port table.
func (p *peer) Listen(port uint16) (harness.Listener, error) {
	l := &listener{p: p, port: port}
	if err := l.l.Reset(port, l); err != nil {
		return nil, fmt.Errorf("harness: lneto: listen on %d: %w", port, err)
	}
	if err := p.ports.Register(&l.l); err != nil {
		return nil, fmt.Errorf("harness: lneto: listen on %d: %w", port, err)
	}
	return l, nil
}

func (p *peer) Dial(raddr netip.AddrPort) (harness.Conn, error) { return p.DialFrom(0, raddr) }

// DialFrom opens actively from lport (0: a free ephemeral port) and sends
// the SYN.
func (p *peer) DialFrom(lport uint16, raddr netip.AddrPort) (harness.Conn, error) {
	if lport == 0 {
		var err error
		if lport, err = p.ephemeralPort(); err != nil {
			return nil, err
		}
	}
	conn, t, err := p.newConn()
	if err != nil {
		return nil, err
	}
	if err := conn.OpenActive(lport, raddr, p.iss()); err != nil {
		return nil, fmt.Errorf("harness: lneto: dial %v from %d: %w", raddr, lport, err)
	}
	if err := p.ports.Register(conn); err != nil {
		conn.Abort()
		return nil, fmt.Errorf("harness: lneto: dial %v from %d: %w", raddr, lport, err)
	}
	t.id = harness.FourTuple{LocalAddr: p.env.Addr, LocalPort: lport, RemoteAddr: raddr.Addr(), RemotePort: raddr.Port()}
	t.known = true
	p.pump()
	return &connection{p: p, c: conn, t: t}, nil
}

// ephemeralPort draws a port of the dynamic range that no live connection
// of this peer holds.
func (p *peer) ephemeralPort() (uint16, error) {
	for range 1000 {
		port := uint16(ephemeralFirst + p.rand.IntN(65536-ephemeralFirst))
		used := false
		for _, c := range p.conns {
			used = used || c.id.LocalPort == port
		}
		if !used {
			return port, nil
		}
	}
	return 0, errors.New("harness: lneto: no free ephemeral port")
}
