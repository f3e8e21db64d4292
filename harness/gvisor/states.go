package gvisor

import (
	"cmp"
	"encoding/binary"
	"slices"
	"time"
	"weak"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	gtcp "gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
)

// How the peer finds the state changes to report, at a cost that follows
// the work done rather than the endpoints open.
//
// A gVisor endpoint changes state only while gVisor works on that
// endpoint: processing a segment of its connection, an application call on
// it, or one of its timers. The peer notes the connection (its four-tuple,
// gVisor's TransportEndpointID) each time it lets gVisor work:
//
//   - a delivered packet names its connection, and the processor, which
//     runs only inside Settle right after the delivery, works on nothing
//     else (the packets delivered before one Settle are one packet, or a
//     burst of one connection's, harness.BurstTaker);
//   - an application call is made on a known endpoint;
//   - a timer belongs to the connection gVisor was working on when it
//     armed the timer (gVisor arms an endpoint's timers only while working
//     on that endpoint), so each timer carries that connection and notes it
//     when it fires.
//
// Settle then looks only at the endpoints of the connections noted: those
// it tracks, and the one the stack now has for the four-tuple (a listener's
// new connection). Whatever gVisor does for no connection the peer can name
// (a timer armed outside any, a listener closing with connections pending
// on it) makes the next Settle look at every endpoint, as it always did.

// gvisorTracked is an endpoint whose state the peer reports.
type gvisorTracked struct {
	ep   tcpip.Endpoint
	sid  stack.TransportEndpointID // as the stack registers it
	id   harness.FourTuple
	last harness.State
	seq  uint64 // when it was first seen: reports come in this order
	poll uint64 // the last poll that looked at it
	// sndBufUsed is gVisor's send queue (written, not yet acknowledged)
	// as its TCP probe last reported it, after a segment; written is
	// what the application has written since (gvisorConn.Unacknowledged).
	sndBufUsed, written int
}

// scope is the connection gVisor works on, as far as the peer knows it.
type scope struct {
	sid   stack.TransportEndpointID
	known bool
}

// states is the peer's bookkeeping of endpoint states.
type states struct {
	// live are the tracked endpoints not yet terminal, by connection (a
	// four-tuple reused from TIME-WAIT has two for a moment).
	live map[stack.TransportEndpointID][]*gvisorTracked
	// seen holds every endpoint ever tracked, weakly, so that one gone
	// terminal but still registered is not taken for a new one.
	seen     map[weak.Pointer[gtcp.Endpoint]]struct{}
	seenGC   int // len(seen) after its last sweep of collected endpoints
	nextSeq  uint64
	touched  []stack.TransportEndpointID // connections noted since the last poll
	everyone bool                        // look at every endpoint at the next poll
	poll     uint64                      // counts polls

	check, fresh []*gvisorTracked // pollStates' scratch

	cur      scope      // what gVisor is working on now
	inbound  scope      // the connection of the packet delivered since the last Settle
	inbounds int        // packets delivered since the last Settle
	unnamed  []*gvTimer // timers armed while cur.known is false, in a Dial
	naming   bool       // collect unnamed: a Dial will name them
}

func newStates() states {
	return states{
		live: map[stack.TransportEndpointID][]*gvisorTracked{},
		seen: map[weak.Pointer[gtcp.Endpoint]]struct{}{},
	}
}

// touch notes that sc's endpoints may have changed state.
func (s *states) touch(sc scope) {
	if !sc.known {
		s.everyone = true
		return
	}
	s.touched = append(s.touched, sc.sid)
}

// work marks the start of an application call on t: it may change t's
// state, and gVisor works on t's connection until the returned function
// runs.
func (p *gvisorPeer) work(t *gvisorTracked) (done func()) {
	p.dirty = true
	sc := scope{sid: t.sid, known: true}
	p.st.touch(sc)
	prev := p.st.cur
	p.st.cur = sc
	return func() { p.st.cur = prev }
}

// noteInbound notes the connection of a packet about to be delivered: the
// connection gVisor will work on, unless the packets delivered since the
// last Settle name more than one.
func (s *states) noteInbound(pkt []byte) {
	sid, ok := connOf(pkt)
	if s.inbounds == 0 {
		s.inbound = scope{sid: sid, known: ok}
	} else if !ok || sid != s.inbound.sid {
		s.inbound.known = false
	}
	s.inbounds++
}

// connOf is the connection an inbound TCP packet belongs to, as the
// receiving stack registers it; ok is false for a packet that is not TCP
// or whose headers do not hold together.
func connOf(pkt []byte) (sid stack.TransportEndpointID, ok bool) {
	_, tcp, ok := tcpOf(pkt)
	if !ok {
		return sid, false
	}
	if header.IPVersion(pkt) == header.IPv4Version {
		sid.LocalAddress, sid.RemoteAddress = header.IPv4(pkt).DestinationAddress(), header.IPv4(pkt).SourceAddress()
	} else {
		sid.LocalAddress, sid.RemoteAddress = header.IPv6(pkt).DestinationAddress(), header.IPv6(pkt).SourceAddress()
	}
	sid.RemotePort = binary.BigEndian.Uint16(tcp[0:])
	sid.LocalPort = binary.BigEndian.Uint16(tcp[2:])
	return sid, true
}

// tcpOf is the TCP segment an IPv4 or IPv6 packet carries (the IP
// payload, at least a minimal TCP header long), and where it starts in
// pkt; ok is false for a packet that is not TCP, a fragment but the first,
// or one whose headers do not hold together.
func tcpOf(pkt []byte) (at int, tcp []byte, ok bool) {
	switch header.IPVersion(pkt) {
	case header.IPv4Version:
		ip := header.IPv4(pkt)
		if !ip.IsValid(len(pkt)) || ip.TransportProtocol() != header.TCPProtocolNumber || ip.FragmentOffset() != 0 {
			return 0, nil, false
		}
		at, tcp = int(ip.HeaderLength()), ip.Payload()
	case header.IPv6Version:
		ip := header.IPv6(pkt)
		if !ip.IsValid(len(pkt)) || ip.TransportProtocol() != header.TCPProtocolNumber {
			return 0, nil, false
		}
		at, tcp = header.IPv6MinimumSize, ip.Payload()
	default:
		return 0, nil, false
	}
	return at, tcp, len(tcp) >= header.TCPMinimumSize
}

// gvTimer is a timer gVisor armed, with the connection it belongs to.
type gvTimer struct {
	p  *gvisorPeer
	f  func()
	sc scope
}

// fire runs the timer's callback as work on its connection.
func (t *gvTimer) fire() {
	p := t.p
	p.dirty = true
	p.st.touch(t.sc)
	prev := p.st.cur
	p.st.cur = t.sc
	t.f()
	p.st.cur = prev
}

// armed notes a timer gVisor just armed: it belongs to what gVisor is
// working on now.
func (s *states) armed(t *gvTimer) {
	t.sc = s.cur
	if !t.sc.known && s.naming {
		s.unnamed = append(s.unnamed, t)
	}
}

// name gives the timers armed during a Dial the connection the Dial made
// (sc unknown: it made none), and ends the Dial's collecting.
func (s *states) name(sc scope) {
	for _, t := range s.unnamed {
		t.sc = sc
	}
	clear(s.unnamed)
	s.unnamed = s.unnamed[:0]
	s.naming = false
}

// track starts reporting ep's state changes, from the state it was in before
// it was seen, and returns its entry (the one it has if already tracked).
func (p *gvisorPeer) track(ep tcpip.Endpoint, from harness.State) *gvisorTracked {
	sid := endpointSID(ep)
	for _, t := range p.st.live[sid] {
		if t.ep == ep {
			return t
		}
	}
	t := &gvisorTracked{ep: ep, sid: sid, id: p.endpointID(ep), last: from}
	if !p.st.see(ep) {
		// Seen before and gone terminal since: nothing more to report.
		t.last = gvisorState(gtcp.EndpointState(ep.State()))
		return t
	}
	p.st.add(t)
	p.st.touch(scope{sid: sid, known: true})
	return t
}

// see records ep as seen and reports whether it was new.
func (s *states) see(ep tcpip.Endpoint) bool {
	gep, ok := ep.(*gtcp.Endpoint)
	if !ok {
		return true
	}
	w := weak.Make(gep)
	if _, ok := s.seen[w]; ok {
		return false
	}
	s.seen[w] = struct{}{}
	if len(s.seen) >= 2*s.seenGC+1024 {
		for k := range s.seen {
			if k.Value() == nil {
				delete(s.seen, k)
			}
		}
		s.seenGC = len(s.seen)
	}
	return true
}

func (s *states) add(t *gvisorTracked) {
	t.seq = s.nextSeq
	s.nextSeq++
	s.live[t.sid] = append(s.live[t.sid], t)
}

// endpointSID is ep's connection as the stack registers it.
func endpointSID(ep tcpip.Endpoint) stack.TransportEndpointID {
	if info, ok := ep.Info().(*stack.TransportEndpointInfo); ok {
		return info.ID
	}
	return stack.TransportEndpointID{}
}

// pollStates reports the state changes of the endpoints of every
// connection noted since the last poll. Endpoints the stack created itself
// (a listener's new connections) are found by their connection and start
// from LISTEN.
func (p *gvisorPeer) pollStates() {
	s := &p.st
	if s.everyone {
		s.everyone = false
		for _, te := range p.stack.RegisteredEndpoints() {
			if ep, ok := te.(tcpip.Endpoint); ok {
				s.touched = append(s.touched, endpointSID(ep))
			}
		}
		for sid := range s.live {
			s.touched = append(s.touched, sid)
		}
	}
	if len(s.touched) == 0 {
		return
	}
	// The endpoints already tracked, in the order they were first seen
	// (a connection noted twice is looked at once).
	s.poll++
	check := s.check[:0]
	for _, sid := range s.touched {
		for _, t := range s.live[sid] {
			if t.poll != s.poll {
				t.poll = s.poll
				check = append(check, t)
			}
		}
	}
	slices.SortFunc(check, func(a, b *gvisorTracked) int { return cmp.Compare(a.seq, b.seq) })
	p.report(check)
	// Then new ones, by four-tuple. A connection has one endpoint at a
	// time in the stack's registry: a new one can have come only where no
	// tracked one is left (a four-tuple reused from TIME-WAIT).
	fresh := s.fresh[:0]
	for _, sid := range s.touched {
		if sid.RemotePort == 0 || len(s.live[sid]) > 0 {
			continue // a listener (only Listen makes one), or still tracked
		}
		te := p.stack.FindTransportEndpoint(netProto(sid), gtcp.ProtocolNumber, sid, gvisorNIC)
		ep, ok := te.(tcpip.Endpoint)
		if !ok || endpointSID(ep) != sid || !s.see(ep) {
			continue
		}
		id := p.endpointID(ep)
		from := harness.Closed
		if p.listenPorts[id.LocalPort] {
			from = harness.Listen
		}
		fresh = append(fresh, &gvisorTracked{ep: ep, sid: sid, id: id, last: from})
	}
	slices.SortFunc(fresh, func(a, b *gvisorTracked) int { return a.id.Compare(b.id) })
	for _, t := range fresh {
		s.add(t)
	}
	p.report(fresh)
	clear(check)
	clear(fresh)
	s.check, s.fresh, s.touched = check[:0], fresh[:0], s.touched[:0]
}

// report reports each of ts whose state changed, and stops tracking those
// gone terminal.
func (p *gvisorPeer) report(ts []*gvisorTracked) {
	now := p.env.Clock.Elapsed()
	for _, t := range ts {
		raw := gtcp.EndpointState(t.ep.State())
		if st := gvisorState(raw); st != t.last {
			p.env.StateChanged(harness.StateChange{At: now, Side: p.env.Side, ID: t.id, From: t.last, To: st})
			t.last = st
		}
		if raw == gtcp.StateClose || raw == gtcp.StateError {
			// Terminal: the endpoint will never change again.
			p.st.drop(t)
		}
	}
}

// drop stops tracking t.
func (s *states) drop(t *gvisorTracked) {
	l := s.live[t.sid]
	if i := slices.Index(l, t); i >= 0 {
		l = slices.Delete(l, i, i+1)
	}
	if len(l) == 0 {
		delete(s.live, t.sid)
	} else {
		s.live[t.sid] = l
	}
}

// liveEndpoints are the tracked endpoints not yet terminal, in the order
// they were first seen.
func (s *states) liveEndpoints() []*gvisorTracked {
	var all []*gvisorTracked
	for _, l := range s.live {
		all = append(all, l...)
	}
	slices.SortFunc(all, func(a, b *gvisorTracked) int { return cmp.Compare(a.seq, b.seq) })
	return all
}

// netProto is the network protocol of a connection's addresses.
func netProto(sid stack.TransportEndpointID) tcpip.NetworkProtocolNumber {
	if sid.LocalAddress.Len() == header.IPv6AddressSize {
		return header.IPv6ProtocolNumber
	}
	return header.IPv4ProtocolNumber
}

// gvisorPeerClock is the peer's view of the Net's clock: every timer notes
// the connection it belongs to, and marks the peer as having work for
// Settle when it fires.
type gvisorPeerClock struct {
	c *harness.PeerClock
	p *gvisorPeer
}

func (g gvisorPeerClock) Now() time.Time { return g.c.Now() }

// NowMonotonic counts from the Unix epoch rather than from zero: gVisor reads
// a zero MonotonicTime as "never", so the clock must never show it. gVisor
// reads it several times a segment, so the reading is one addition to a
// reading of virtual time, with no wall-clock time made on the way.
func (g gvisorPeerClock) NowMonotonic() tcpip.MonotonicTime {
	return tcpip.MonotonicTime{}.Add(epochSinceUnix + g.c.Elapsed())
}

// epochSinceUnix is the harness's Epoch as a time since the Unix epoch.
var epochSinceUnix = harness.Epoch.Sub(time.Unix(0, 0))

func (g gvisorPeerClock) AfterFunc(d time.Duration, f func()) tcpip.Timer {
	t := &gvTimer{p: g.p, f: f}
	g.p.st.armed(t)
	return g.c.AfterFunc(d, t.fire)
}
