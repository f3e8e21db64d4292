// Package exec is a TCP stack in another process as a harness peer: any
// program, in any language, that speaks tcpbed's peer protocol
// (docs/peer-protocol.md) over its standard input and output. The peer
// starts the program for each Net, hands it every packet that reaches it
// and every application call made on it, and keeps its timers on the Net's
// virtual clock: the stack replies to each request with the deadline of
// its next timer, the peer arms a timer of its own there on the Net's
// clock, and when the clock reaches it, tells the stack the time (ADVANCE).
// Each request waits for its reply, and a reply comes only once the stack
// has finished reacting (every packet it sent in reaction came before it),
// so the peer is always settled: Settle has nothing to wait for.
//
// A stack that misbehaves (it exits, does not answer within
// Options.ReplyTimeout, or sends what the protocol does not allow) is
// killed at once; the peer is then Broken (harness.Breakable) with an
// *Error saying what it did, and the Net's next Settle returns it.
//
//	n, err := harness.NewNet(harness.Config{
//		Client: exec.NewPeer(exec.Options{Command: []string{"./mystack", "-v"}}),
//		Server: gvisor.NewPeer(gvisor.Options{}),
//	})
package exec

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/exec/peerproto"
)

// Options start a stack in another process.
type Options struct {
	// Command is the program and its arguments.
	Command []string
	// Settings are the scenario's wishes of every stack, sent in HELLO;
	// a stack that cannot apply one makes NewPeer fail with an error
	// wrapping harness.ErrUnsupported.
	Settings harness.TCPSettings
	// Switches beyond TCPSettings, for a run that asks them of this stack
	// alone (as conformance's Setup.Ours asks them of ourstack): offer no
	// window scale or timestamps, and each connection's buffer sizes
	// (0: the stack's default).
	NoWindowScale, NoTimestamps bool
	ReceiveBuffer, SendBuffer   int
	// OfferSACK and OfferTimestamps ask the stack to offer SACK-permitted
	// and timestamps, for a run that cannot do without them (HELLO's SACK
	// and TIMESTAMPS set to 1): a stack that cannot makes NewPeer fail
	// with an error wrapping harness.ErrUnsupported, naming the option.
	OfferSACK, OfferTimestamps bool
	// Backlog is the accept queue of every Listen (default 128, as the
	// gVisor and Linux peers listen).
	Backlog int
	// ReplyTimeout bounds the real time the stack may take to answer one
	// request (default DefaultReplyTimeout).
	ReplyTimeout time.Duration
	// RealTimeUnfit, if set, says why this run cannot take a stack on real
	// time: a stack whose HELLO announces REAL_TIME then makes NewPeer fail
	// with an error wrapping harness.ErrUnsupported that says so.
	RealTimeUnfit string
	// OneTimerAtATime sends ADVANCE without until even to a stack that
	// offers ADVANCE_UNTIL: one request per timer, as to a stack that
	// does not. Runs are the same either way (tcpbed picks until so that
	// they are); a test compares them.
	OneTimerAtATime bool
	// OnePacketAtATime sends each packet in a PACKET of its own even to a
	// stack that offers BURSTS. Runs are the same either way; a test
	// compares them.
	OnePacketAtATime bool
	// Stderr, if set, receives the stack's standard error as it comes. The
	// peer keeps its last lines either way, to show when the stack fails.
	Stderr io.Writer
}

// DefaultReplyTimeout is how long a stack may take to answer a request
// when Options.ReplyTimeout does not say: the stacks tcpbed knows answer in
// microseconds, and a scenario makes thousands of requests, so a stack that
// takes seconds is stuck.
const DefaultReplyTimeout = 5 * time.Second

// startAllowance is how much longer than the reply timeout the HELLO reply
// may take: the program starts first, and on a busy machine a start can
// take a second or more.
const startAllowance = 10 * time.Second

// closeGrace is how long a stack has to exit once its input is closed.
const closeGrace = time.Second

// DefaultBacklog is every Listen's accept queue unless Options.Backlog
// says otherwise.
const DefaultBacklog = 128

// NewPeer builds peers that each start opts.Command.
func NewPeer(opts Options) harness.PeerMaker {
	return func(env harness.PeerEnv) (harness.Peer, error) { return newPeer(env, opts) }
}

// peer is a stack in another process. Its methods are called from the
// Net's goroutine only, its timer's too (inside the Clock's Advance).
type peer struct {
	env   harness.PeerEnv
	opts  Options
	cmd   string // the command line, for messages
	proc  *process
	hello peerproto.HelloResult
	err   error // the first failure, for good (Broken)
	b     peerproto.Builder
	// version is the protocol version of the run: 1 for IPv4, 2 for
	// IPv6 (docs/peer-protocol.md 10).
	version uint16

	// timer is the stack's next timer mirrored on the Net's clock; armed
	// says whether it is, at deadline. mirroredFor is the virtual time from
	// when it was armed to its deadline: a stack on real time may take
	// that long, in real time, to answer the ADVANCE.
	timer       *harness.Timer
	armed       bool
	deadline    uint64
	mirroredFor time.Duration
	// instantTimers counts ADVANCE replies in a row that asked for a timer
	// at or before the instant just run.
	instantTimers int
	// requests counts the requests sent, HELLO among them: a test
	// reads what running ahead saves.
	requests int
	// changes counts the replies that may follow a change in the stack:
	// every reply but a WOULD_BLOCK and the answers to STATE and
	// COUNTERS, which only read. blocked remembers the requests answered
	// WOULD_BLOCK since the last of them (refusals).
	changes uint64
	blocked map[refusalKey]refusal
	// inbox holds the packets of a burst handed over (Deliver) and not
	// yet sent: Settle sends them in one PACKETS. takingLeft is how many
	// TAKING events the PACKETS outstanding may still send.
	inbox      [][]byte
	takingLeft int
}

// refusalKey is a request on a handle that may answer WOULD_BLOCK.
type refusalKey struct {
	t      peerproto.Type
	handle uint32
}

// refusal is a WOULD_BLOCK answer: when (the changes count then) and how
// many bytes of data the request carried.
type refusal struct {
	changes uint64
	size    int
}

// maxInstantTimers is how many ADVANCEs in a row may answer with a timer
// due at once before the stack is taken to be spinning (docs/peer-protocol.md 8).
const maxInstantTimers = 1000

func newPeer(env harness.PeerEnv, opts Options) (harness.Peer, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, errors.New("exec peer: no command to start")
	}
	if opts.ReplyTimeout <= 0 {
		opts.ReplyTimeout = DefaultReplyTimeout
	}
	if opts.Backlog <= 0 {
		opts.Backlog = DefaultBacklog
	}
	options, err := helloOptions(opts)
	if err != nil {
		return nil, fmt.Errorf("exec peer %q: %w", strings.Join(opts.Command, " "), err)
	}
	p := &peer{env: env, opts: opts, cmd: strings.Join(opts.Command, " ")}
	if p.proc, err = startProcess(opts.Command, opts.Stderr); err != nil {
		return nil, fmt.Errorf("exec peer %q: %w", p.cmd, err)
	}
	if err := p.sayHello(options); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// sayHello sends HELLO and reads what the stack is and can do.
func (p *peer) sayHello(options []peerproto.OptionValue) error {
	side := peerproto.SideClient
	if p.env.Side == harness.Server {
		side = peerproto.SideServer
	}
	var flags peerproto.HelloFlags
	if p.env.Clock.Frozen() {
		flags |= peerproto.FrozenClock
	}
	p.version = peerproto.VersionFor(p.env.Addr)
	hello := peerproto.HelloFields{
		Version: p.version, Side: side, Flags: flags,
		Addr: p.env.Addr, MTU: uint16(min(p.env.MTU, math.MaxUint16)), Seed: p.env.Seed, Options: options,
	}
	head, f, err := p.call(peerproto.Hello, hello.Append)
	if err != nil {
		return err
	}
	if head.Status == peerproto.Unsupported {
		p.Close()
		return fmt.Errorf("exec peer %q: %w", p.cmd, unsupported("the stack cannot apply %s: %s", optionAsked(options, head.Option), head.Message))
	}
	if head.Status != peerproto.OK {
		return p.protocolError(peerproto.Hello, "answered HELLO with %s: %s", head.Status, head.Message)
	}
	if p.hello, err = peerproto.ReadHelloResult(f); err != nil {
		return p.protocolError(peerproto.Hello, "a HELLO reply with %v", err)
	}
	if p.hello.Version == peerproto.Version1 && p.version == peerproto.Version2 {
		// A stack of version 1's day: IPv4 only.
		p.Close()
		return fmt.Errorf("exec peer %q: %w", p.cmd, unsupported("%s speaks peer protocol version 1 only, whose addresses are IPv4: an IPv6 run needs version 2 (docs/peer-protocol.md 10)", p.stackName()))
	}
	if p.hello.Version != p.version {
		return p.protocolError(peerproto.Hello, "speaks protocol version %d; tcpbed asked for %d", p.hello.Version, p.version)
	}
	if p.realTime() && p.opts.RealTimeUnfit != "" {
		p.Close()
		return fmt.Errorf("exec peer %q: %w", p.cmd, unsupported("%s runs on real time (its HELLO says REAL_TIME): %s", p.stackName(), p.opts.RealTimeUnfit))
	}
	return nil
}

// optionAsked names the option an UNSUPPORTED reply to HELLO concerns,
// with the value tcpbed asked for.
func optionAsked(asked []peerproto.OptionValue, opt peerproto.Option) string {
	for _, o := range asked {
		if o.Option == opt {
			return o.String()
		}
	}
	if opt == 0 {
		return "the options " + fmt.Sprint(asked)
	}
	return opt.String() + " (which tcpbed did not ask for)"
}

// helloOptions translates the settings into HELLO's options.
func helloOptions(o Options) ([]peerproto.OptionValue, error) {
	var opts []peerproto.OptionValue
	add := func(opt peerproto.Option, v uint64) {
		opts = append(opts, peerproto.OptionValue{Option: opt, Value: v})
	}
	w := o.Settings
	if (w.NoSACK && o.OfferSACK) || (o.NoTimestamps && o.OfferTimestamps) {
		return nil, fmt.Errorf("exec peer: an option both offered and declined (NoSACK %v, OfferSACK %v, NoTimestamps %v, OfferTimestamps %v)", w.NoSACK, o.OfferSACK, o.NoTimestamps, o.OfferTimestamps)
	}
	if w.NoSACK {
		add(peerproto.OptSACK, 0)
	}
	if o.OfferSACK {
		add(peerproto.OptSACK, 1)
	}
	if w.Nagle {
		add(peerproto.OptNagle, 1)
	}
	if w.MaxRTO > 0 {
		add(peerproto.OptMaxRTO, uint64(w.MaxRTO))
	}
	if w.SynRetries > 0 {
		add(peerproto.OptSynRetries, uint64(w.SynRetries))
	}
	if w.DataRetries > 0 {
		add(peerproto.OptDataRetries, uint64(w.DataRetries))
	}
	if w.MSL > 0 {
		add(peerproto.OptMSL, uint64(w.MSL))
	}
	switch w.Congestion {
	case "":
	case "newreno":
		add(peerproto.OptCongestion, peerproto.CongestionNewReno)
	case "cubic":
		add(peerproto.OptCongestion, peerproto.CongestionCubic)
	default:
		return nil, unsupported("congestion control %q has no code in the peer protocol", w.Congestion)
	}
	if o.NoWindowScale {
		add(peerproto.OptWindowScale, 0)
	}
	if o.NoTimestamps {
		add(peerproto.OptTimestamps, 0)
	}
	if o.OfferTimestamps {
		add(peerproto.OptTimestamps, 1)
	}
	if o.ReceiveBuffer > 0 {
		add(peerproto.OptRecvBuffer, uint64(o.ReceiveBuffer))
	}
	if o.SendBuffer > 0 {
		add(peerproto.OptSendBuffer, uint64(o.SendBuffer))
	}
	return opts, nil
}

func (p *peer) realTime() bool { return p.hello.Caps&peerproto.CapRealTime != 0 }

// stackName is what the stack calls itself, or its command.
func (p *peer) stackName() string {
	if p.hello.Name != "" {
		return p.hello.Name
	}
	return p.cmd
}

// Name is "exec:" and the name the stack gave in its HELLO reply.
func (p *peer) Name() string     { return "exec:" + p.stackName() }
func (p *peer) Addr() netip.Addr { return p.env.Addr }

// RealTime reports whether the stack's timers run on real time (its HELLO
// says REAL_TIME), as Linux's do (harness.RealTimePeer).
func (p *peer) RealTime() bool { return p.realTime() }

// ReportsStates reports whether the stack reports its TCP states (its
// HELLO says STATES).
func (p *peer) ReportsStates() bool { return p.hello.Caps&peerproto.CapStates != 0 }

// Broken is the failure that ended the stack, or nil.
func (p *peer) Broken() error { return p.err }

// Deliver hands the stack one packet; it has reacted to it by the time
// Deliver returns. To a stack that takes bursts (TakesBurst), Deliver
// only queues the packet, and Settle sends what was queued: the Net hands
// over a burst as Deliver for each of its packets, then Settle, and keeps
// every packet it handed over until then.
func (p *peer) Deliver(pkt []byte) {
	if p.takesBursts() {
		p.inbox = append(p.inbox, pkt)
		return
	}
	p.deliver(pkt)
}

// deliver sends one packet in a PACKET.
func (p *peer) deliver(pkt []byte) {
	head, f, err := p.call(peerproto.Packet, func(b *peerproto.Builder) { b.Raw(pkt) })
	if err == nil {
		p.expectOK(peerproto.Packet, head, f)
	}
}

// takesBursts reports whether the stack takes a burst in one PACKETS: it
// offers BURSTS and the run did not turn it down.
func (p *peer) takesBursts() bool {
	return p.hello.Caps&peerproto.CapBursts != 0 && !p.opts.OnePacketAtATime
}

// TakesBurst reports whether the stack takes bursts (harness.BurstTaker):
// in one request, it processes the packets of a burst one after the other,
// as it would one PACKET each, and says TAKING as it begins on each after
// the first, before anything it sends in answer.
func (p *peer) TakesBurst(pkt []byte) bool { return p.takesBursts() }

// Settle sends the packets Deliver queued: one alone in a PACKET, a burst
// in PACKETS, as many as a frame holds in each. Every request waits for
// the stack to settle, so there is nothing else to wait for.
func (p *peer) Settle() {
	all := p.inbox
	p.inbox = nil
	defer func() {
		clear(all)
		p.inbox = all[:0]
	}()
	for inbox := all; len(inbox) > 0; {
		n, size := 0, frameHead
		for n < len(inbox) && n < peerproto.MaxBurst && (n == 0 || size+4+len(inbox[n]) <= burstFrame) {
			size += 4 + len(inbox[n])
			n++
		}
		if n == 1 {
			p.deliver(inbox[0])
		} else {
			p.deliverBurst(inbox[:n])
		}
		inbox = inbox[n:]
		if len(inbox) > 0 {
			// The stack begins on the next request's first packet with no
			// TAKING of its own.
			p.env.Taking()
		}
	}
}

// frameHead is the bytes of a PACKETS frame's length field counts before
// its packets: type, now and count.
const frameHead = 1 + 8 + 2

// burstFrame is the most a PACKETS frame's length field may count: the
// protocol's limit (a test lowers it to split bursts at MTU 1500).
var burstFrame = peerproto.MaxFrame

// deliverBurst sends pkts in one PACKETS.
func (p *peer) deliverBurst(pkts [][]byte) {
	p.takingLeft = len(pkts) - 1
	head, f, err := p.call(peerproto.Packets, func(b *peerproto.Builder) { peerproto.AppendPackets(b, pkts) })
	p.takingLeft = 0
	if err == nil {
		p.expectOK(peerproto.Packets, head, f)
	}
}

// Counters asks the stack for its counts, if it keeps them.
func (p *peer) Counters() (harness.Counters, bool) {
	if p.hello.Caps&peerproto.CapCounters == 0 {
		return harness.Counters{}, false
	}
	head, f, err := p.call(peerproto.Counters, nil)
	if err != nil || !p.expectStatus(peerproto.Counters, head) {
		return harness.Counters{}, false
	}
	if head.Status != peerproto.OK {
		p.statusError(peerproto.Counters, head)
		return harness.Counters{}, false
	}
	c := harness.Counters{MalformedDropped: f.U64(), SYNCookiesSent: f.U64()}
	if err := f.End(); err != nil {
		p.protocolError(peerproto.Counters, "a COUNTERS reply with %v", err)
		return harness.Counters{}, false
	}
	return c, true
}

// Close ends the stack's run: end of file on its input, and a second for
// it to exit before it is killed.
func (p *peer) Close() error {
	if p.timer != nil {
		p.timer.Stop()
		p.armed = false
	}
	if p.proc == nil {
		return nil
	}
	proc := p.proc
	p.proc = nil
	if err := proc.close(closeGrace); err != nil && p.err == nil {
		return fmt.Errorf("exec peer %q: at the end of the run it %s", p.cmd, howItEnded(err))
	}
	return nil
}

// call sends request t, with the fields fill appends after now, and reads
// until its reply: every PACKET_OUT goes on the wire and every
// STATE_CHANGE to the Net, in the order they come. It returns the reply's
// head and its result fields. Once the stack has failed, it returns that
// failure at once.
func (p *peer) call(t peerproto.Type, fill func(*peerproto.Builder)) (peerproto.ReplyHead, *peerproto.Fields, error) {
	now, deadline, wait, err := p.send(t, fill)
	if err != nil {
		return peerproto.ReplyHead{}, nil, err
	}
	head, f, err := p.receive(t, now, deadline, wait, func(fr peerproto.Frame) error { return p.event(t, fr, now) })
	if err != nil {
		return head, nil, err
	}
	if err := p.setTimer(t, head.NextTimer, now); err != nil {
		return head, nil, err
	}
	if head.Status != peerproto.OK {
		if err := f.End(); err != nil {
			return head, nil, p.protocolError(t, "a %s reply (%s) with %v", t, head.Status, err)
		}
	}
	return head, f, nil
}

// send writes request t at the clock's now, with the fields fill appends,
// and says by when its reply must come.
func (p *peer) send(t peerproto.Type, fill func(*peerproto.Builder)) (now uint64, deadline time.Time, wait time.Duration, err error) {
	if p.err != nil {
		return 0, time.Time{}, 0, p.err
	}
	if p.proc == nil {
		return 0, time.Time{}, 0, errors.New("exec peer: closed")
	}
	now = uint64(p.env.Clock.Elapsed())
	p.b.Reset()
	p.b.Request(t, now)
	if fill != nil {
		fill(&p.b)
	}
	if p.b.Len() > peerproto.MaxFrame {
		return 0, time.Time{}, 0, fmt.Errorf("exec peer: a %s request of %d bytes is over the protocol's frame limit", t, p.b.Len())
	}
	p.b.End()
	if p.proc.pending() {
		// Frames come only between a request and its reply (docs/peer-protocol.md 3).
		fr, err := p.proc.next(time.Now().Add(p.opts.ReplyTimeout))
		if err != nil {
			return 0, time.Time{}, 0, p.ioError(t, err, p.opts.ReplyTimeout)
		}
		return 0, time.Time{}, 0, p.protocolError(0, "sent %s after its last reply, with no request outstanding (found before a %s)", fr.Type, t)
	}
	wait = p.opts.ReplyTimeout
	switch {
	case t == peerproto.Hello:
		wait += startAllowance
	case t == peerproto.Advance && p.realTime():
		wait += p.mirroredFor // it waits for its timer in real time
	}
	deadline = time.Now().Add(wait)
	if err := p.proc.send(p.b.Bytes(), deadline); err != nil {
		return 0, time.Time{}, 0, p.ioError(t, err, wait)
	}
	p.requests++
	return now, deadline, wait, nil
}

// receive reads the frames that answer request t, sent at now, handing
// each event to onEvent, until the reply, whose head it returns with its
// result fields.
func (p *peer) receive(t peerproto.Type, now uint64, deadline time.Time, wait time.Duration, onEvent func(peerproto.Frame) error) (peerproto.ReplyHead, *peerproto.Fields, error) {
	for {
		fr, err := p.proc.next(deadline)
		if err != nil {
			return peerproto.ReplyHead{}, nil, p.ioError(t, err, wait)
		}
		switch {
		case fr.Type == t.Reply():
			f := peerproto.NewFields(fr.Body, p.version)
			head := peerproto.ReadReplyHead(f)
			if !head.Status.Known() {
				return head, nil, p.protocolError(t, "answered %s with an unknown %s", t, head.Status)
			}
			if head.Status != peerproto.WouldBlock && t != peerproto.State && t != peerproto.Counters {
				p.changes++
			}
			return head, f, nil
		case fr.Type == peerproto.PacketOut, fr.Type == peerproto.StateChange, fr.Type == peerproto.Taking:
			if err := onEvent(fr); err != nil {
				return peerproto.ReplyHead{}, nil, err
			}
		default:
			what := "sent " + fr.Type.String()
			switch {
			case fr.Type.IsReply() && fr.Type.Known():
				what = "replied with a " + fr.Type.String()
			case !fr.Type.Known():
				what = fmt.Sprintf("sent a frame of unknown %s (% x)", fr.Type, fr.Body[:min(len(fr.Body), 16)])
			}
			return peerproto.ReplyHead{}, nil, p.protocolError(t, "%s", what)
		}
	}
}

// event takes one event the stack sent answering request t, at now: a
// PACKET_OUT goes on the wire, a STATE_CHANGE to the Net, and a TAKING
// tells the Net the stack begins on the next packet of the burst.
func (p *peer) event(t peerproto.Type, fr peerproto.Frame, now uint64) error {
	if fr.Type == peerproto.Taking {
		switch {
		case t != peerproto.Packets:
			return p.protocolError(t, "sent TAKING while answering %s (only PACKETS has packets to take)", t)
		case p.takingLeft == 0:
			return p.protocolError(t, "sent more TAKING events than PACKETS has packets after its first")
		case len(fr.Body) != 0:
			return p.protocolError(t, "sent a TAKING with a body of %d bytes (it has none)", len(fr.Body))
		}
		p.takingLeft--
		p.env.Taking()
		return nil
	}
	if fr.Type == peerproto.PacketOut {
		if err := peerproto.CheckPacket(fr.Body, p.version); err != nil {
			return p.protocolError(t, "sent a malformed %s packet (%v): % x", family(p.version), err, fr.Body[:min(len(fr.Body), 40)])
		}
		p.env.Transmit(fr.Body)
		return nil
	}
	if p.hello.Caps&peerproto.CapStates == 0 {
		return p.protocolError(t, "sent STATE_CHANGE, yet its HELLO reply has no STATES capability")
	}
	ev, err := peerproto.ReadStateChange(peerproto.NewFields(fr.Body, p.version))
	if err != nil {
		return p.protocolError(t, "a STATE_CHANGE with %v", err)
	}
	if ev.At < now || ev.At >= now+uint64(time.Second) {
		return p.protocolError(t, "a STATE_CHANGE at %v, outside [now, now+1s) (now is %v)", time.Duration(ev.At), time.Duration(now))
	}
	p.env.StateChanged(harness.StateChange{
		At: time.Duration(ev.At), Side: p.env.Side,
		ID:   harness.FourTuple{LocalAddr: ev.Local.Addr(), LocalPort: ev.Local.Port(), RemoteAddr: ev.Remote.Addr(), RemotePort: ev.Remote.Port()},
		From: harness.State(ev.From), To: harness.State(ev.To),
	})
	return nil
}

// setTimer mirrors the stack's next timer on the Net's clock.
func (p *peer) setTimer(t peerproto.Type, next, now uint64) error {
	if t == peerproto.Advance {
		if next != peerproto.Never && next <= now {
			p.instantTimers++
			if p.instantTimers >= maxInstantTimers {
				return p.protocolError(t, "asked for a timer at or before the instant it had just run, %d times in a row: a timer that re-arms itself as it fires", p.instantTimers)
			}
		} else {
			p.instantTimers = 0
		}
	}
	// A deadline centuries away is no deadline.
	if next == peerproto.Never || next-min(next, now) > math.MaxInt64/2 {
		if p.timer != nil {
			p.timer.Stop()
		}
		p.armed = false
		return nil
	}
	next = max(next, now)
	if p.armed && p.deadline == next {
		return nil // the same timer: it keeps its place among the clock's ties
	}
	d := time.Duration(next - now)
	if p.timer == nil {
		p.timer = p.env.Clock.AfterFunc(d, p.timerFired)
	} else {
		p.timer.Reset(d)
	}
	p.armed, p.deadline, p.mirroredFor = true, next, d
	return nil
}

// timerFired runs when the Net's clock reaches the stack's next timer,
// inside the clock's Advance, as an in-process stack's timer would: the
// stack runs its timers then and there. A stack that offers ADVANCE_UNTIL
// runs on, as far as the clock lets it (advanceUntil).
func (p *peer) timerFired() {
	p.armed = false
	if p.runsAhead() {
		p.advanceUntil(uint64(p.env.Clock.Lookahead()))
		return
	}
	head, f, err := p.call(peerproto.Advance, nil)
	if err == nil {
		p.expectOK(peerproto.Advance, head, f)
	}
}

// runsAhead reports whether ADVANCE carries until: the stack offers it,
// runs on tcpbed's clock, and the run did not turn it down.
func (p *peer) runsAhead() bool {
	return p.hello.Caps&peerproto.CapAdvanceUntil != 0 && !p.realTime() && !p.opts.OneTimerAtATime
}

// advanceUntil sends ADVANCE with until: the stack runs its timers from
// now until it does something (a packet, a state change) or its next
// timer falls after until, and replies with the instant it stopped at,
// reached. Nothing else happens on the clock before until (Lookahead),
// so the peer moves the clock to reached and only then puts what the
// stack did on the wire: the Net sees every packet and state change at
// the instant it would have seen it had each timer been an ADVANCE of
// its own, and so does every later request.
func (p *peer) advanceUntil(until uint64) {
	var held []peerproto.Frame
	hold := func(fr peerproto.Frame) error {
		held = append(held, peerproto.Frame{Type: fr.Type, Body: append([]byte(nil), fr.Body...)})
		return nil
	}
	t := peerproto.Advance
	now, deadline, wait, err := p.send(t, peerproto.AdvanceUntil{Until: until}.Append)
	if err != nil {
		return
	}
	head, f, err := p.receive(t, now, deadline, wait, hold)
	if err != nil {
		return
	}
	if head.Status != peerproto.OK {
		p.protocolError(t, "answered %s with %s (only OK is allowed): %s", t, head.Status, head.Message)
		return
	}
	r, err := peerproto.ReadAdvanceReached(f)
	if err != nil {
		p.protocolError(t, "an ADVANCE reply with %v", err)
		return
	}
	if r.Reached < now || r.Reached > until {
		p.protocolError(t, "answered ADVANCE until %v having reached %v, outside [now, until] (now is %v)", time.Duration(until), time.Duration(r.Reached), time.Duration(now))
		return
	}
	p.env.Clock.SkipTo(time.Duration(r.Reached))
	for _, fr := range held {
		if p.event(t, fr, r.Reached) != nil {
			return
		}
	}
	p.setTimer(t, head.NextTimer, r.Reached)
}

// callOn is call for ACCEPT, READ and WRITE, the requests on a handle
// that may answer WOULD_BLOCK. fill appends the fields after the handle,
// and size is how many bytes of data they carry. A stack answers such a
// request again as it did until something changes it: a reply other than
// a refusal, or one of its timers falling due (docs/peer-protocol.md 3).
// So a request refused since then is not sent again (nor a larger one: a
// stack that took none of some bytes takes none of more), and its refusal
// is the answer. A sender stalled on a closed window otherwise sends the
// stack its 64 KiB again at every event of the run.
func (p *peer) callOn(t peerproto.Type, handle uint32, size int, fill func(*peerproto.Builder)) (peerproto.ReplyHead, *peerproto.Fields, error) {
	if r, ok := p.blocked[refusalKey{t, handle}]; ok && r.changes == p.changes && size >= r.size && !p.realTime() && !p.timerDue() {
		return peerproto.ReplyHead{Status: peerproto.WouldBlock}, peerproto.NewFields(nil, p.version), nil
	}
	head, f, err := p.call(t, func(b *peerproto.Builder) {
		b.U32(handle)
		if fill != nil {
			fill(b)
		}
	})
	if err == nil && head.Status == peerproto.WouldBlock {
		p.refused(t, handle, size)
	}
	return head, f, err
}

// refused notes that the stack, as it is now, would answer request t on
// handle WOULD_BLOCK if it carried size bytes of data or more.
func (p *peer) refused(t peerproto.Type, handle uint32, size int) {
	if p.blocked == nil {
		p.blocked = make(map[refusalKey]refusal)
	}
	p.blocked[refusalKey{t, handle}] = refusal{changes: p.changes, size: size}
}

// timerDue reports whether the stack's next timer is due by the clock's
// now: the next request would run it first.
func (p *peer) timerDue() bool {
	return p.armed && uint64(p.env.Clock.Elapsed()) >= p.deadline
}

// expectOK checks a reply that may only be OK with no result fields.
func (p *peer) expectOK(t peerproto.Type, head peerproto.ReplyHead, f *peerproto.Fields) {
	if head.Status != peerproto.OK {
		p.protocolError(t, "answered %s with %s (only OK is allowed): %s", t, head.Status, head.Message)
		return
	}
	if err := f.End(); err != nil {
		p.protocolError(t, "a %s reply with %v", t, err)
	}
}

// mayBlock and mayEOF are the requests that may answer WOULD_BLOCK and
// EOF.
var (
	mayBlock = map[peerproto.Type]bool{peerproto.Accept: true, peerproto.Read: true, peerproto.Write: true}
	mayEOF   = map[peerproto.Type]bool{peerproto.Read: true}
)

// expectStatus checks that head's status is one t may answer with, and
// fails the stack if not.
func (p *peer) expectStatus(t peerproto.Type, head peerproto.ReplyHead) bool {
	if (head.Status == peerproto.WouldBlock && !mayBlock[t]) || (head.Status == peerproto.EOF && !mayEOF[t]) {
		p.protocolError(t, "answered %s with %s", t, head.Status)
		return false
	}
	return true
}

// fail records the stack's failure, kills it, and returns the failure.
func (p *peer) fail(t peerproto.Type, kind error, detail string) error {
	if p.err != nil {
		return p.err
	}
	e := &Error{Stack: p.cmd, Side: p.env.Side, Request: t, At: p.env.Clock.Elapsed(), Kind: kind, Detail: detail}
	if p.timer != nil {
		p.timer.Stop()
		p.armed = false
	}
	if p.proc != nil {
		if errors.Is(kind, ErrExited) && detail == "" {
			// Its output ended: it exited, or closed its standard output
			// and goes on (until killed).
			how := howItEnded(p.proc.wait(closeGrace))
			e.Detail = "exited (" + how + ")"
			if p.proc.killed {
				e.Detail = "closed its standard output (and was killed " + closeGrace.String() + " later)"
			}
		} else {
			p.proc.kill()
		}
		e.Stderr = p.proc.stderrTail()
		p.proc.close(0)
		p.proc = nil
	}
	p.err = e
	return e
}

func (p *peer) protocolError(t peerproto.Type, format string, args ...any) error {
	return p.fail(t, ErrProtocol, fmt.Sprintf(format, args...))
}

// unsupported records that the stack cannot do what the run asks: the
// run ends, as a skip.
func (p *peer) unsupported(t peerproto.Type, why string) error {
	return p.fail(t, unsupported("%s", why), why)
}

// ioError names what a failed read or write on the stack's pipes means.
func (p *peer) ioError(t peerproto.Type, err error, wait time.Duration) error {
	var lenErr *peerproto.LengthError
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return p.fail(t, ErrTimeout, fmt.Sprintf("did not answer within %v of real time", wait))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE):
		return p.fail(t, ErrExited, "")
	case errors.As(err, &lenErr):
		return p.fail(t, ErrProtocol, "sent "+lenErr.Error())
	}
	return p.fail(t, ErrExited, "its pipe failed: "+err.Error())
}

// family names the packets protocol version v carries.
func family(v uint16) string {
	if v == peerproto.Version2 {
		return "IPv6"
	}
	return "IPv4"
}
