package harness

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// The addresses of a Net's two ends, from TEST-NET-1 (RFC 5737).
var (
	DefaultClientAddr = netip.MustParseAddr("192.0.2.1")
	DefaultServerAddr = netip.MustParseAddr("192.0.2.2")
	// DefaultRouterAddr is where the ICMP errors of the wire's router come
	// from (Config.PathMTU, the Unreachable rule).
	DefaultRouterAddr = netip.MustParseAddr("192.0.2.254")
)

// The same for a wire of IPv6 ends, from the documentation prefix (RFC
// 3849): ClientAddr and ServerAddr of an IPv6 run, and its router.
var (
	ClientAddr6        = netip.MustParseAddr("2001:db8::1")
	ServerAddr6        = netip.MustParseAddr("2001:db8::2")
	DefaultRouterAddr6 = netip.MustParseAddr("2001:db8::fe")
)

// DefaultMTU is the link MTU unless Config.MTU says otherwise.
const DefaultMTU = 1500

// DefaultLink is each direction of the wire unless Config.Link says
// otherwise: 1 ms one way, so a round trip takes 2 ms, with no bandwidth
// limit.
var DefaultLink = LinkConfig{Delay: time.Millisecond}

// Config builds a Net. Client and Server are required; the rest defaults
// to DefaultLink each way, MTU 1500 and seed 0.
type Config struct {
	// Seed fixes every random choice of the run: both stacks' ISNs and
	// ephemeral ports, and every fault decision.
	Seed uint64
	// Client and Server build the two ends; both are required (GVisor(...),
	// Ours(...), RawPeer(), a Linux peer, or a stack of your own).
	Client, Server PeerMaker
	// ClientAddr and ServerAddr default to 192.0.2.1 and 192.0.2.2.
	ClientAddr, ServerAddr netip.Addr
	// MTU of the wire (default 1500).
	MTU int
	// PathMTU, if set below MTU, puts a router in the middle of the wire
	// whose next hop carries datagrams of at most PathMTU bytes: a longer
	// one with Don't Fragment set is dropped and answered with ICMP
	// Fragmentation Needed carrying PathMTU (RFC 1191 4, RFC 792), one
	// without it is cut into fragments (RFC 791 3.2). SetPathMTU changes
	// it during a run, as a route change would.
	PathMTU int
	// RouterAddr is the address the router's ICMP messages come from
	// (default 192.0.2.254).
	RouterAddr netip.Addr
	// Link models each direction, indexed by Dir. Left all zero, both
	// directions get DefaultLink. (A wire with no delay at all makes the
	// round-trip time zero, and with it every timer a stack derives from the
	// RTT: gVisor's RACK and tail-loss probes then fire at the instant they
	// are armed, again and again. Ask for it with a Delay of 1 ns if you
	// must.)
	Link [2]LinkConfig
	// Faults are the fault rules in force from the start (AddRule adds more).
	Faults []*Rule
	// FrozenClock makes every clock reading a peer takes at one virtual
	// instant the same, as the clock of no real host does (see PeerClock).
	// A scenario asks for it to show what a stack does with tied transmit
	// times; by default each reading is a Tick past the last.
	FrozenClock bool
	// Pcap, if set, receives a pcap capture of every packet.
	Pcap io.Writer
	// TraceLimit, if set, bounds the trace for a long run: it keeps only
	// the last TraceLimit to 2*TraceLimit packet records and as many state
	// changes (Trace.Forgotten counts the records dropped; Pcap still
	// receives every packet). Zero keeps everything, as a scenario's checks
	// need.
	TraceLimit int
	// MaxPacketsPerSettle bounds the packets one Settle may deliver before it
	// reports ErrLivelock (default 1,000,000).
	MaxPacketsPerSettle int
	// MaxPacketsUnheard bounds the packets one end may send while nothing
	// reaches it (default 16,384: more than a whole window of the smallest
	// segments any scenario sends in one burst): past it the end is a
	// sender in a loop that never yields, its packets are no longer
	// recorded (the trace and the capture stop growing) and the next
	// Settle reports ErrLivelock.
	MaxPacketsUnheard int
}

// ErrNoPeer: a Config left an end without a PeerMaker. A Net never picks a
// stack for you.
var ErrNoPeer = errors.New("no peer given for this end")

// ErrLivelock: the two ends kept exchanging packets at one virtual instant
// (an ACK war, say) and Settle gave up.
var ErrLivelock = errors.New("harness: packets kept flowing at one virtual instant")

// Net is two peers joined by a wire that carries whole IPv4 packets, on one
// virtual clock. A scenario is a loop of act (an application call on a
// peer), Settle (deliver everything due now and let both stacks finish
// processing it) and Advance (move virtual time to the next timer or packet
// arrival). Methods other than the peers' own are not safe for concurrent use.
type Net struct {
	cfg        Config
	clock      *Clock
	peers      [2]Peer
	stateless  [2]bool
	breakable  [2]Breakable // the peers that can break, or nil
	unstated   [2]bool      // the peer reports no states (StateReporter)
	statesRead [2]bool      // a test read the states of an unstated end
	links      [2]linkDir
	rules      []*Rule
	// faultRand draws the fault rules' chances, one stream per
	// direction: what the wire does to one direction's packets does not
	// hang on how many the other direction carried (a receiver that ACKs
	// less would otherwise change which of its sender's segments are lost).
	faultRand [2]*rand.Rand
	pcap      *pcapWriter

	// mu guards what Transmit touches, since gVisor transmits from its own
	// goroutine (never at the same time as the harness runs, but the lock
	// makes that obvious).
	mu       sync.Mutex
	held     [2]*inFlight // packets a Reorder rule holds back, per direction
	due      []*inFlight  // arrived, waiting for delivery, in order
	dueHead  int
	burst    []*inFlight // deliverNext's scratch: the packets it hands over at once
	taking   []*inFlight // the burst being delivered: its receiver takes them in order
	taken    int         // how many of taking have their place among the events
	inFlight int         // launched and not yet delivered (held ones included)
	closed   bool
	// unheard counts each end's packets since one last reached it; storm
	// is the ErrLivelock an end that passed MaxPacketsUnheard caused.
	unheard [2]int
	storm   error
	stormed atomic.Bool // storm is set: Settle's check without the lock
	// progress counts the Net's events (packets sent, settles), for a
	// watchdog on another goroutine to see that a run still moves.
	progress    atomic.Uint64
	order       uint64 // counts records and state changes, to interleave them
	trace       Trace
	states      [2]map[FourTuple]State
	bufs        [2][][]byte // free packet buffers: MTU-sized, small (getBuf)
	freeFlights []*inFlight // (newInFlight)
	isns        isnTable
	recChunk    []Record
	optSlab     []byte
}

// inFlight is a packet on its way.
type inFlight struct {
	dir Dir
	pkt []byte
	// index is the Index of the packet's record. The packet finds its
	// record through the trace (Net.record) rather than holding it, so
	// that a trace bounded by Config.TraceLimit lets go of the records of
	// packets still on the wire: a long run can have many more packets in
	// flight than records kept.
	index    int
	extra    time.Duration // extra delay from fault rules
	heldBack bool          // a Delay or Reorder rule acted on it
	injected bool          // a test handed it to its receiver (Net.Inject)
	lent     bool          // pkt is a buffer its receiver lent (BufferLender)
	// verified, flags and conn are what delivery needs of the record,
	// noted when it is made (newRecord). verified: the wire found a whole
	// TCP segment whose IP and TCP checksums are right (not corrupted,
	// not a fragment, not an ICMP error, not forged by a test); flags
	// decide whether it may go in a burst (inBurst); conn is the
	// connection it travels on, as its sender sees it.
	verified bool
	flags    packet.Flags
	conn     FourTuple
	notes    []string
	fate     Fate
	arrival  *Timer // puts it among the due packets when it arrives
}

// stateless is implemented by peers that keep no TCP state (the raw peer).
type stateless interface{ keepsNoState() }

// NewNet builds the two peers and joins them.
func NewNet(cfg Config) (*Net, error) {
	if cfg.ClientAddr == (netip.Addr{}) {
		cfg.ClientAddr = DefaultClientAddr
	}
	if cfg.ServerAddr == (netip.Addr{}) {
		cfg.ServerAddr = DefaultServerAddr
	}
	if cfg.MTU == 0 {
		cfg.MTU = DefaultMTU
	}
	if cfg.RouterAddr == (netip.Addr{}) {
		cfg.RouterAddr = DefaultRouterAddr
		if cfg.ClientAddr.Is6() {
			cfg.RouterAddr = DefaultRouterAddr6
		}
	}
	if cfg.Link == [2]LinkConfig{} {
		cfg.Link = [2]LinkConfig{DefaultLink, DefaultLink}
	}
	if cfg.MaxPacketsPerSettle == 0 {
		cfg.MaxPacketsPerSettle = 1_000_000
	}
	if cfg.MaxPacketsUnheard == 0 {
		cfg.MaxPacketsUnheard = 1 << 14
	}
	n := &Net{
		cfg:   cfg,
		clock: NewClock(),
		faultRand: [2]*rand.Rand{
			ClientToServer: StreamRand(cfg.Seed, "faults/"+ClientToServer.String()),
			ServerToClient: StreamRand(cfg.Seed, "faults/"+ServerToClient.String()),
		},
		rules: cfg.Faults,
	}
	if cfg.FrozenClock {
		n.clock.Freeze()
	}
	for d := range n.links {
		n.links[d].cfg = cfg.Link[d]
		n.links[d].jitter = StreamRand(cfg.Seed, "link/"+Dir(d).String())
	}
	for s := range n.states {
		n.states[s] = map[FourTuple]State{}
	}
	if cfg.Pcap != nil {
		pw, err := newPcapWriter(cfg.Pcap)
		if err != nil {
			return nil, fmt.Errorf("harness: pcap: %w", err)
		}
		n.pcap = pw
	}
	makers := [2]PeerMaker{cfg.Client, cfg.Server}
	addrs := [2]netip.Addr{cfg.ClientAddr, cfg.ServerAddr}
	for _, side := range []Side{Client, Server} {
		mk := makers[side]
		if mk == nil {
			n.Close()
			return nil, fmt.Errorf("harness: Config.%s is nil: %w", []string{"Client", "Server"}[side], ErrNoPeer)
		}
		p, err := mk(PeerEnv{
			Side:         side,
			Addr:         addrs[side],
			Clock:        n.clock,
			Seed:         cfg.Seed,
			MTU:          cfg.MTU,
			Transmit:     func(pkt []byte) { n.transmit(side, pkt) },
			TransmitWith: func(size int, fill func([]byte)) { n.transmitWith(side, size, fill) },
			StateChanged: n.stateChanged,
			Taking:       n.take,
		})
		if err != nil {
			n.Close()
			return nil, fmt.Errorf("harness: %s peer: %w", side, err)
		}
		n.peers[side] = p
		_, n.stateless[side] = p.(stateless)
		n.breakable[side], _ = p.(Breakable)
		if r, ok := p.(StateReporter); ok {
			n.unstated[side] = !r.ReportsStates()
		}
		if raw, ok := p.(*Raw); ok {
			raw.net = n
		}
	}
	return n, nil
}

// Close tears both peers down. What they send while closing (gVisor resets
// the connections it still holds) is not part of the run: it is neither
// traced nor captured.
func (n *Net) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	var errs []error
	for i, p := range n.peers {
		if p != nil {
			errs = append(errs, p.Close())
			n.peers[i] = nil
		}
	}
	return errors.Join(errs...)
}

// Progress counts the Net's events so far: packets sent and settles. A run
// whose count stands still while real time passes is stuck inside a call
// into a stack. Safe to call from any goroutine.
func (n *Net) Progress() uint64 { return n.progress.Load() }

// Storm is the ErrLivelock of an end that sent more than MaxPacketsUnheard
// packets while nothing reached it, or nil. Safe to call from any goroutine.
func (n *Net) Storm() error {
	if !n.stormed.Load() {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.storm
}

// Abandon gives up on a run stuck inside a call into a stack: the wire
// stops at once (nothing more is sent, delivered or recorded, so the trace
// can be read), and each peer is closed on a goroutine of its own, not
// waited for, since closing the stuck one may block on the very call that
// is stuck. Safe to call from any goroutine.
func (n *Net) Abandon() {
	n.mu.Lock()
	n.closed = true
	peers := n.peers
	n.mu.Unlock()
	for _, p := range peers {
		if p != nil {
			go p.Close()
		}
	}
}

// PeerErr is the failure of the first end whose peer broke (Breakable),
// or nil.
func (n *Net) PeerErr() error {
	for _, side := range []Side{Client, Server} {
		if b := n.breakable[side]; b != nil {
			if err := b.Broken(); err != nil {
				return fmt.Errorf("harness: %s peer: %w", side, err)
			}
		}
	}
	return nil
}

// Seed is the seed the Net was built from.
func (n *Net) Seed() uint64 { return n.cfg.Seed }

// Clock is the Net's virtual clock.
func (n *Net) Clock() *Clock { return n.clock }

// KeepsNoState reports whether side's peer keeps no TCP state (the raw
// peer): what it sends is what a test built, not a stack's conduct.
func (n *Net) KeepsNoState(side Side) bool { return n.stateless[side] }

// FrozenClock reports whether the Net was built with Config.FrozenClock.
func (n *Net) FrozenClock() bool { return n.cfg.FrozenClock }

// Now is the virtual time since Epoch.
func (n *Net) Now() time.Duration { return n.clock.Elapsed() }

// Peer returns one end.
func (n *Net) Peer(s Side) Peer { return n.peers[s] }

// Client is the dialing end.
func (n *Net) Client() Peer { return n.peers[Client] }

// Server is the listening end.
func (n *Net) Server() Peer { return n.peers[Server] }

// Addr is side's address.
func (n *Net) Addr(s Side) netip.Addr {
	if s == Client {
		return n.cfg.ClientAddr
	}
	return n.cfg.ServerAddr
}

// Trace is every packet and state change so far.
func (n *Net) Trace() *Trace { return &n.trace }

// AddRule puts a fault rule in force from now on.
func (n *Net) AddRule(r *Rule) {
	n.mu.Lock()
	n.rules = append(n.rules, r)
	n.mu.Unlock()
}

// ClearRules lifts every fault rule.
func (n *Net) ClearRules() {
	n.mu.Lock()
	n.rules = nil
	n.mu.Unlock()
}

// SetPathMTU changes Config.PathMTU from now on (0: no router limit).
func (n *Net) SetPathMTU(mtu int) {
	n.mu.Lock()
	n.cfg.PathMTU = mtu
	n.mu.Unlock()
}

// RouterAddr is where the router's ICMP errors come from.
func (n *Net) RouterAddr() netip.Addr { return n.cfg.RouterAddr }

// PcapErr is the first error writing the pcap capture, if any.
func (n *Net) PcapErr() error {
	if n.pcap == nil {
		return nil
	}
	return n.pcap.err
}
