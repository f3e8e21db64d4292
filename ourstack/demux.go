package ourstack

import (
	"errors"
	"net/netip"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// DeliverPacket hands the stack one inbound IPv4 packet. It processes it
// synchronously: any reply has been passed to Options.Send before it returns.
// A malformed packet is counted (Stats) and dropped.
func (s *Stack) DeliverPacket(pkt []byte) { s.deliverPacket(pkt, false) }

// DeliverVerifiedPacket is DeliverPacket for a packet whose IP and TCP
// checksums the link has already verified, as a NIC with receive checksum
// offload reports (Linux's CHECKSUM_UNNECESSARY): the stack checks
// everything else and does not sum them again. A link must hand a packet
// it did not verify, or found wrong, to DeliverPacket.
func (s *Stack) DeliverVerifiedPacket(pkt []byte) { s.deliverPacket(pkt, true) }

func (s *Stack) deliverPacket(pkt []byte, verified bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.stats.PacketsReceived++
	if wire.IPVersion(pkt) == wire.IPv6Version {
		s.deliverIPv6(pkt, verified)
		return
	}
	s.deliverDatagram(pkt, verified)
}

// deliverDatagram is DeliverPacket past the count: a fragment goes to the
// reassembler, and the datagram it completes comes back here whole.
func (s *Stack) deliverDatagram(pkt []byte, verified bool) {
	parse := wire.Parse
	if verified {
		parse = wire.ParseVerified
	}
	p, err := parse(pkt)
	if errors.Is(err, wire.ErrFragment) {
		// RFC 1122 3.3.2: a host MUST reassemble. Parse has checked the
		// header's length fields; its checksum is checked here, since the
		// fragment is kept.
		ip := wire.IPv4(pkt)
		if !ip.HeaderChecksumValid() {
			s.stats.MalformedPackets++
			s.stats.BadChecksums++
			return
		}
		if whole := s.frags.Add(ip, s.clock.Now()); whole != nil {
			s.deliverDatagram(whole, false)
		}
		return
	}
	if errors.Is(err, wire.ErrNotTCP) && p.IP.Protocol == wire.ProtocolICMP {
		if !s.accepts(p.IP.Src, p.IP.Dst) {
			s.stats.NotForUs++
			return
		}
		s.icmpv4(pkt, s.clock.Now())
		return
	}
	if err != nil {
		s.stats.MalformedPackets++
		if errors.Is(err, wire.ErrTCPChecksum) || errors.Is(err, wire.ErrIPChecksum) {
			s.stats.BadChecksums++
		}
		return
	}
	if !s.accepts(p.IP.Src, p.IP.Dst) {
		s.stats.NotForUs++
		return
	}
	s.segmentArrived(p.IP.Src, p.IP.Dst, &p.TCP)
}

// segmentArrived hands a well-formed segment from src to dst on to its
// connection or listener.
func (s *Stack) segmentArrived(src, dst netip.Addr, seg *wire.Segment) {
	id := tcp.FourTuple{
		LocalAddr:  dst,
		LocalPort:  seg.DstPort,
		RemoteAddr: src,
		RemotePort: seg.SrcPort,
	}
	s.demux(id, seg, s.clock.Now())
}

// deliverIPv6 is DeliverPacket for an IPv6 packet: a TCP segment goes on as
// an IPv4 one does; an ICMPv6 error goes to the connection it is about; a
// packet RFC 8200 4 says to answer with a Parameter Problem gets one.
// A fragment goes to the reassembler, and the datagram it completes comes
// back here whole.
func (s *Stack) deliverIPv6(pkt []byte, verified bool) {
	parse := wire.ParseIPv6
	if verified {
		parse = wire.ParseIPv6Verified
	}
	p, err := parse(pkt)
	if at, ok := wire.FragmentHeaderAt(err); ok {
		// RFC 8200 4.5: a host reassembles. The fragments are checked
		// against our address as the whole datagram will be.
		if !s.accepts(p.IP.Src, p.IP.Dst) {
			s.stats.NotForUs++
			return
		}
		if whole := s.frags.Add6(pkt, at, s.clock.Now()); whole != nil {
			s.deliverIPv6(whole, false)
		}
		return
	}
	if err == nil || errors.Is(err, wire.ErrNotTCP) || errors.Is(err, wire.ErrTCPChecksum) {
		if !s.accepts(p.IP.Src, p.IP.Dst) {
			s.stats.NotForUs++
			return
		}
	}
	var pe *wire.ParseError
	switch {
	case err == nil:
		s.segmentArrived(p.IP.Src, p.IP.Dst, &p.TCP)
	case errors.As(err, &pe) && pe.Err == wire.ErrNotTCP && pe.Value == wire.ProtocolICMPv6:
		s.icmpv6(pkt, wire.IPv6HeaderLen+len(p.IP.ExtHeaders), s.clock.Now())
	default:
		s.stats.MalformedPackets++
		if errors.Is(err, wire.ErrTCPChecksum) {
			s.stats.BadChecksums++
		}
		s.paramProblem(pkt, p.IP, err)
	}
}

// paramProblem answers a packet RFC 8200 4 says to answer with an ICMPv6
// Parameter Problem (wire.ParamProblem), unless it came from an address no
// answer may go to (RFC 4443 2.4 (e)) or was not for us.
func (s *Stack) paramProblem(pkt []byte, ip wire.IPv6Fields, err error) {
	code, pointer, ok := wire.ParamProblem(err, ip.Dst)
	if !ok || ip.Dst != s.addr || !unicast(ip.Src) || martian(ip.Src, s.addr) {
		return
	}
	s.out.buf = wire.AppendICMPv6ParamProblem(s.out.buf[:0], s.addr, ip.Src, code, pointer, pkt)
	s.stats.PacketsSent++
	s.stats.ParamProblemsSent++
	s.send(s.out.buf)
	s.out.buf = s.out.buf[:cap(s.out.buf)]
}

// demux finds who a segment is for: the connection with its four-tuple, else
// the listener on its port, else nobody (RFC 9293 3.10.7.1).
func (s *Stack) demux(id tcp.FourTuple, seg *wire.Segment, now time.Time) {
	if c := s.conns[id]; c != nil {
		s.segmentForConn(c, seg, now)
		return
	}
	if l := s.listeners[id.LocalPort]; l != nil {
		s.segmentForListener(l, id, seg, now)
		return
	}
	s.respondClosed(id, seg)
}

func (s *Stack) segmentForConn(c *Conn, seg *wire.Segment, now time.Time) {
	if c.inSYNQueue && c.listener.acceptQueueFull() && completesHandshake(seg) {
		// The accept queue has no room for the connection this ACK would
		// establish. Like Linux (tcp_check_req with tcp_abort_on_overflow
		// off), drop the ACK: the TCB stays in SYN-RECEIVED, retransmits its
		// SYN-ACK, and the peer's next ACK may find room.
		s.stats.ListenOverflows++
		return
	}
	verdict := c.tcb.HandleSegment(now, seg)
	s.afterEvent(c, now)
	if verdict == tcp.ReopenFromTimeWait {
		// RFC 9293 3.10.7.4 and RFC 6191: a SYN the TIME-WAIT TCB accepts
		// starts a new incarnation. The old one is gone; the SYN goes to the
		// listener as if no connection had existed, but the new ISN must lie
		// above every sequence number the old incarnation used (RFC 9293
		// 3.6, RFC 1122 4.2.2.13), or the peer could take an old duplicate
		// of ours for new data.
		s.forget(c, now)
		if l := s.listeners[c.id.LocalPort]; l != nil && seg.Flags.Has(wire.FlagSYN) {
			s.synForListenerAbove(l, c.id, seg, now, c.tcb.SendEnd(), true)
			return
		}
		s.demux(c.id, seg, now)
	}
}

// completesHandshake reports whether seg is the kind of segment that moves
// SYN-RECEIVED to ESTABLISHED (RFC 9293 3.10.7.4, fifth check): an ACK, not
// an RST or a SYN, which are handled before it.
func completesHandshake(seg *wire.Segment) bool {
	return seg.Flags.Has(wire.FlagACK) && !seg.Flags.Has(wire.FlagRST) && !seg.Flags.Has(wire.FlagSYN)
}

// respondClosed answers a segment for which no connection exists
// (RFC 9293 3.10.7.1: an RST unless the segment was one).
func (s *Stack) respondClosed(id tcp.FourTuple, seg *wire.Segment) {
	rst, ok := tcp.RespondClosed(seg)
	if !ok {
		return
	}
	rst.SrcPort, rst.DstPort = id.LocalPort, id.RemotePort
	s.out.writeTo(id.RemoteAddr, &rst)
}

// accepts reports whether a datagram from src to dst is for this stack. It
// is not when dst is not our address; or when src is one no reply may go
// to, which RFC 1122 4.2.3.10 says a SYN must not come from and which we
// would otherwise answer with a RST to broadcast; or one no datagram on a
// wire may carry, which RFC 1122 3.2.1.3 says to discard silently.
func (s *Stack) accepts(src, dst netip.Addr) bool {
	return dst == s.addr && unicast(src) && !martian(src, s.addr)
}

// unicast reports whether a can be the source of a TCP segment: not
// unspecified, multicast or (IPv4) the limited broadcast.
func unicast(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// martian reports whether src can never be the source of a datagram that
// reached a host at local from a wire (RFC 1122 3.2.1.3, RFC 6890's
// "Source: False"): "this network" 0.0.0.0/8, whose {0, host} form "MUST
// NOT be sent, except as a source address as part of an initialization
// procedure"; loopback 127/8, which "MUST NOT appear outside a host" and
// arriving "MUST be silently discarded" (unless the stack itself is on a
// loopback address, when its peers are too); and 240/4, reserved, the
// limited broadcast among it. Multicast sources are unicast's to refuse.
//
// For IPv6: the loopback ::1, which "must not be sent outside of a single
// node" and arriving on an interface "must be dropped" (RFC 4291 2.5.3);
// and IPv4-mapped addresses (::ffff:0:0/96), which stand for IPv4 peers
// inside a host and never appear on an IPv6 wire (RFC 4291 2.5.5.2, RFC
// 6890).
func martian(src, local netip.Addr) bool {
	if src.Is6() {
		return src.IsLoopback() && !local.IsLoopback() || src.Is4In6()
	}
	b := src.As4()
	switch {
	case b[0] == 0:
		return true
	case b[0] == 127:
		return !local.IsLoopback()
	case b[0] >= 240:
		return true
	}
	return false
}
