package harness

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/tcpbed/tcpbed/harness/packet"
)

// defaultReorderHold is how long a Reorder rule holds a packet when no other
// packet comes along to overtake it and the rule names no Delay.
const defaultReorderHold = 10 * time.Millisecond

// transmit is PeerEnv.Transmit for side: the packet enters the wire, passes
// the fault rules, and is admitted to the link.
func (n *Net) transmit(side Side, pkt []byte) {
	n.transmitWith(side, len(pkt), func(b []byte) { copy(b, pkt) })
}

// transmitWith is PeerEnv.TransmitWith for side: transmit, for a packet of
// size bytes that fill writes into the wire's own buffer.
func (n *Net) transmitWith(side Side, size int, fill func(pkt []byte)) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return
	}
	if n.unheard[side]++; n.unheard[side] > n.cfg.MaxPacketsUnheard {
		if n.storm == nil {
			n.storm = fmt.Errorf("%w: the %s sent %d packets since one last reached it, the last at %s: a sender in a loop that never yields (no more of its packets are recorded)",
				ErrLivelock, side, n.cfg.MaxPacketsUnheard, formatTime(n.clock.Elapsed()))
			n.stormed.Store(true)
		}
		return
	}
	n.progress.Add(1)
	dir := dirFrom(side)
	f := n.newInFlight()
	f.dir, f.fate = dir, InFlight
	f.pkt, f.lent = n.bufFor(dir, size)
	fill(f.pkt)

	// The packet as the rules see it; parsed only when a rule is in force,
	// since newRecord parses it again for the trace.
	var sent *Record
	if len(n.rules) > 0 {
		if parsed, err := packet.Parse(f.pkt); err == nil {
			sent = &Record{Dir: dir, Packet: parsed, PayloadLen: len(parsed.TCP.Payload), Len: len(f.pkt)}
			sent.RelSeq, sent.RelAck = n.isns.relative(&parsed, neverLearn)
		}
	}
	hold := time.Duration(0)
	duplicate := false
	for _, r := range n.rules {
		if !r.decide(dir, sent, n.faultRand[dir].Float64) {
			continue
		}
		f.notes = append(f.notes, r.label())
		switch r.Action {
		case Drop:
			f.fate = Dropped
			n.launch(f)
			return
		case Duplicate:
			duplicate = true
		case Delay:
			f.extra += r.Delay
			f.heldBack = true
		case Reorder:
			hold = r.Delay
			if hold <= 0 {
				hold = defaultReorderHold
			}
			f.heldBack = true
		case Unreachable:
			f.fate = Dropped
			from := n.cfg.RouterAddr
			if r.Code == packet.PortUnreachable || r.Code == packet.ProtocolUnreachable {
				from = n.Addr(dir.To())
			}
			// The error quotes f, and launch gives a dropped packet's
			// buffer back (and its inFlight): build it first, about the
			// record f is about to get.
			reply := n.icmpReply(f.pkt, dir, n.trace.nextIndex(), from, r.Code, 0)
			n.launch(f)
			if reply != nil {
				n.launch(reply)
			}
			return
		case Corrupt:
			// At most one flipped bit per packet: a second flip could
			// cancel the first in the ones'-complement checksum and let
			// corrupted data through.
			if f.fate != Corrupted {
				corrupt(f.pkt, ipHeaderLen(f.pkt), n.faultRand[dir].Float64)
				f.fate = Corrupted
			}
		}
	}

	var dup *inFlight
	if duplicate {
		dup = n.newInFlight()
		dup.dir, dup.extra, dup.notes, dup.fate = dir, f.extra, f.notes, Duplicated
		dup.pkt, dup.lent = n.bufFor(dir, len(f.pkt))
		copy(dup.pkt, f.pkt)
	}
	if hold > 0 {
		if dup != nil {
			// The copy goes now; the original waits.
			n.launch(dup)
		}
		n.inFlight++
		if prev := n.held[dir]; prev != nil {
			n.held[dir] = nil
			n.inFlight--
			n.launch(prev)
		}
		n.held[dir] = f
		n.clock.AfterFunc(hold, func() {
			n.mu.Lock()
			defer n.mu.Unlock()
			if n.held[dir] == f {
				n.held[dir] = nil
				n.inFlight--
				n.launch(f)
			}
		})
		return
	}
	n.launch(f)
	if dup != nil {
		n.launch(dup)
	}
	// A held packet goes once the next one in its direction has.
	if prev := n.held[dir]; prev != nil {
		n.held[dir] = nil
		n.inFlight--
		n.launch(prev)
	}
}

// launch records f in the trace and the capture, and puts it on the link
// (unless a rule dropped it). Called with n.mu held.
func (n *Net) launch(f *inFlight) {
	now := n.clock.Elapsed()
	rec := n.newRecord(now, f)
	var arrive time.Duration
	admitted := false
	switch {
	case f.fate == Dropped:
	case len(f.pkt) > n.cfg.MTU:
		rec.Fate = TooBig
	case n.cfg.PathMTU > 0 && len(f.pkt) > n.cfg.PathMTU:
		// What the router sends on goes on the wire after f.
		defer func(next []*inFlight) {
			for _, g := range next {
				n.launch(g)
			}
		}(n.route(f, rec))
	default:
		if arrive, admitted = n.links[f.dir].admit(now, len(f.pkt)); !admitted {
			rec.Fate = QueueDropped
		}
	}
	if n.pcap != nil {
		n.pcap.write(now, f.pkt, rec)
	}
	if !admitted {
		n.fillStates(rec)
		n.freePkt(f)
		n.freeInFlight(f)
		return
	}
	arrive += f.extra
	n.inFlight++
	if arrive <= now {
		n.due = append(n.due, f)
		return
	}
	f.arrival.Reset(arrive - now)
}

// newInFlight is an inFlight for a packet about to enter the wire: a free
// one if there is one. Each carries its own arrival timer, armed anew for
// every packet it carries, so that a packet costs no allocation of its
// own on the wire.
func (n *Net) newInFlight() *inFlight {
	if k := len(n.freeFlights); k > 0 {
		f := n.freeFlights[k-1]
		n.freeFlights[k-1] = nil
		n.freeFlights = n.freeFlights[:k-1]
		return f
	}
	f := &inFlight{}
	f.arrival = n.clock.newTimer(func() {
		n.mu.Lock()
		n.due = append(n.due, f)
		n.mu.Unlock()
	})
	return f
}

// freeInFlight takes back f, its packet gone from the wire. One a rule
// held back is not reused: the timer that releases it may still look for
// it. Called with n.mu held.
func (n *Net) freeInFlight(f *inFlight) {
	if f.heldBack || len(n.freeFlights) >= freeBufs {
		return
	}
	*f = inFlight{arrival: f.arrival}
	n.freeFlights = append(n.freeFlights, f)
}

// route is the router of Config.PathMTU taking f, whose record is rec,
// too big for its next hop: with Don't Fragment set it is dropped and its
// sender told the MTU (RFC 1191 4); without, it is cut into fragments that
// go on in its place (RFC 791 3.2). It returns what the router sends: the
// ICMP error, or the fragments. Called with n.mu held.
func (n *Net) route(f *inFlight, rec *Record) []*inFlight {
	rec.Fate = TooBig
	// IPv6 routers never fragment (RFC 8200 5): every datagram is as if DF.
	if f.pkt[0]>>4 != 4 || header.IPv4(f.pkt).Flags()&header.IPv4FlagDontFragment != 0 {
		if reply := n.icmpReply(f.pkt, f.dir, rec.Index, n.cfg.RouterAddr, packet.FragmentationNeeded, uint16(n.cfg.PathMTU)); reply != nil {
			return []*inFlight{reply}
		}
		return nil
	}
	hl := ipHeaderLen(f.pkt)
	step := (n.cfg.PathMTU - hl) &^ 7
	var cuts []int
	for at := step; at < len(f.pkt)-hl; at += step {
		cuts = append(cuts, at)
	}
	frags, err := packet.Fragment(f.pkt, cuts...)
	if err != nil {
		return nil // not a datagram a router could cut
	}
	rec.Fate = Fragmented
	next := make([]*inFlight, len(frags))
	for i, b := range frags {
		next[i] = n.routerInFlight(f.dir, b, "fragment of #"+strconv.Itoa(rec.Index))
	}
	return next
}

// icmpReply is the ICMP Destination Unreachable error (or its ICMPv6
// equivalent) from sends the sender of pkt, which travelled in dir and is
// record #about, of code (and mtu); nil if pkt is no datagram anyone could
// answer. It travels the wire back like any packet; no fault rule acts on
// it. Called with n.mu held.
func (n *Net) icmpReply(pkt []byte, dir Dir, about int, from netip.Addr, code uint8, mtu uint16) *inFlight {
	reply, err := packet.UnreachableError(from, code, mtu, pkt)
	if err != nil {
		return nil
	}
	who := "the router"
	if from != n.cfg.RouterAddr {
		who = "the destination"
	}
	return n.routerInFlight(1-dir, reply, "sent by "+who+" about #"+strconv.Itoa(about))
}

// routerInFlight is a packet the wire itself sends (an ICMP error, a
// fragment), taken from newInFlight like every other so that it has the
// arrival timer launch arms. Called with n.mu held.
func (n *Net) routerInFlight(dir Dir, pkt []byte, note string) *inFlight {
	f := n.newInFlight()
	f.dir, f.pkt, f.fate, f.notes = dir, pkt, InFlight, []string{note}
	return f
}

// newRecord appends f's record to the trace, and notes in f what its
// delivery needs of it. Called with n.mu held.
func (n *Net) newRecord(now time.Duration, f *inFlight) *Record {
	if len(n.recChunk) == cap(n.recChunk) {
		n.recChunk = make([]Record, 0, nextChunk(cap(n.recChunk), 16, 256))
	}
	// The chunk is fresh from make, so the next record is already zero:
	// appending a Record{} wrote its 360 bytes again, barriers and all.
	n.recChunk = n.recChunk[:len(n.recChunk)+1]
	r := &n.recChunk[len(n.recChunk)-1]
	r.Index = n.trace.nextIndex()
	r.order = n.order
	n.order++
	r.At = now
	r.Dir = f.dir
	r.Len = len(f.pkt)
	r.Fate = f.fate
	r.Notes = f.notes
	r.Injected = f.injected
	r.HeldBack = f.heldBack
	p, err := packet.Parse(f.pkt)
	if err != nil && !errors.Is(err, packet.ErrTCPChecksum) && !errors.Is(err, packet.ErrIPChecksum) {
		// Parse stopped early; keep only what it filled in reliably.
		p.TCP = packet.Segment{}
	}
	r.ParseErr = err
	if err != nil && p.TCP.SrcPort == 0 {
		if m, icmpErr := packet.ParseICMP(f.pkt); icmpErr == nil {
			// The quoted payload lies in the packet's buffer, which goes
			// back to a pool (or to the receiver that lent it) once the
			// packet is delivered: the record keeps no view of it.
			m.Quoted.TCP.Payload = nil
			r.ICMP = &m
		}
	}
	r.PayloadLen = len(p.TCP.Payload)
	p.TCP.Payload = nil
	r.Packet = p
	if err == nil || r.Packet.TCP.SrcPort != 0 {
		if opts := rawTCPOptions(f.pkt); len(opts) > 0 {
			start := len(n.optSlab)
			if start+len(opts) > cap(n.optSlab) {
				n.optSlab = make([]byte, 0, nextChunk(cap(n.optSlab), 1<<10, 16<<10))
				start = 0
			}
			n.optSlab = append(n.optSlab, opts...)
			r.TCPOptions = n.optSlab[start:len(n.optSlab):len(n.optSlab)]
		}
	}
	if r.Packet.TCP.SrcPort != 0 || r.Packet.TCP.DstPort != 0 {
		learn := neverLearn
		switch {
		case err == nil && f.injected:
			learn = learnIfNew
		case err == nil:
			learn = alwaysLearn
		}
		r.RelSeq, r.RelAck = n.isns.relative(&r.Packet, learn)
	}
	n.trace.add(r, n.cfg.TraceLimit)
	f.index = r.Index
	f.verified = r.ParseErr == nil && r.ICMP == nil && !f.injected
	f.flags = r.Packet.TCP.Flags
	f.conn = r.ConnID(r.Dir.From())
	return r
}

// record is f's record, or nil if the trace has forgotten it
// (Config.TraceLimit). Called with n.mu held.
func (n *Net) record(f *inFlight) *Record { return n.trace.record(f.index) }

// nextChunk is the capacity of the chunk that follows one of capacity
// last among those the trace's records and options are carved from: twice
// as large, from least up to most. A run of a handful of packets (a
// FuzzInterop program, most conformance cells) then allocates a few
// kilobytes for its trace, not a most-sized chunk, while a long run
// still allocates once per most records.
func nextChunk(last, least, most int) int {
	return min(max(2*last, least), most)
}

// ipHeaderLen is how far into pkt its TCP header starts: the IHL of an
// IPv4 packet, the fixed header of an IPv6 one that carries TCP straight
// after it (0 otherwise: the harness's stacks send no extension headers).
func ipHeaderLen(pkt []byte) int {
	switch {
	case len(pkt) == 0:
		return 0
	case pkt[0]>>4 == 6:
		if len(pkt) < header.IPv6MinimumSize || pkt[header.IPv6NextHeaderOffset] != uint8(header.TCPProtocolNumber) {
			return 0
		}
		return header.IPv6MinimumSize
	}
	return int(pkt[0]&0xf) * 4
}

// rawTCPOptions returns the TCP option bytes of pkt, or nil if the headers
// do not hold together.
func rawTCPOptions(pkt []byte) []byte {
	ihl := ipHeaderLen(pkt)
	if ihl < header.IPv4MinimumSize || len(pkt) < ihl+header.TCPMinimumSize {
		return nil
	}
	t := header.TCP(pkt[ihl:])
	if hl := int(t.DataOffset()); hl < header.TCPMinimumSize || hl > len(t) {
		return nil
	}
	return t.Options()
}

// deliverNext delivers the oldest arrived packet, lets its receiver process
// it, and notes the states after. A receiver that takes bursts
// (BurstTaker) is handed, with it, the packets of the same connection that
// arrived after it at this instant, up to maxBurst, and processes them
// together, as a host does a burst its NIC hands over at once. It reports
// how many packets it delivered: 0 when none was waiting.
func (n *Net) deliverNext() int {
	n.mu.Lock()
	if n.dueHead == len(n.due) {
		n.due = n.due[:0]
		n.dueHead = 0
		n.mu.Unlock()
		return 0
	}
	first := n.due[n.dueHead]
	side := first.dir.To()
	to := n.peers[side]
	burst := append(n.burst[:0], first)
	n.due[n.dueHead] = nil
	n.dueHead++
	if b, ok := to.(BurstTaker); ok && inBurst(first) && b.TakesBurst(first.pkt) {
		for len(burst) < maxBurst && n.dueHead < len(n.due) {
			f := n.due[n.dueHead]
			if f.dir != first.dir || !inBurst(f) || f.conn != first.conn {
				break
			}
			n.due[n.dueHead] = nil
			n.dueHead++
			burst = append(burst, f)
		}
	}
	n.taking, n.taken = burst, 0
	// The first is taken as it is handed over: everything the receiver
	// sends in answer comes after it.
	n.takeLocked()
	n.unheard[side] = 0
	raw, _ := to.(*Raw)
	var firstRec *Record // for the raw peer, which takes no bursts
	if raw != nil {
		firstRec = n.record(first)
	}
	n.mu.Unlock()

	offload, _ := to.(ChecksumOffloader)
	for _, f := range burst {
		if f.lent {
			to.(BufferLender).DeliverLent(f.pkt, f.verified)
			f.pkt = nil // the receiver's again
		} else if offload != nil && f.verified {
			offload.DeliverVerified(f.pkt)
		} else {
			to.Deliver(f.pkt)
		}
		if raw != nil {
			raw.inbox[len(raw.inbox)-1].rec = firstRec
		}
	}
	to.Settle()

	n.mu.Lock()
	for n.taken < len(burst) {
		n.takeLocked()
	}
	n.taking = nil
	now := n.clock.Elapsed()
	for i, f := range burst {
		n.inFlight--
		if rec := n.record(f); rec != nil {
			rec.Reached = true
			rec.Arrived = now
			if rec.Fate == InFlight {
				rec.Fate = Delivered
			}
			n.fillStates(rec)
		}
		if f.pkt != nil {
			n.putBuf(f.pkt)
		}
		n.freeInFlight(f)
		burst[i] = nil
	}
	n.burst = burst[:0]
	n.mu.Unlock()
	return len(burst)
}

// maxBurst bounds a burst: a NIC driver's poll budget (Linux's NAPI
// weight), and below the segments gVisor processes for one endpoint in
// one wake (maxSegmentsPerWake, 100, transport/tcp/connect.go), so that
// it takes every packet of a burst in one pass.
const maxBurst = 64

// take is PeerEnv.Taking: the receiver of a burst starts on its next
// packet.
func (n *Net) take() {
	n.mu.Lock()
	if n.taken < len(n.taking) {
		n.takeLocked()
	}
	n.mu.Unlock()
}

// takeLocked gives the next packet of the burst being delivered its place
// among the trace's events. Called with n.mu held.
func (n *Net) takeLocked() {
	if rec := n.record(n.taking[n.taken]); rec != nil {
		rec.arrivedOrder = n.order
	}
	n.order++
	n.taken++
}

// inBurst reports whether f may be delivered in a burst: a verified
// segment without SYN, FIN or RST. Those flags start or end a
// connection's handshake or its close, and each is handed over alone, so
// that a receiver whose states the harness polls after Settle shows every
// state it passed through.
func inBurst(f *inFlight) bool {
	return f.verified && f.flags&(packet.SYN|packet.FIN|packet.RST) == 0
}

// smallPacket is the capacity of a small packet buffer: enough for any
// segment without data (60 bytes of IPv4 header and 60 of TCP at most).
// Pure ACKs get one of these rather than one an MTU long, so that a wire
// with many connections' ACKs on it does not hold an MTU for each.
const smallPacket = 128

// freeBufs is how many free packet buffers of each size the Net keeps.
const freeBufs = 4096

// bufFor is the buffer for a packet of size bytes travelling in dir: one
// its receiver lends (lent), if it lends them, or one of the wire's. Called
// with n.mu held.
func (n *Net) bufFor(dir Dir, size int) (pkt []byte, lent bool) {
	if l, ok := n.peers[dir.To()].(BufferLender); ok {
		return l.Lend(size), true
	}
	return n.getBuf(size), false
}

// freePkt gives back the buffer of f, whose packet will never be
// delivered. Called with n.mu held.
func (n *Net) freePkt(f *inFlight) {
	if f.lent {
		n.peers[f.dir.To()].(BufferLender).Unlend(f.pkt)
		return
	}
	n.putBuf(f.pkt)
}

// getBuf is a packet buffer of size bytes: a small one or one an MTU long.
func (n *Net) getBuf(size int) []byte {
	small := size <= smallPacket
	pool := &n.bufs[boolInt(small)]
	if k := len(*pool); k > 0 {
		b := (*pool)[k-1]
		if cap(b) >= size {
			*pool = (*pool)[:k-1]
			return b[:size]
		}
	}
	if small {
		return make([]byte, size, smallPacket)
	}
	return make([]byte, size, max(size, n.cfg.MTU))
}

func (n *Net) putBuf(b []byte) {
	pool := &n.bufs[boolInt(cap(b) <= smallPacket)]
	if len(*pool) < freeBufs {
		*pool = append(*pool, b)
	}
}

// Inject hands pkt straight to side's stack, as if the other end had sent
// it, and lets the stack process it: for the segments a test forges (a RST
// out of the blue, a SYN from a spoofed address) that neither stack would
// send. The packet is recorded in the trace (Record.Injected) and the
// capture like any other, so that a capture shows everything that reached
// a stack; no fault rule acts on it.
func (n *Net) Inject(side Side, pkt []byte) {
	n.mu.Lock()
	f := &inFlight{dir: dirFrom(side.Other()), pkt: append(n.getBuf(len(pkt))[:0], pkt...), injected: true}
	now := n.clock.Elapsed()
	rec := n.newRecord(now, f)
	if n.pcap != nil {
		n.pcap.write(now, f.pkt, rec)
	}
	rec.arrivedOrder = n.order
	n.order++
	n.unheard[side] = 0
	n.mu.Unlock()

	to := n.peers[side]
	to.Deliver(f.pkt)
	to.Settle()

	n.mu.Lock()
	rec.Reached = true
	rec.Arrived = now
	n.fillStates(rec)
	n.putBuf(f.pkt)
	n.mu.Unlock()
}
