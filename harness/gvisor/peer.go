// Package gvisor is gVisor's netstack (gvisor.dev/gvisor/pkg/tcpip) as a
// harness peer: the reference stack every scenario runs against, on the
// Net's virtual clock, with its processor goroutine paused between steps.
package gvisor

import (
	"cmp"
	"fmt"
	"math/rand"
	"net/netip"
	"runtime"
	"strings"
	"sync"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Options tune the gVisor peer. The zero value is gVisor's defaults
// (SACK on, TIME-WAIT 60 s = 2MSL with an MSL of 30 s, Reno).
type Options struct {
	// Settings are the scenario's wishes of every stack.
	Settings harness.TCPSettings
	// Configure, if set, is called with the stack before any endpoint
	// exists, for any other option a scenario needs.
	Configure func(*stack.Stack) error
	// Backlog is every listener's accept queue (0: DefaultBacklog).
	Backlog int
}

// DefaultBacklog is a listener's accept queue unless Options.Backlog says
// otherwise: Linux's SOMAXCONN before 5.4.
const DefaultBacklog = 128

// NewPeer builds gVisor netstack peers.
func NewPeer(opts Options) harness.PeerMaker {
	return func(env harness.PeerEnv) (harness.Peer, error) { return newGVisorPeer(env, opts) }
}

// gvisorNIC is the one NIC of a gVisor peer.
const gvisorNIC tcpip.NICID = 1

// gvisorPeer is gVisor's netstack as a peer.
//
// How Settle works: gVisor processes inbound TCP segments on its dispatcher's
// processor goroutines (transport/tcp/dispatcher.go). The stack is built
// with exactly one processor, so work happens in one deterministic order,
// and that processor is kept paused (the TCP protocol's Pause, which
// stack.Pause calls for save/restore) whenever the harness is not letting
// it run. Delivering a packet runs gVisor's IP layer on the harness
// goroutine and only queues the segment; Settle after a delivery resumes
// the processor and pauses it again, and the pause returns only once the
// processor has drained its queue and is parked (dispatcher.go: a
// processor answers a pause only with an empty queue). Timers fire on the harness goroutine
// inside Clock.Advance, while the processor is parked. So when Settle
// returns, no goroutine of this stack is doing anything: a barrier that no
// real-time sleep decides. A barrier costs about a microsecond
// (BenchmarkGVisorBarrier). Settle then reports the state changes of the
// connections gVisor worked on (states.go).
type gvisorPeer struct {
	env   harness.PeerEnv
	stack *stack.Stack
	link  *gvisorLink
	tcp   stack.TransportProtocol
	// netProto is the family of the peer's one address, for its endpoints.
	netProto tcpip.NetworkProtocolNumber

	paused bool
	dirty  bool // something happened since the last Settle
	// burstLeft counts the packets of the burst being processed that the
	// processor has yet to start on (took).
	burstLeft int
	// lent are the views Lend lent the wire, by their first byte. The wire
	// lends from any goroutine that transmits.
	lentMu sync.Mutex
	lent   map[*byte]*buffer.View

	backlog     int
	listenPorts map[uint16]bool
	st          states // which endpoints may have changed state (states.go)
}

// oneProcessor serializes building gVisor stacks: gVisor sizes its TCP
// dispatcher by GOMAXPROCS at construction, and we want exactly one.
var oneProcessor sync.Mutex

func newGVisorPeer(env harness.PeerEnv, opts Options) (harness.Peer, error) {
	p := &gvisorPeer{
		env:         env,
		backlog:     cmp.Or(opts.Backlog, DefaultBacklog),
		listenPorts: map[uint16]bool{},
		st:          newStates(),
		lent:        map[*byte]*buffer.View{},
	}
	clock := gvisorPeerClock{c: env.Clock.ForPeer(), p: p}

	// IPv6 only on a wire that carries it: a peer never sees a packet of
	// the other family (the wire and the router carry one), and making
	// gVisor's IPv6 was a twentieth of a fuzz program's CPU. IPv4's factory
	// is made once (ipv4Protocol), so it costs nothing to keep.
	protocols := []stack.NetworkProtocolFactory{ipv4Protocol}
	if env.Addr.Is6() {
		protocols = append(protocols, ipv6Protocol)
	}
	oneProcessor.Lock()
	prev := runtime.GOMAXPROCS(1)
	s := stack.New(stack.Options{
		NetworkProtocols:   protocols,
		TransportProtocols: []stack.TransportProtocolFactory{gtcp.NewProtocolProbe(p.took)},
		Clock:              clock,
		RandSource:         &v1Source{r: harness.StreamRand(env.Seed, env.StreamName("gvisor/rand"))},
		SecureRNG:          harness.StreamReader(env.Seed, env.StreamName("gvisor/secure")),
		DefaultIPTables:    noIPTables,
	})
	runtime.GOMAXPROCS(prev)
	oneProcessor.Unlock()
	p.stack = s
	p.tcp = s.TransportProtocolInstance(gtcp.ProtocolNumber)
	p.pause()

	fail := func(what string, err tcpip.Error) (harness.Peer, error) {
		p.Close()
		return nil, fmt.Errorf("harness: gvisor peer: %s: %s", what, err)
	}
	p.link = newGVisorLink(env.MTU, env.Transmit, env.TransmitWith)
	if err := s.CreateNIC(gvisorNIC, p.link); err != nil {
		return fail("CreateNIC", err)
	}
	p.netProto = ipv4.ProtocolNumber
	route := header.IPv4EmptySubnet
	if env.Addr.Is6() {
		p.netProto, route = ipv6.ProtocolNumber, header.IPv6EmptySubnet
	}
	addr := tcpip.ProtocolAddress{Protocol: p.netProto, AddressWithPrefix: packet.TCPIPAddr(env.Addr).WithPrefix()}
	if err := s.AddProtocolAddress(gvisorNIC, addr, stack.AddressProperties{}); err != nil {
		return fail("AddProtocolAddress", err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: route, NIC: gvisorNIC}})
	// Client ports from IANA's dynamic range (RFC 6335 6), as ourstack and
	// the Linux peer use: gVisor's own range starts at 16000 and crosses
	// ports Wireshark's dissectors claim, so a capture would decode a
	// scenario's data as their protocol.
	if err := s.SetPortRange(49152, 65535); err != nil {
		return fail("SetPortRange", err)
	}
	for _, opt := range protocolOptions(opts.Settings) {
		if err := s.SetTransportProtocolOption(gtcp.ProtocolNumber, opt); err != nil {
			return fail(fmt.Sprintf("%T", opt), err)
		}
	}
	if opts.Configure != nil {
		if err := opts.Configure(s); err != nil {
			p.Close()
			return nil, fmt.Errorf("harness: gvisor peer: Configure: %w", err)
		}
	}
	return p, nil
}

func (p *gvisorPeer) Name() string     { return "gvisor" }
func (p *gvisorPeer) Addr() netip.Addr { return p.env.Addr }

// Deliver copies pkt into gVisor's memory: a packet the wire did not write
// into a buffer the peer lent (an ICMP error or a fragment the router
// made, a packet a test injects). gVisor verifies its checksums.
func (p *gvisorPeer) Deliver(pkt []byte) { p.deliver(pkt, buffer.MakeWithData(pkt), false) }

// deliver hands the stack pkt, held in buf (gVisor's memory, which the
// stack takes); verified says the wire found its checksums right.
func (p *gvisorPeer) deliver(pkt []byte, buf buffer.Buffer, verified bool) {
	p.dirty = true
	p.st.noteInbound(pkt) // before the stack takes buf, which may hold pkt
	p.link.inject(ipVersion(pkt), buf, verified)
}

// Lend implements harness.BufferLender: a view of gVisor's pooled chunks,
// which DeliverLent hands to the stack as it is, where Deliver would copy
// the packet into one.
func (p *gvisorPeer) Lend(size int) []byte {
	if size == 0 {
		return nil
	}
	v := buffer.NewViewSize(size)
	b := v.AsSlice()
	p.lentMu.Lock()
	p.lent[&b[0]] = v
	p.lentMu.Unlock()
	return b
}

// takeBack is the view Lend lent as pkt, no longer lent.
func (p *gvisorPeer) takeBack(pkt []byte) *buffer.View {
	if len(pkt) == 0 {
		return nil
	}
	p.lentMu.Lock()
	defer p.lentMu.Unlock()
	v := p.lent[&pkt[0]]
	delete(p.lent, &pkt[0])
	return v
}

// DeliverLent implements harness.BufferLender. The packet's IP and TCP
// headers go to the stack in a small view of their own, ahead of the lent
// view with the payload: gVisor's IPv4 endpoint holds a view of the network
// header while it reads the header again (HandlePacket,
// network/ipv4/ipv4.go), and a chunk held twice is cloned whole to be read
// (Buffer.PullUp): with the headers in the lent view, every packet was
// copied once more, 64 KiB at MTU 65535.
func (p *gvisorPeer) DeliverLent(pkt []byte, verified bool) {
	v := p.takeBack(pkt)
	if v == nil {
		p.deliver(pkt, buffer.MakeWithData(pkt), verified)
		return
	}
	buf := buffer.Buffer{}
	if n := tcpHeadersLen(pkt); n > 0 && n < len(pkt) {
		buf.Append(buffer.NewViewWithData(pkt[:n]))
		v.TrimFront(n)
	}
	buf.Append(v)
	p.deliver(pkt, buf, verified)
}

// tcpHeadersLen is the length of pkt's IP and TCP headers (tcpOf), or 0
// when pkt carries no TCP header it could split off (an ICMP error, a
// later fragment, an IPv6 extension header), which the stack then takes
// in one view.
func tcpHeadersLen(pkt []byte) int {
	at, tcp, ok := tcpOf(pkt)
	if !ok {
		return 0
	}
	return at + int(header.TCP(tcp).DataOffset())
}

// Unlend implements harness.BufferLender.
func (p *gvisorPeer) Unlend(pkt []byte) {
	if v := p.takeBack(pkt); v != nil {
		v.Release()
	}
}

// TakesBurst implements harness.BurstTaker: a segment may begin a burst
// when its connection has one endpoint, synchronized and not in
// TIME-WAIT. gVisor's processor then takes every segment of the burst in
// one pass over that endpoint's queue (handleConnected, then
// Endpoint.handleSegmentsLocked, transport/tcp/connect.go), and its TCP
// probe (took) runs after each. A segment for a listener, a handshake
// under way or TIME-WAIT is processed elsewhere, with no probe, and is
// handed over alone.
func (p *gvisorPeer) TakesBurst(pkt []byte) bool {
	sid, ok := connOf(pkt)
	if !ok {
		return false
	}
	l := p.st.live[sid]
	return len(l) == 1 && burstState(gtcp.EndpointState(l[0].ep.State()))
}

// took is gVisor's TCP probe, which its processor calls after each segment
// it has processed for a connected endpoint (Endpoint.handleSegmentLocked,
// transport/tcp/connect.go): in a burst, the processor starts on the next
// segment now, everything it sent about the one before already sent.
//
// If that segment left the endpoint closed or in TIME-WAIT, the processor
// stops taking the burst's segments there and hands the rest to the
// closing drain or the TIME-WAIT handler, which run no probe: they are all
// taken now, before anything gVisor sends about them.
//
// It also notes the endpoint's send queue, which gVisor gives out nowhere
// else.
func (p *gvisorPeer) took(s *gtcp.TCPEndpointState) {
	if l := p.st.live[stack.TransportEndpointID(s.ID)]; len(l) == 1 {
		l[0].sndBufUsed, l[0].written = s.SndBufState.SndBufUsed, 0
	}
	if p.burstLeft == 0 {
		return
	}
	p.env.Taking()
	p.burstLeft--
	if l := p.st.live[p.st.cur.sid]; len(l) == 1 && !burstState(gtcp.EndpointState(l[0].ep.State())) {
		for ; p.burstLeft > 0; p.burstLeft-- {
			p.env.Taking()
		}
	}
}

// burstState reports whether an endpoint in state s takes a burst's
// segments in one pass, with the probe after each: synchronized, not in
// TIME-WAIT.
func burstState(s gtcp.EndpointState) bool {
	switch s {
	case gtcp.StateEstablished, gtcp.StateFinWait1, gtcp.StateFinWait2, gtcp.StateCloseWait, gtcp.StateClosing, gtcp.StateLastAck:
		return true
	}
	return false
}

func (p *gvisorPeer) Settle() {
	if !p.dirty {
		return
	}
	p.dirty = false
	if p.st.inbounds > 0 {
		// The processor has segments to work on: let it, on the
		// connection of the packet delivered if one was (states.go).
		// Nothing else gives it work: gVisor hands the processor an
		// endpoint only when segments wait in that endpoint's queue, and
		// only deliveries put them there (the processor drains every
		// queue before it pauses), so a Settle after application calls or
		// timers alone costs no goroutine handoff.
		sc := p.st.inbound
		p.st.touch(sc)
		if sc.known {
			// A burst (harness.BurstTaker): the harness took the first
			// packet as it handed it over; took takes the others.
			p.burstLeft = p.st.inbounds - 1
		}
		p.st.inbounds = 0
		prev := p.st.cur
		p.st.cur = sc
		p.resume()
		p.pause()
		p.burstLeft = 0
		p.st.cur = prev
	}
	p.pollStates()
}

func (p *gvisorPeer) Counters() (harness.Counters, bool) {
	st := p.stack.Stats()
	return harness.Counters{
		// A bad checksum on a segment for a connection; a header gVisor
		// could not parse; and a segment whose flipped bit sent it to no
		// endpoint at all, which gVisor checksums before it would answer.
		MalformedDropped: st.TCP.ChecksumErrors.Value() + st.TCP.InvalidSegmentsReceived.Value() +
			st.NICs.MalformedL4RcvdPackets.Value(),
		SYNCookiesSent: st.TCP.ListenOverflowSynCookieSent.Value(),
	}, true
}

func (p *gvisorPeer) pause() {
	if !p.paused {
		p.tcp.Pause()
		p.paused = true
	}
}

func (p *gvisorPeer) resume() {
	if p.paused {
		p.tcp.Resume()
		p.paused = false
	}
}

func (p *gvisorPeer) Close() error {
	if p.stack == nil {
		return nil
	}
	p.resume()
	for _, t := range p.st.liveEndpoints() {
		t.ep.Abort()
	}
	p.stack.Close()
	p.stack.Wait()
	p.stack = nil
	return nil
}

func (p *gvisorPeer) newEndpoint() (tcpip.Endpoint, *waiter.Queue, error) {
	var wq waiter.Queue
	ep, err := p.stack.NewEndpoint(gtcp.ProtocolNumber, p.netProto, &wq)
	if err != nil {
		return nil, nil, gvisorError("socket", err)
	}
	return ep, &wq, nil
}

func (p *gvisorPeer) Listen(port uint16) (harness.Listener, error) {
	p.dirty = true
	ep, _, err := p.newEndpoint()
	if err != nil {
		return nil, err
	}
	if err := ep.Bind(tcpip.FullAddress{Port: port}); err != nil {
		ep.Close()
		return nil, gvisorError("bind", err)
	}
	if err := ep.Listen(p.backlog); err != nil {
		ep.Close()
		return nil, gvisorError("listen", err)
	}
	p.listenPorts[port] = true
	return &gvisorListener{peer: p, ep: ep, port: port, t: p.track(ep, harness.Closed)}, nil
}

func (p *gvisorPeer) Dial(raddr netip.AddrPort) (harness.Conn, error) { return p.DialFrom(0, raddr) }

// DialFrom is Dial from local port lport (0: an ephemeral one), as bind(2)
// then connect(2).
func (p *gvisorPeer) DialFrom(lport uint16, raddr netip.AddrPort) (harness.Conn, error) {
	p.dirty = true
	// The connection has no four-tuple until Connect picks the port: the
	// timers Connect arms are named once it has one.
	p.st.naming = true
	defer p.st.name(scope{})
	ep, _, err := p.newEndpoint()
	if err != nil {
		return nil, err
	}
	if lport != 0 {
		if err := ep.Bind(tcpip.FullAddress{Port: lport}); err != nil {
			ep.Close()
			return nil, gvisorError("bind", err)
		}
	}
	to := tcpip.FullAddress{NIC: gvisorNIC, Addr: packet.TCPIPAddr(raddr.Addr()), Port: raddr.Port()}
	switch err := ep.Connect(to); err.(type) {
	case nil, *tcpip.ErrConnectStarted:
	default:
		ep.Close()
		return nil, gvisorError("connect", err)
	}
	t := p.track(ep, harness.Closed)
	p.st.name(scope{sid: t.sid, known: true})
	return &gvisorConn{peer: p, ep: ep, t: t}, nil
}

// endpointID is ep's four-tuple. A listener bound to no address in
// particular gets the peer's one address, so that it reads like the others.
func (p *gvisorPeer) endpointID(ep tcpip.Endpoint) harness.FourTuple {
	info, ok := ep.Info().(*stack.TransportEndpointInfo)
	if !ok {
		return harness.FourTuple{}
	}
	local := packet.AddrOf(info.ID.LocalAddress)
	if !local.IsValid() {
		local = p.env.Addr
	}
	return harness.FourTuple{
		LocalAddr:  local,
		LocalPort:  info.ID.LocalPort,
		RemoteAddr: packet.AddrOf(info.ID.RemoteAddress),
		RemotePort: info.ID.RemotePort,
	}
}

// noIPTables gives a stack iptables with no tables: tcpbed never
// configures gVisor's iptables, and while they are unmodified every hook
// returns at once (IPTables.shouldSkipOrPopulateTables, stack/iptables.go).
// stack.DefaultTables built eight tables of accept rules for each stack,
// never read: a tenth of the bytes a FuzzInterop program allocated. It
// drew one number from the stack's random source (its conntrack's seed);
// this draws it too, so that every later draw, and every run, is the same.
func noIPTables(_ tcpip.Clock, rng *rand.Rand) *stack.IPTables {
	rng.Uint32()
	return new(stack.IPTables)
}

// ipv4Protocol is gVisor's IPv4, its factory made once for every peer.
// Making it fills the table of IP identifications for non-atomic datagrams
// (RFC 6864 4.3) from the operating system's random source, 8 KiB a call
// and a tenth of a peer's construction. Sharing it changes nothing a run
// can see: gVisor's TCP segments are atomic (Don't Fragment, identification
// 0), and the identifications of its ICMP errors start wherever the table
// stands, which was a random place before too.
var ipv4Protocol = ipv4.NewProtocolWithOptions(ipv4.Options{})

// ipv6Protocol is gVisor's IPv6 as a host on the harness's wire wants it:
// no Duplicate Address Detection (an address that is tentative for a
// second would refuse the first SYN), no router solicitations and no MLD
// reports: a wire of two hosts has no router or multicast listener to tell,
// and their packets would be noise in every trace.
func ipv6Protocol(s *stack.Stack) stack.NetworkProtocol {
	return ipv6.NewProtocolWithOptions(ipv6.Options{
		NDPConfigs: ipv6.NDPConfigurations{MaxRtrSolicitations: 0},
		DADConfigs: stack.DADConfigurations{DupAddrDetectTransmits: 0},
		MLD:        ipv6.MLDOptions{Enabled: false},
	})(s)
}

// gvisorState maps gVisor's endpoint state onto RFC 9293's.
func gvisorState(s gtcp.EndpointState) harness.State {
	switch s {
	case gtcp.StateConnecting, gtcp.StateSynSent:
		return harness.SynSent
	case gtcp.StateSynRecv:
		return harness.SynReceived
	case gtcp.StateEstablished:
		return harness.Established
	case gtcp.StateFinWait1:
		return harness.FinWait1
	case gtcp.StateFinWait2:
		return harness.FinWait2
	case gtcp.StateTimeWait:
		return harness.TimeWait
	case gtcp.StateCloseWait:
		return harness.CloseWait
	case gtcp.StateLastAck:
		return harness.LastAck
	case gtcp.StateListen:
		return harness.Listen
	case gtcp.StateClosing:
		return harness.Closing
	default: // Initial, Bound, Close, Error
		return harness.Closed
	}
}

// protocolOptions translates the settings into gVisor's TCP protocol options.
func protocolOptions(w harness.TCPSettings) []tcpip.SettableTransportProtocolOption {
	var opts []tcpip.SettableTransportProtocolOption
	if w.NoSACK {
		sack := tcpip.TCPSACKEnabled(false)
		opts = append(opts, &sack)
	}
	if w.Nagle {
		delay := tcpip.TCPDelayEnabled(true)
		opts = append(opts, &delay)
	}
	if w.MaxRTO != 0 {
		maxRTO := tcpip.TCPMaxRTOOption(w.MaxRTO)
		opts = append(opts, &maxRTO)
	}
	if w.SynRetries != 0 {
		syn := tcpip.TCPSynRetriesOption(w.SynRetries)
		opts = append(opts, &syn)
	}
	if w.DataRetries != 0 {
		retries := tcpip.TCPMaxRetriesOption(w.DataRetries)
		opts = append(opts, &retries)
	}
	if w.MSL != 0 {
		tw := tcpip.TCPTimeWaitTimeoutOption(2 * w.MSL)
		opts = append(opts, &tw)
	}
	if w.Congestion != "" {
		cc := tcpip.CongestionControlOption(strings.Replace(w.Congestion, "newreno", "reno", 1))
		opts = append(opts, &cc)
	}
	return opts
}
