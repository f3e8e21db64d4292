package packet

import (
	"fmt"
	"net/netip"
	"strconv"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/checksum"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The ICMPv4 Destination Unreachable codes a router or host sends about a
// TCP segment (RFC 792, RFC 1122 3.2.2.1, RFC 1191).
const (
	NetUnreachable      = uint8(header.ICMPv4NetUnreachable)
	HostUnreachable     = uint8(header.ICMPv4HostUnreachable)
	ProtocolUnreachable = uint8(header.ICMPv4ProtoUnreachable)
	PortUnreachable     = uint8(header.ICMPv4PortUnreachable)
	FragmentationNeeded = uint8(header.ICMPv4FragmentationNeeded)
)

// ICMPv4DestUnreachable is the ICMPv4 type of Destination Unreachable.
const ICMPv4DestUnreachable = uint8(header.ICMPv4DstUnreachable)

// ICMP is an ICMP error message about a TCP segment: its type and code,
// the next-hop MTU a Fragmentation Needed message carries (RFC 1191 4),
// and what it quotes of the segment. Quoted has the quoted IP header and
// the TCP ports and sequence number: the first 8 bytes of the TCP header,
// all an ICMP error is sure to carry (RFC 792); the rest of Quoted.TCP is
// zero.
type ICMP struct {
	Src, Dst   netip.Addr
	Type, Code uint8
	MTU        uint16
	// Pointer is an ICMPv6 Parameter Problem's: the offset of the byte at
	// fault in the quoted packet (RFC 4443 3.4).
	Pointer uint32
	Quoted  Packet
	// QuoteUnreadable is set for an ICMPv6 Parameter Problem whose body
	// does not start with the offending packet's IPv6 header (RFC 4443
	// 2.4 (c), 3.4: it quotes as much of the invoking packet as fits,
	// from its start): Quoted is zero then. A stack that quotes from the
	// header at fault sends one.
	QuoteUnreadable bool
}

// ParseICMP reads an IPv4 packet carrying an ICMP error message about a
// TCP segment, with gVisor's header package. Anything else fails with an
// error wrapping ErrMalformed. The checksums are not checked: a trace
// describes a forged message as it is.
func ParseICMP(b []byte) (ICMP, error) {
	if len(b) > 0 && b[0]>>4 == 6 {
		return parseICMPv6(b)
	}
	var m ICMP
	ip := header.IPv4(b)
	if !ip.IsValid(len(b)) || ip.Protocol() != uint8(header.ICMPv4ProtocolNumber) {
		return m, fmt.Errorf("%w: not an IPv4 ICMP packet", ErrMalformed)
	}
	ip = ip[:ip.TotalLength()]
	m.Src, m.Dst = AddrOf(ip.SourceAddress()), AddrOf(ip.DestinationAddress())
	msg := header.ICMPv4(ip.Payload())
	if len(msg) < header.ICMPv4MinimumErrorPayloadSize {
		return m, fmt.Errorf("%w: ICMP message of %d bytes", ErrMalformed, len(msg))
	}
	m.Type, m.Code = uint8(msg.Type()), uint8(msg.Code())
	if msg.Type() == header.ICMPv4DstUnreachable && msg.Code() == header.ICMPv4FragmentationNeeded {
		m.MTU = msg.MTU()
	}
	q := header.IPv4(msg.Payload())
	if len(q) < header.IPv4MinimumSize || int(q.HeaderLength()) < header.IPv4MinimumSize ||
		len(q) < int(q.HeaderLength())+8 || q.Protocol() != uint8(header.TCPProtocolNumber) {
		return m, fmt.Errorf("%w: ICMP type %d code %d quotes no TCP segment", ErrMalformed, m.Type, m.Code)
	}
	m.Quoted.IP = IP{TOS: tos(q), ID: q.ID(), DontFragment: q.Flags()&header.IPv4FlagDontFragment != 0, TTL: q.TTL(),
		Checksum: q.Checksum(), Src: AddrOf(q.SourceAddress()), Dst: AddrOf(q.DestinationAddress())}
	t := header.TCP(q[q.HeaderLength():])
	m.Quoted.TCP = Segment{SrcPort: t.SourcePort(), DstPort: t.DestinationPort(), Seq: seqnum.Value(t.SequenceNumber())}
	return m, nil
}

// The ICMPv6 types and codes the wire's router and rules send (RFC 4443).
const (
	ICMPv6DestUnreachable = uint8(header.ICMPv6DstUnreachable)
	ICMPv6PacketTooBig    = uint8(header.ICMPv6PacketTooBig)
	ICMPv6ParamProblem    = uint8(header.ICMPv6ParamProblem)
	ICMPv6NoRoute         = uint8(header.ICMPv6NetworkUnreachable)
	ICMPv6AddrUnreachable = uint8(header.ICMPv6AddressUnreachable)
	ICMPv6PortUnreachable = uint8(header.ICMPv6PortUnreachable)
	ICMPv6UnknownHeader   = uint8(header.ICMPv6UnknownHeader)
)

// parseICMPv6 is ParseICMP for an IPv6 packet whose Next Header is ICMPv6
// (no extension headers: the harness's messages carry none). MTU is Packet
// Too Big's, capped at 65535.
func parseICMPv6(b []byte) (ICMP, error) {
	var m ICMP
	ip := header.IPv6(b)
	if !ip.IsValid(len(b)) || ip.NextHeader() != uint8(header.ICMPv6ProtocolNumber) {
		return m, fmt.Errorf("%w: not an IPv6 ICMPv6 packet", ErrMalformed)
	}
	m.Src, m.Dst = AddrOf(ip.SourceAddress()), AddrOf(ip.DestinationAddress())
	msg := header.ICMPv6(ip.Payload())
	if len(msg) < header.ICMPv6ErrorHeaderSize || msg.Type() > header.ICMPv6ParamProblem {
		return m, fmt.Errorf("%w: not an ICMPv6 error", ErrMalformed)
	}
	m.Type, m.Code = uint8(msg.Type()), uint8(msg.Code())
	switch msg.Type() {
	case header.ICMPv6PacketTooBig:
		m.MTU = uint16(min(msg.MTU(), 0xffff))
	case header.ICMPv6ParamProblem:
		m.Pointer = msg.TypeSpecific()
	}
	q := header.IPv6(msg.Payload())
	if len(q) < header.IPv6MinimumSize || q[0]>>4 != 6 {
		if msg.Type() == header.ICMPv6ParamProblem {
			// Its type, code and pointer still say what the sender
			// found wrong: the judge reads them, and sees the quote.
			m.QuoteUnreadable = true
			return m, nil
		}
		return m, fmt.Errorf("%w: ICMPv6 type %d code %d quotes no IPv6 header", ErrMalformed, m.Type, m.Code)
	}
	tos, flow := q.TOS()
	m.Quoted.IP = IP{TOS: tos, FlowLabel: flow, TTL: q.HopLimit(), Src: AddrOf(q.SourceAddress()), Dst: AddrOf(q.DestinationAddress())}
	// A Parameter Problem may quote a packet whose TCP header lies past
	// extension headers, or none at all: the ports stay zero then.
	if len(q) >= header.IPv6MinimumSize+8 && q.NextHeader() == uint8(header.TCPProtocolNumber) {
		t := header.TCP(q[header.IPv6MinimumSize:])
		m.Quoted.TCP = Segment{SrcPort: t.SourcePort(), DstPort: t.DestinationPort(), Seq: seqnum.Value(t.SequenceNumber())}
	} else if msg.Type() != header.ICMPv6ParamProblem {
		return m, fmt.Errorf("%w: ICMPv6 type %d code %d quotes no TCP segment", ErrMalformed, m.Type, m.Code)
	}
	return m, nil
}

// ICMPv6Error builds the ICMPv6 error message from sends about the IPv6
// packet offending (RFC 4443: type, code, and the 32 bits after them: the
// MTU of Packet Too Big, the pointer of Parameter Problem), quoting as much
// of it as keeps the message within IPv6's minimum MTU of 1280 (RFC 4443
// 2.4 (c)), with gVisor's header package. The message goes to offending's
// source.
func ICMPv6Error(from netip.Addr, typ, code uint8, value uint32, offending []byte) ([]byte, error) {
	q := header.IPv6(offending)
	if !q.IsValid(len(offending)) {
		return nil, fmt.Errorf("packet: ICMPv6Error: the offending packet is not a valid IPv6 packet")
	}
	const maxLen = 1280
	quote := offending[:min(len(offending), maxLen-header.IPv6MinimumSize-header.ICMPv6ErrorHeaderSize)]
	n := header.IPv6MinimumSize + header.ICMPv6ErrorHeaderSize + len(quote)
	b := make([]byte, n)
	src := tcpip.AddrFrom16(from.As16())
	ip := header.IPv6(b)
	ip.Encode(&header.IPv6Fields{
		PayloadLength: uint16(n - header.IPv6MinimumSize), TransportProtocol: header.ICMPv6ProtocolNumber, HopLimit: 64,
		SrcAddr: src, DstAddr: q.SourceAddress(),
	})
	msg := header.ICMPv6(ip.Payload())
	msg.SetType(header.ICMPv6Type(typ))
	msg.SetCode(header.ICMPv6Code(code))
	msg.SetTypeSpecific(value)
	copy(msg.Payload(), quote)
	msg.SetChecksum(header.ICMPv6Checksum(header.ICMPv6ChecksumParams{
		Header: msg[:header.ICMPv6ErrorHeaderSize], Src: src, Dst: q.SourceAddress(),
		PayloadCsum: checksum.Checksum(msg.Payload(), 0), PayloadLen: len(quote),
	}))
	return b, nil
}

// String names the message as tcpdump does: "ICMP 192.0.2.2 unreachable -
// need to frag (mtu 1280)".
func (m ICMP) String() string {
	what := "type " + strconv.Itoa(int(m.Type)) + " code " + strconv.Itoa(int(m.Code))
	if m.Type == ICMPv4DestUnreachable {
		dst := m.Quoted.IP.Dst.String()
		switch m.Code {
		case NetUnreachable:
			what = "net " + dst + " unreachable"
		case HostUnreachable:
			what = "host " + dst + " unreachable"
		case ProtocolUnreachable:
			what = dst + " protocol 6 unreachable"
		case PortUnreachable:
			what = dst + " tcp port " + strconv.Itoa(int(m.Quoted.TCP.DstPort)) + " unreachable"
		case FragmentationNeeded:
			what = dst + " unreachable - need to frag (mtu " + strconv.Itoa(int(m.MTU)) + ")"
		default:
			what = dst + " unreachable (code " + strconv.Itoa(int(m.Code)) + ")"
		}
	}
	if m.Src.Is6() {
		return "ICMP6 " + m.icmpv6What()
	}
	return "ICMP " + what
}

// icmpv6What is String's words for an ICMPv6 error.
func (m ICMP) icmpv6What() string {
	dst := m.Quoted.IP.Dst.String()
	switch {
	case m.Type == ICMPv6PacketTooBig:
		return "packet too big, mtu " + strconv.Itoa(int(m.MTU))
	case m.Type == ICMPv6DestUnreachable && m.Code == ICMPv6NoRoute:
		return "destination unreachable, unreachable route " + dst
	case m.Type == ICMPv6DestUnreachable && m.Code == ICMPv6AddrUnreachable:
		return "destination unreachable, unreachable address " + dst
	case m.Type == ICMPv6DestUnreachable && m.Code == ICMPv6PortUnreachable:
		return "destination unreachable, " + dst + " tcp port " + strconv.Itoa(int(m.Quoted.TCP.DstPort)) + " unreachable"
	case m.Type == ICMPv6ParamProblem:
		return "parameter problem, code " + strconv.Itoa(int(m.Code)) + ", pointer " + strconv.Itoa(int(m.Pointer))
	}
	return "type " + strconv.Itoa(int(m.Type)) + " code " + strconv.Itoa(int(m.Code))
}

// ICMPv4Error builds the ICMP error message from sends about the packet
// offending (RFC 792: type, code, for Fragmentation Needed the next-hop MTU
// of RFC 1191 4), quoting as much of it as keeps the message within 576
// bytes (RFC 1812 4.3.2.3), with gVisor's header package. The message goes
// to offending's source.
func ICMPv4Error(from netip.Addr, typ, code uint8, mtu uint16, offending []byte) ([]byte, error) {
	q := header.IPv4(offending)
	if len(offending) < header.IPv4MinimumSize || !q.IsValid(len(offending)) {
		return nil, fmt.Errorf("packet: ICMPv4Error: the offending packet is not a valid IPv4 packet")
	}
	const maxLen = 576
	quote := offending[:min(int(q.TotalLength()), maxLen-header.IPv4MinimumSize-header.ICMPv4MinimumSize)]
	n := header.IPv4MinimumSize + header.ICMPv4MinimumSize + len(quote)
	b := make([]byte, n)
	ip := header.IPv4(b)
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(n), TTL: 64, Protocol: uint8(header.ICMPv4ProtocolNumber),
		SrcAddr: tcpip.AddrFrom4(from.As4()), DstAddr: q.SourceAddress(),
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	msg := header.ICMPv4(ip.Payload())
	msg.SetType(header.ICMPv4Type(typ))
	msg.SetCode(header.ICMPv4Code(code))
	if typ == ICMPv4DestUnreachable && code == FragmentationNeeded {
		msg.SetMTU(mtu)
	}
	copy(msg.Payload(), quote)
	msg.SetChecksum(header.ICMPv4Checksum(msg[:header.ICMPv4MinimumSize], checksum.Checksum(msg.Payload(), 0)))
	return b, nil
}

// UnreachableError is the ICMP error from sends about offending to say
// what ICMPv4 Destination Unreachable code says (with mtu for
// FragmentationNeeded), in offending's family: ICMPv4Error for IPv4, and
// for IPv6 the ICMPv6 message that says the same (RFC 4443 3.1): Packet
// Too Big, No Route, Address Unreachable, Port Unreachable, or for an
// unknown protocol a Parameter Problem at the Next Header field.
func UnreachableError(from netip.Addr, code uint8, mtu uint16, offending []byte) ([]byte, error) {
	if !from.Is6() {
		return ICMPv4Error(from, ICMPv4DestUnreachable, code, mtu, offending)
	}
	typ, code6, value := ICMPv6DestUnreachable, ICMPv6AddrUnreachable, uint32(0)
	switch code {
	case FragmentationNeeded:
		typ, code6, value = ICMPv6PacketTooBig, 0, uint32(mtu)
	case NetUnreachable:
		code6 = ICMPv6NoRoute
	case PortUnreachable:
		code6 = ICMPv6PortUnreachable
	case ProtocolUnreachable:
		typ, code6, value = ICMPv6ParamProblem, ICMPv6UnknownHeader, header.IPv6NextHeaderOffset
	}
	return ICMPv6Error(from, typ, code6, value, offending)
}
