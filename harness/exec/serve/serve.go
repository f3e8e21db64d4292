// Package serve is the stack's side of tcpbed's peer protocol
// (docs/peer-protocol.md), for any in-process harness.Peer: it reads
// requests, makes the calls on the peer, and answers with the packets and
// state changes the peer produced, then the reply. It is the protocol's
// reference implementation (cmd/tcpbed-peer serves ourstack and gVisor
// with it), and a model for an adapter in another language: one request at
// a time, on one goroutine, the clock set from each request's now.
//
// The served peer runs on a Clock of the server's own, which each request
// moves to its now; the peer's timers fire there, and the reply carries
// the Clock's next deadline. Its readings tick as they do in tcpbed (a
// harness.PeerClock), so a stack served here sends, from one seed, the
// very packets it sends in process.
package serve

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// Options say what to serve and how.
type Options struct {
	// Name is the stack's name in the HELLO reply.
	Name string
	// Make builds the peer to serve, for the environment HELLO describes
	// and the options it asks for. An option it cannot apply makes it
	// return an *UnsupportedError.
	Make func(env harness.PeerEnv, cfg Config) (harness.Peer, error)
	// RealTime serves the peer on real time: its clock follows the real
	// one, the HELLO reply says REAL_TIME, and ADVANCE waits in real time
	// for the timer it was sent for.
	RealTime bool
	// NoStates and NoCounters leave the STATES and COUNTERS capabilities
	// out of the HELLO reply (and the peer's states and counts out of the
	// run), as a stack that cannot report them would.
	NoStates, NoCounters bool
	// NoAdvanceUntil leaves ADVANCE_UNTIL out of the HELLO reply: ADVANCE
	// then runs the timers due by its now and no further, one request
	// per timer, as a stack written before ADVANCE_UNTIL answers it. (On
	// real time the capability is never offered: the clock is the real one.)
	NoAdvanceUntil bool
	// NoBursts leaves BURSTS out of the HELLO reply: tcpbed then sends
	// each packet in a PACKET of its own.
	NoBursts bool
	// Fault breaks the protocol on purpose (see Fault).
	Fault Fault
	// Version1Only serves as a stack written for version 1 would: IPv4
	// only, answering a version 2 HELLO with version 1.
	Version1Only bool
}

// Config is what HELLO asks of the stack, in the harness's terms.
type Config struct {
	Settings                    harness.TCPSettings
	NoWindowScale, NoTimestamps bool
	ReceiveBuffer, SendBuffer   int
}

// UnsupportedError is Make's answer to an option the stack cannot apply.
type UnsupportedError struct {
	Option peerproto.Option
	Reason string
}

func (e *UnsupportedError) Error() string { return e.Option.String() + ": " + e.Reason }

// server is one run's session.
type server struct {
	opts   Options
	frames *peerproto.FrameReader
	w      io.Writer

	// mu guards out, which holds the events of the request being handled
	// (a peer may transmit from goroutines of its own: gVisor's processor)
	// and then its reply, written at once.
	mu  sync.Mutex
	out peerproto.Builder
	res peerproto.Builder // the result fields of the reply being built

	clock   *harness.Clock
	peer    harness.Peer
	now     uint64    // the request's now
	start   time.Time // real time at HELLO, when RealTime
	armed   time.Duration
	handles map[uint32]any // harness.Conn or harness.Listener
	keep    map[uint32]bool
	next    uint32
	served  int    // requests answered
	version uint16 // the protocol version HELLO asked for
	// emitted counts the packets and state changes the peer produced
	// (under mu): an ADVANCE with until stops at the first instant it
	// grows.
	emitted      int
	advanceUntil bool // the HELLO reply offered ADVANCE_UNTIL
}

// Serve serves one run: it reads requests from r and writes events and
// replies to w until r ends (nil), or the protocol breaks (an error).
func Serve(r io.Reader, w io.Writer, opts Options) error {
	s := &server{opts: opts, frames: peerproto.NewFrameReader(r), w: w, handles: map[uint32]any{}, keep: map[uint32]bool{}}
	defer func() {
		if s.peer != nil {
			s.peer.Close()
		}
	}()
	if opts.Fault.Kind == Text {
		fmt.Fprintln(w, "tcpbed-peer starting up (this line breaks the protocol on purpose)")
	}
	for {
		fr, err := s.frames.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading a request: %w", err)
		}
		if !fr.Type.IsRequest() || !fr.Type.Known() {
			return fmt.Errorf("tcpbed sent %s, not a request", fr.Type)
		}
		if s.served == 0 && fr.Type != peerproto.Hello {
			return fmt.Errorf("tcpbed's first request is %s, not HELLO", fr.Type)
		}
		if err := s.misbehave(); err != nil {
			return err
		}
		if err := s.handle(fr); err != nil {
			return err
		}
		s.served++
	}
}

// handle answers one request.
func (s *server) handle(fr peerproto.Frame) error {
	f := peerproto.NewFields(fr.Body, s.version)
	s.now = f.U64()
	s.res.Reset()
	if fr.Type == peerproto.Hello {
		return s.reply(fr.Type, s.hello(f))
	}
	if s.peer == nil {
		return s.reply(fr.Type, failure(peerproto.EINVAL, 0, "no stack: HELLO failed"))
	}
	before := s.emittedCount()
	s.runTimers(fr.Type == peerproto.Advance)
	s.peer.Settle()
	if fr.Type == peerproto.Advance && s.advanceUntil && f.Left() > 0 {
		// (Without until, from a tcpbed that predates ADVANCE_UNTIL, it
		// is the ADVANCE of before.)
		return s.reply(fr.Type, s.advance(f, before))
	}
	st := s.call(fr.Type, f)
	s.peer.Settle()
	return s.reply(fr.Type, st)
}

// advance answers an ADVANCE that carries until, its timers due by now
// run already: it runs the peer's timers on, one instant at a time (every
// timer due at that instant, then the peer settled, as an ADVANCE of that
// instant's own would), until the instant at which the peer produced a
// packet or a state change, or until its next timer falls after until. The
// result is the instant it stopped at.
func (s *server) advance(f *peerproto.Fields, before int) outcome {
	a, err := peerproto.ReadAdvanceUntil(f)
	if err != nil {
		return failure(peerproto.EINVAL, 0, "ADVANCE: "+err.Error())
	}
	reached := s.now
	for s.emittedCount() == before {
		next, pending := s.clock.NextDeadline()
		if !pending || uint64(next) > a.Until {
			break
		}
		s.clock.AdvanceTo(next)
		s.peer.Settle()
		reached = max(reached, uint64(next))
	}
	s.now = reached
	if s.due(PastUntil) {
		reached = a.Until + 1
	}
	peerproto.AdvanceReached{Reached: reached}.Append(&s.res)
	return ok
}

func (s *server) emittedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.emitted
}

// outcome is a reply's status and, if it failed, its option and message.
type outcome struct {
	status peerproto.Status
	option peerproto.Option
	msg    string
}

var ok = outcome{status: peerproto.OK}

func failure(st peerproto.Status, opt peerproto.Option, msg string) outcome {
	return outcome{status: st, option: opt, msg: msg}
}

// reply writes the request's events and its reply, with the result fields
// in s.res, at once.
func (s *server) reply(t peerproto.Type, o outcome) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.due(StrayTaking) {
		s.out.Begin(peerproto.Taking).End()
	}
	replyAt := len(s.out.Bytes())
	s.out.Reply(t, o.status, s.nextTimer())
	if o.status == peerproto.OK {
		s.out.Raw(s.res.Bytes())
	} else {
		s.out.Failure(o.option, o.msg)
	}
	s.out.End()
	s.tamper(replyAt)
	_, err := s.w.Write(s.out.Bytes())
	s.out.Reset()
	return err
}

// hello builds the peer HELLO asks for.
func (s *server) hello(f *peerproto.Fields) outcome {
	h, err := peerproto.ReadHello(f)
	if err != nil {
		return failure(peerproto.EINVAL, 0, "HELLO: "+err.Error())
	}
	speaks := uint16(peerproto.Version)
	if s.opts.Version1Only {
		speaks = peerproto.Version1
	}
	if h.Version < peerproto.Version1 || h.Version > speaks {
		// Say which version this side speaks; tcpbed stops.
		peerproto.HelloResult{Version: speaks, Name: s.opts.Name}.Append(&s.res)
		return ok
	}
	s.version = h.Version
	s.out.SetVersion(h.Version)
	s.res.SetVersion(h.Version)
	cfg, o := configFrom(h.Options)
	if o.status != peerproto.OK {
		return o
	}
	s.clock = harness.NewClock()
	if h.Flags&peerproto.FrozenClock != 0 {
		s.clock.Freeze()
	}
	s.clock.AdvanceTo(time.Duration(s.now))
	s.start = time.Now()
	side := harness.Client
	if h.Side == peerproto.SideServer {
		side = harness.Server
	}
	env := harness.PeerEnv{
		Side: side, Addr: h.Addr, Clock: s.clock, Seed: h.Seed, MTU: int(h.MTU),
		Transmit: s.transmit, StateChanged: s.stateChanged,
	}
	p, err := s.opts.Make(env, cfg)
	var unsup *UnsupportedError
	switch {
	case errors.As(err, &unsup):
		return failure(peerproto.Unsupported, unsup.Option, unsup.Reason)
	case err != nil:
		return failure(peerproto.Other, 0, err.Error())
	}
	s.peer = p
	caps := peerproto.CapStates | peerproto.CapCounters
	if s.opts.NoStates {
		caps &^= peerproto.CapStates
	}
	if s.opts.NoCounters {
		caps &^= peerproto.CapCounters
	}
	if s.opts.RealTime {
		caps |= peerproto.CapRealTime
	}
	if !s.opts.RealTime && !s.opts.NoAdvanceUntil {
		caps |= peerproto.CapAdvanceUntil
		s.advanceUntil = true
	}
	if !s.opts.NoBursts {
		caps |= peerproto.CapBursts
	}
	peerproto.HelloResult{Version: h.Version, Caps: caps, Name: s.opts.Name}.Append(&s.res)
	return ok
}

// configFrom reads HELLO's options into a Config.
func configFrom(opts []peerproto.OptionValue) (Config, outcome) {
	var c Config
	for _, o := range opts {
		v := o.Value
		switch o.Option {
		case peerproto.OptSACK:
			c.Settings.NoSACK = v == 0
		case peerproto.OptNagle:
			c.Settings.Nagle = v != 0
		case peerproto.OptMaxRTO:
			c.Settings.MaxRTO = time.Duration(v)
		case peerproto.OptSynRetries:
			c.Settings.SynRetries = int(v)
		case peerproto.OptDataRetries:
			c.Settings.DataRetries = int(v)
		case peerproto.OptMSL:
			c.Settings.MSL = time.Duration(v)
		case peerproto.OptCongestion:
			switch v {
			case peerproto.CongestionNewReno:
				c.Settings.Congestion = "newreno"
			case peerproto.CongestionCubic:
				c.Settings.Congestion = "cubic"
			default:
				return c, failure(peerproto.Unsupported, o.Option, fmt.Sprintf("no congestion control with code %d", v))
			}
		case peerproto.OptWindowScale:
			c.NoWindowScale = v == 0
		case peerproto.OptTimestamps:
			c.NoTimestamps = v == 0
		case peerproto.OptRecvBuffer:
			c.ReceiveBuffer = int(v)
		case peerproto.OptSendBuffer:
			c.SendBuffer = int(v)
		default:
			return c, failure(peerproto.Unsupported, o.Option, "not a stack-wide option this stack knows")
		}
	}
	return c, ok
}

// runTimers moves the clock to the request's now, firing the peer's
// timers due by then. On real time the clock follows the real one, and an
// ADVANCE first waits for the timer it was sent for.
func (s *server) runTimers(advance bool) {
	if !s.opts.RealTime {
		s.clock.AdvanceTo(time.Duration(s.now))
		return
	}
	if advance {
		if d := s.armed - time.Since(s.start); d > 0 {
			time.Sleep(d)
		}
	}
	s.clock.AdvanceTo(time.Since(s.start))
}

// nextTimer is the reply's next_timer: the clock's next deadline, on
// tcpbed's axis.
func (s *server) nextTimer() uint64 {
	if s.clock == nil {
		return peerproto.Never
	}
	at, ok := s.clock.NextDeadline()
	if !ok {
		return peerproto.Never
	}
	if s.opts.RealTime {
		s.armed = at
		return s.now + uint64(max(at-s.clock.Elapsed(), 0))
	}
	return uint64(at)
}

// transmit is the peer's PeerEnv.Transmit: a PACKET_OUT.
func (s *server) transmit(pkt []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opts.Fault.Kind == MalformedPacket && s.served >= s.opts.Fault.After {
		pkt = pkt[:min(len(pkt), 24)] // its total length now says more than it holds
	}
	s.out.Begin(peerproto.PacketOut).Raw(pkt).End()
	s.emitted++
}

// taking says the server begins on the next packet of a PACKETS: a
// TAKING.
func (s *server) taking() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out.Begin(peerproto.Taking).End()
}

// stateChanged is the peer's PeerEnv.StateChanged: a STATE_CHANGE.
func (s *server) stateChanged(c harness.StateChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Seen or not, a state change is something the application sees (a
	// connection that timed out fails its next READ): ADVANCE stops there.
	s.emitted++
	if s.opts.NoStates {
		return
	}
	at := uint64(c.At)
	if s.opts.RealTime {
		at = s.now
	}
	s.out.Begin(peerproto.StateChange)
	peerproto.StateChangeEvent{
		At:     at,
		Local:  netip.AddrPortFrom(c.ID.LocalAddr, c.ID.LocalPort),
		Remote: netip.AddrPortFrom(c.ID.RemoteAddr, c.ID.RemotePort),
		From:   stateCode(c.From), To: stateCode(c.To),
	}.Append(&s.out)
	s.out.End()
}

func stateCode(st harness.State) uint8 {
	if st < 0 || st > peerproto.MaxState {
		return 0
	}
	return uint8(st)
}

// newHandle registers a connection or listener.
func (s *server) newHandle(v any) uint32 {
	s.next++
	s.handles[s.next] = v
	return s.next
}

// conn and listener find a handle's connection or listener.
func (s *server) conn(h uint32) (harness.Conn, outcome) {
	if c, isConn := s.handles[h].(harness.Conn); isConn {
		return c, ok
	}
	return nil, failure(peerproto.EBADF, 0, fmt.Sprintf("no connection with handle %d", h))
}

func (s *server) appendConn(c harness.Conn) {
	id := c.ID()
	peerproto.ConnResult{
		Handle: s.newHandle(c), LocalPort: id.LocalPort,
		Remote: netip.AddrPortFrom(id.RemoteAddr, id.RemotePort),
	}.Append(&s.res)
}

// call carries out one request other than HELLO on the peer.
func (s *server) call(t peerproto.Type, f *peerproto.Fields) outcome {
	bad := func() outcome { return failure(peerproto.EINVAL, 0, fmt.Sprintf("%s: %v", t, f.End())) }
	switch t {
	case peerproto.Advance:
		if f.End() != nil {
			return bad()
		}
		return ok
	case peerproto.Packet:
		s.peer.Deliver(f.Rest())
		return ok
	case peerproto.Packets:
		pkts, err := peerproto.ReadPackets(f)
		if err != nil {
			return failure(peerproto.EINVAL, 0, "PACKETS: "+err.Error())
		}
		// Each packet as a PACKET of its own at this now would be taken:
		// the timers due, the packet, the peer settled.
		for i, pkt := range pkts {
			if i > 0 {
				s.taking()
				s.runTimers(false)
				s.peer.Settle()
			}
			s.peer.Deliver(pkt)
			s.peer.Settle()
		}
		return ok
	case peerproto.Listen:
		port, backlog := f.U16(), f.U32()
		if f.End() != nil {
			return bad()
		}
		_ = backlog // a harness.Peer's backlog is its own option (ours.Options.Backlog)
		l, err := s.peer.Listen(port)
		if err != nil {
			return errorOutcome(err)
		}
		s.res.U32(s.newHandle(l)).U16(l.Port())
		return ok
	case peerproto.Dial:
		lport, raddr, rport := f.U16(), f.Addr(), f.U16()
		if f.End() != nil {
			return bad()
		}
		var c harness.Conn
		var err error
		if lport == 0 {
			c, err = s.peer.Dial(netip.AddrPortFrom(raddr, rport))
		} else {
			c, err = harness.DialFrom(s.peer, lport, netip.AddrPortFrom(raddr, rport))
		}
		if err != nil {
			return errorOutcome(err)
		}
		s.appendConn(c)
		return ok
	case peerproto.Accept:
		h := f.U32()
		if f.End() != nil {
			return bad()
		}
		l, isListener := s.handles[h].(harness.Listener)
		if !isListener {
			return failure(peerproto.EBADF, 0, fmt.Sprintf("no listener with handle %d", h))
		}
		c, err := l.Accept()
		if err != nil {
			return errorOutcome(err)
		}
		s.appendConn(c)
		return ok
	case peerproto.Write:
		c, o := s.conn(f.U32())
		data := f.Rest()
		if c == nil {
			return o
		}
		n, err := c.Write(data)
		if n > 0 {
			s.res.U32(uint32(n))
			return ok
		}
		if err == nil {
			return failure(peerproto.WouldBlock, 0, "")
		}
		return errorOutcome(err)
	case peerproto.Read:
		c, o := s.conn(f.U32())
		most := f.U32()
		if f.End() != nil {
			return bad()
		}
		if c == nil {
			return o
		}
		buf := make([]byte, min(most, peerproto.MaxData))
		n, err := c.Read(buf)
		if n > 0 {
			s.res.Raw(buf[:n])
			return ok
		}
		if err == nil {
			return failure(peerproto.WouldBlock, 0, "")
		}
		return errorOutcome(err)
	case peerproto.Shutdown, peerproto.Close, peerproto.Abort:
		h := f.U32()
		if f.End() != nil {
			return bad()
		}
		if l, isListener := s.handles[h].(harness.Listener); isListener && t == peerproto.Close {
			return errorOutcome(l.Close())
		}
		c, o := s.conn(h)
		if c == nil {
			return o
		}
		switch t {
		case peerproto.Shutdown:
			return errorOutcome(c.CloseWrite())
		case peerproto.Close:
			return errorOutcome(c.Close())
		}
		return errorOutcome(c.Abort())
	case peerproto.State:
		c, o := s.conn(f.U32())
		if f.End() != nil {
			return bad()
		}
		if c == nil {
			return o
		}
		if s.opts.NoStates {
			return failure(peerproto.Unsupported, 0, "this stack reports no states")
		}
		s.res.U8(stateCode(c.State()))
		return ok
	case peerproto.Counters:
		if f.End() != nil {
			return bad()
		}
		n, has := s.peer.Counters()
		if !has || s.opts.NoCounters {
			return failure(peerproto.Unsupported, 0, "this stack keeps no counters")
		}
		s.res.U64(n.MalformedDropped).U64(n.SYNCookiesSent)
		return ok
	case peerproto.SetOpt:
		return s.setOpt(f)
	}
	return failure(peerproto.Unsupported, 0, t.String()+" is not a request this stack knows")
}

// setOpt applies SETOPT's socket options: the keep-alive ones in one call,
// as *net.TCPConn's SetKeepAliveConfig.
func (s *server) setOpt(f *peerproto.Fields) outcome {
	h := f.U32()
	opts := peerproto.ReadOptions(f)
	if err := f.End(); err != nil {
		return failure(peerproto.EINVAL, 0, "SETOPT: "+err.Error())
	}
	c, o := s.conn(h)
	if c == nil {
		return o
	}
	cfg := net.KeepAliveConfig{Enable: s.keep[h], Idle: -1, Interval: -1, Count: -1}
	for _, o := range opts {
		switch o.Option {
		case peerproto.OptKeepAlive:
			cfg.Enable = o.Value != 0
		case peerproto.OptKeepIdle:
			cfg.Idle = time.Duration(o.Value)
		case peerproto.OptKeepIntvl:
			cfg.Interval = time.Duration(o.Value)
		case peerproto.OptKeepCnt:
			cfg.Count = int(o.Value)
		default:
			return failure(peerproto.Unsupported, o.Option, "not a socket option this stack offers")
		}
	}
	if err := harness.SetKeepAlive(c, cfg); err != nil {
		if errors.Is(err, harness.ErrNotSupported) {
			return failure(peerproto.Unsupported, peerproto.OptKeepAlive, err.Error())
		}
		return errorOutcome(err)
	}
	s.keep[h] = cfg.Enable
	return ok
}
