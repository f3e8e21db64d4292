package ourstack

import (
	"time"

	"github.com/tcpbed/tcpbed/ourstack/tcp"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// icmpv4 takes an IPv4 packet carrying ICMP. An error message about one of
// our connections goes to its TCB (RFC 1122 4.2.3.9, RFC 9293 3.9); any
// other ICMP (an echo, an error about a connection we do not have, one
// that is malformed) is counted and dropped: this stack answers no ICMP.
func (s *Stack) icmpv4(pkt []byte, now time.Time) {
	e, err := wire.ParseICMPv4Error(pkt)
	if err != nil {
		s.stats.ICMPDropped++
		return
	}
	r, ok := icmpv4Report(e)
	if !ok {
		s.stats.ICMPDropped++
		return
	}
	s.icmpError(e.Quoted, r, now)
}

// icmpError hands r to the connection q names, if we have it.
func (s *Stack) icmpError(q wire.QuotedSegment, r tcp.ICMPReport, now time.Time) {
	// The quote is of a segment we sent: its source is us.
	id := tcp.FourTuple{LocalAddr: q.Src, LocalPort: q.SrcPort, RemoteAddr: q.Dst, RemotePort: q.DstPort}
	c := s.conns[id]
	if q.Src != s.addr || c == nil {
		s.stats.ICMPDropped++
		return
	}
	r.Seq = q.Seq
	s.stats.ICMPErrors++
	c.tcb.HandleICMP(now, r)
	s.afterEvent(c, now)
}

// icmpv4Report is what an ICMPv4 error means to TCP; ok is false for one
// TCP ignores: Source Quench (RFC 6633 2: "MUST silently discard") and a
// code RFC 1122 does not give TCP a meaning for.
func icmpv4Report(e wire.ICMPError) (tcp.ICMPReport, bool) {
	r := tcp.ICMPReport{Kind: tcp.ICMPSoft, IPHeaderLen: wire.IPv4MinHeaderLen, MinMTU: minIPv4MTU}
	switch e.Type {
	case wire.ICMPv4DestUnreachable:
		switch e.Code {
		case wire.ICMPv4NetUnreachable:
			r.Err = tcp.ErrNetUnreachable
		case wire.ICMPv4ProtocolUnreachable:
			r.Kind, r.Err = tcp.ICMPHard, tcp.ErrProtocolNotPresent
		case wire.ICMPv4PortUnreachable:
			r.Kind, r.Err = tcp.ICMPHard, tcp.ErrConnectionRefused
		case wire.ICMPv4FragmentationNeeded:
			r.Kind, r.MTU = tcp.ICMPPacketTooBig, e.MTU
			if r.MTU == 0 {
				// A router from before RFC 1191: guess from the size
				// of the datagram it refused (RFC 1191 5).
				r.MTU = tcp.PlateauBelow(e.Quoted.TotalLength)
			}
		default:
			// Host unreachable and the codes RFC 1122 3.2.2.1 and RFC
			// 1812 5.2.7.1 added (unknown host, isolated, prohibited,
			// for this type of service): all say the host cannot be
			// reached now, which may change.
			r.Err = tcp.ErrHostUnreachable
		}
	case wire.ICMPv4TimeExceeded, wire.ICMPv4ParamProblem:
		r.Err = tcp.ErrHostUnreachable
	default:
		return r, false
	}
	return r, true
}

// minIPv4MTU is the smallest MTU every IPv4 link has (RFC 791: "Every
// internet module must be able to forward a datagram of 68 octets"), below
// which PMTU discovery never goes (RFC 1191 3).
const minIPv4MTU = 68

// icmpv6 takes an IPv6 packet whose upper layer, at upper, is ICMPv6: an
// error message about one of our connections goes to its TCB, as for
// ICMPv4; anything else (neighbour discovery, an echo) is counted and
// dropped: the harness's links need no neighbour discovery, and this stack
// answers no ICMPv6 but Parameter Problem.
func (s *Stack) icmpv6(pkt []byte, upper int, now time.Time) {
	e, err := wire.ParseICMPv6Error(pkt, upper)
	if err != nil {
		s.stats.ICMPDropped++
		return
	}
	s.icmpError(e.Quoted, icmpv6Report(e), now)
}

// icmpv6Report is what an ICMPv6 error means to TCP (RFC 4443 3, with RFC
// 1122 4.2.3.9's soft and hard errors as RFC 4443 3.1 maps them).
func icmpv6Report(e wire.ICMPError) tcp.ICMPReport {
	r := tcp.ICMPReport{Kind: tcp.ICMPSoft, Err: tcp.ErrHostUnreachable, IPHeaderLen: wire.IPv6HeaderLen, MinMTU: minIPv6MTU}
	switch e.Type {
	case wire.ICMPv6PacketTooBig:
		r.Kind, r.MTU = tcp.ICMPPacketTooBig, e.MTU
	case wire.ICMPv6DestUnreachable:
		switch e.Code {
		case wire.ICMPv6NoRoute:
			r.Err = tcp.ErrNetUnreachable
		case wire.ICMPv6PortUnreachable:
			// RFC 4443 3.1: "port unreachable" is IPv4's code 3.
			r.Kind, r.Err = tcp.ICMPHard, tcp.ErrConnectionRefused
		}
	case wire.ICMPv6ParamProblem:
		if e.Code == wire.ParamProblemNextHeader {
			// The peer does not know TCP: IPv4's protocol unreachable.
			r.Kind, r.Err = tcp.ICMPHard, tcp.ErrProtocolNotPresent
		}
	}
	return r
}

// minIPv6MTU is the smallest MTU of an IPv6 link (RFC 8200 5), below which
// Packet Too Big never takes our segments (RFC 8201 4).
const minIPv6MTU = 1280
