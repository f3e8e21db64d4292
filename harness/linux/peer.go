package linux

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// NewPeer returns a harness.PeerMaker that builds Linux peers: each a Host
// (its own namespace and TUN) with the address the Net gives it, as a /24
// (IPv4) or a /64 (IPv6), and the Net's MTU. cfg's other fields pass through (the zero Config is
// the usual choice):
//
//	n, err := harness.NewNet(harness.Config{
//		Client: linux.NewPeer(linux.Config{}),
//		Server: gvisor.NewPeer(gvisor.Options{}),
//	})
//	if errors.Is(err, linux.ErrUnavailable) { skip the cell, with err as the reason }
//
// How the peer settles is described on peer.Settle.
func NewPeer(cfg Config) harness.PeerMaker {
	return func(env harness.PeerEnv) (harness.Peer, error) { return newPeer(env, cfg) }
}

// peer is a Host as one end of a harness.Net. Its methods are called from the
// Net's goroutine only (the harness's rule for peers).
type peer struct {
	env  harness.PeerEnv
	host *Host

	listenPorts map[uint16]bool // ports a Listen opened, for where connections start
	// states is the last state reported for every connection the peer
	// knows and has not seen end; touched, those a packet or a call
	// concerned since the last poll.
	states       map[harness.FourTuple]harness.State
	touched      map[harness.FourTuple]bool
	lastFullPoll time.Time
	fullPollCost time.Duration // real time the last full poll took
	timers       kernelTimers
}

func newPeer(env harness.PeerEnv, cfg Config) (harness.Peer, error) {
	if !cfg.Addr.IsValid() {
		bits := DefaultAddr.Bits()
		if env.Addr.Is6() {
			bits = DefaultAddr6.Bits()
		}
		cfg.Addr = netip.PrefixFrom(env.Addr, bits)
	}
	if cfg.MTU == 0 {
		cfg.MTU = env.MTU
	}
	sysctls, err := tcpSysctls(cfg.TCP)
	if err != nil {
		return nil, err
	}
	for k, v := range cfg.Sysctls { // the Config's own sysctls win
		sysctls[k] = v
	}
	cfg.Sysctls = sysctls
	h, err := Open(cfg)
	if err != nil {
		return nil, err
	}
	p := &peer{
		env:         env,
		host:        h,
		listenPorts: map[uint16]bool{},
		states:      map[harness.FourTuple]harness.State{},
		touched:     map[harness.FourTuple]bool{},
	}
	p.timers.init(env.Clock, h.cfg.QuietPeriod, cfg.MirrorTimeWait)
	return p, nil
}

func (p *peer) Name() string     { return "linux" }
func (p *peer) Addr() netip.Addr { return p.host.Addr() }

// RealTime: Linux's timers run on the kernel's clock (harness.RealTimePeer).
func (p *peer) RealTime() bool { return true }

// Host is the peer's Host, for a scenario that needs what the harness's
// interfaces do not offer (a sysctl, a socket option through Conn.Control).
func (p *peer) Host() *Host { return p.host }

// Deliver writes pkt to the TUN. The kernel processes it inside the write;
// its answers wait on the TUN until Settle passes them on.
func (p *peer) Deliver(pkt []byte) {
	if id, ok := packetFourTuple(pkt, false); ok {
		p.touched[id] = true
	}
	p.host.WritePacket(pkt) // fails only once closed
	p.timers.event()
}

// touch marks a connection for the next state poll.
func (p *peer) touch(id harness.FourTuple) {
	p.touched[id] = true
	p.timers.event()
}

// Settle passes on everything the kernel has sent, and the state changes
// that go with it, and waits for a kernel timer only when the virtual clock
// has reached it.
//
//  1. Kernel timers: Linux's timers run on real time, which the harness
//     cannot advance. Each state poll reads, with sock_diag, the pending
//     timer of each connection it looks at (retransmission and SYN-ACK
//     retransmission, zero-window probe, keepalive) and mirrors it onto the
//     Net's virtual clock at the same distance from now. When the Net
//     advances virtual time to a mirrored timer, the next Settle waits in
//     real time until the kernel's timer has fired (it watches the timer in
//     sock_diag change, bounded by QuietPeriod past the deadline plus the
//     kernel's timer slack). This is the only real-time wait, and it is as
//     long as Linux's own timer. TIME-WAIT (60 s in Linux, fixed) is not
//     mirrored unless Config.MirrorTimeWait: a scenario would wait a real
//     minute; its end shows up at the first state poll after it.
//  2. Everything Linux did at once is exact: a delivered packet and an
//     application call are processed inside the syscall, and their output
//     is on the TUN before it returns, so reading the TUN to EAGAIN misses
//     nothing (tun_device.go).
//  3. States are read with sock_diag, one exact lookup per connection: those
//     a packet or a call touched since the last Settle, and every known one
//     after a kernel timer fired or statePollEvery of real time has passed.
//     Each change is passed to StateChanged before the packets go out, so a
//     trace line shows the state the packet was sent in.
func (p *peer) Settle() {
	fired := p.timers.waitFired(p.host)
	pkts, _ := p.host.TakePackets()
	for _, pkt := range pkts {
		if id, ok := packetFourTuple(pkt, true); ok {
			p.touched[id] = true
		}
	}
	// A full poll costs one lookup per known connection (15 us each); with
	// thousands of them (a SYN flood's request sockets) it is spaced out to
	// take at most a tenth of the real time.
	full := fired || time.Since(p.lastFullPoll) > max(statePollEvery, 10*p.fullPollCost)
	if full || len(p.touched) > 0 {
		p.pollStates(full)
	}
	for _, pkt := range pkts {
		p.env.Transmit(pkt)
	}
}

// statePollEvery bounds how stale the reported states may get when nothing
// happens on the harness's side (a TIME-WAIT ending on Linux's clock).
const statePollEvery = 10 * time.Millisecond

// pollStates looks up the touched connections (all known ones if full),
// reports every state change, and re-mirrors their kernel timers.
func (p *peer) pollStates(full bool) {
	ids := make([]harness.FourTuple, 0, len(p.touched))
	for id := range p.touched {
		ids = append(ids, id)
	}
	if full {
		for id := range p.states {
			if !p.touched[id] {
				ids = append(ids, id)
			}
		}
		start := time.Now()
		defer func() {
			p.lastFullPoll = time.Now()
			p.fullPollCost = p.lastFullPoll.Sub(start)
		}()
	}
	clear(p.touched)
	// Reports come in one order every run, whatever order maps give.
	slices.SortFunc(ids, harness.FourTuple.Compare)
	now := p.env.Clock.Elapsed()
	for _, id := range ids {
		s, found, err := p.host.diag.lookup(id)
		if err != nil {
			continue
		}
		st := harness.Closed
		if found {
			if st, err = stateFromLinux(s.State); err != nil {
				continue
			}
		}
		last, known := p.states[id]
		if !known && !found {
			continue // never seen alive: nothing to report (an RST's target)
		}
		if !known {
			last = harness.Closed
			if id.RemotePort != 0 && p.listenPorts[id.LocalPort] {
				last = harness.Listen // a listener's new connection
			}
		}
		if st != last {
			p.env.StateChanged(harness.StateChange{At: now, Side: p.env.Side, ID: id, From: last, To: st})
		}
		if st == harness.Closed {
			delete(p.states, id)
		} else {
			p.states[id] = st
		}
		p.timers.observe(id, s, found, time.Now())
	}
}

// Listen opens a listening socket on port with Linux's usual backlog.
func (p *peer) Listen(port uint16) (harness.Listener, error) {
	l, err := p.host.Listen(port, listenBacklog)
	if err != nil {
		return nil, err
	}
	p.listenPorts[l.Port()] = true
	p.touch(l.id())
	return &peerListener{p: p, l: l}, nil
}

// listenBacklog is the accept queue a harness Listen asks for (gVisor's
// peer asks for the same).
const listenBacklog = 128

// Dial starts a non-blocking connect; the SYN is on the TUN already and
// goes out at the next Settle.
func (p *peer) Dial(raddr netip.AddrPort) (harness.Conn, error) { return p.DialFrom(0, raddr) }

// DialFrom is Dial from local port lport (0: an ephemeral one), with
// SO_REUSEADDR so that a four-tuple in TIME-WAIT can be reused
// (harness.PortDialer).
func (p *peer) DialFrom(lport uint16, raddr netip.AddrPort) (harness.Conn, error) {
	c, err := p.host.ConnectFrom(lport, raddr)
	if err != nil {
		return nil, err
	}
	p.touch(c.ID())
	return &peerConn{p: p, c: c}, nil
}

// Counters are the kernel's own counts, from the namespace's SNMP
// counters: TCP's InErrs (bad checksums included) plus IP's and IPv6's
// header errors, and TcpExt.SyncookiesSent.
func (p *peer) Counters() (harness.Counters, bool) {
	c, err := p.host.Counters()
	if err != nil {
		return harness.Counters{}, false
	}
	return harness.Counters{
		MalformedDropped: c["Tcp.InErrs"] + c["Ip.InHdrErrors"] + c["Ip6.InHdrErrors"],
		SYNCookiesSent:   c["TcpExt.SyncookiesSent"],
	}, true
}

// Close closes the Host: every socket, the TUN, the namespace.
func (p *peer) Close() error {
	p.timers.stopAll()
	return p.host.Close()
}

// tcpSysctls translates the settings into sysctls of the peer's namespace.
// Nagle is Linux's default. Linux has no switch for the RTO's cap
// (TCP_RTO_MAX is a constant, 120 s, in include/net/tcp.h), nor for the MSL:
// TIME-WAIT lasts TCP_TIMEWAIT_LEN, 60 s, so only an MSL of 30 s fits.
func tcpSysctls(w harness.TCPSettings) (map[string]string, error) {
	s := map[string]string{}
	if w.NoSACK {
		s["net/ipv4/tcp_sack"] = "0"
	}
	if w.SynRetries != 0 {
		s["net/ipv4/tcp_syn_retries"] = strconv.Itoa(w.SynRetries)
	}
	if w.DataRetries != 0 {
		// tcp_retries2 counts retransmissions, but Linux turns it into a
		// time limit computed as if the RTO started at 200 ms
		// (retransmits_timed_out in net/ipv4/tcp_timer.c).
		s["net/ipv4/tcp_retries2"] = strconv.Itoa(w.DataRetries)
	}
	if w.Congestion != "" {
		s["net/ipv4/tcp_congestion_control"] = strings.Replace(w.Congestion, "newreno", "reno", 1)
	}
	if w.MSL != 0 && w.MSL != linuxMSL {
		return nil, fmt.Errorf("linux peer: an MSL of %v: %w (TIME-WAIT is fixed at %v)", w.MSL, harness.ErrUnsupported, 2*linuxMSL)
	}
	if w.MaxRTO != 0 {
		return nil, fmt.Errorf("linux peer: a maximum RTO of %v: %w (TCP_RTO_MAX is fixed at 120 s)", w.MaxRTO, harness.ErrUnsupported)
	}
	return s, nil
}

// linuxMSL is the MSL Linux's fixed TIME-WAIT (TCP_TIMEWAIT_LEN) implies.
const linuxMSL = 30 * time.Second
