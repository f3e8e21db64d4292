package wire

import (
	"encoding/binary"
	"net/netip"
)

// ProtocolICMPv6 is the Next Header value of ICMPv6 (RFC 4443).
const ProtocolICMPv6 = nextHeaderICMPv6

// ICMPv6 error message types (RFC 4443 section 3).
const (
	ICMPv6DestUnreachable = 1
	ICMPv6PacketTooBig    = 2
	ICMPv6TimeExceeded    = 3
	ICMPv6ParamProblem    = 4
)

// ICMPv6 Destination Unreachable codes (RFC 4443 section 3.1).
const (
	ICMPv6NoRoute         = 0
	ICMPv6AdminProhibited = 1
	ICMPv6BeyondScope     = 2
	ICMPv6AddrUnreachable = 3
	ICMPv6PortUnreachable = 4
	ICMPv6SourcePolicy    = 5
	ICMPv6RejectRoute     = 6
)

// icmpv6PseudoSum is the partial sum of the pseudo-header RFC 8200 8.1
// puts before an ICMPv6 message (RFC 4443 2.3): addresses, the message's
// 32-bit length, Next Header 58.
func icmpv6PseudoSum(src, dst netip.Addr, length int) uint16 {
	var lenProto [8]byte
	binary.BigEndian.PutUint32(lenProto[0:], uint32(length))
	lenProto[7] = ProtocolICMPv6
	return addrSum(dst, addrSum(src, Checksum(lenProto[:], 0)))
}

// ParseICMPv6Error reads an IPv6 packet whose upper layer is an ICMPv6
// error message (Destination Unreachable, Packet Too Big, Time Exceeded,
// Parameter Problem) that quotes a TCP segment; upper is where the ICMPv6
// message starts (IPv6HeaderLen plus the extension headers ParseIPv6
// walked). It checks the ICMPv6 checksum (RFC 4443 2.3) and that the quote
// holds the IPv6 header and the first eight bytes of a TCP header
// directly after it. Errors are *ParseError, as ParseICMPv4Error's. MTU is
// Packet Too Big's (RFC 4443 3.2); Quoted.TotalLength the quoted
// datagram's whole length.
func ParseICMPv6Error(b []byte, upper int) (ICMPError, error) {
	var e ICMPError
	ip, err := NewIPv6(b)
	if err != nil {
		return e, err
	}
	end := IPv6HeaderLen + int(ip.PayloadLength())
	if end > len(b) || upper > end {
		return e, &ParseError{Field: "IPv6 payload length", Offset: ipv6PayloadLength, Value: int(ip.PayloadLength()), Err: ErrTruncated}
	}
	e.From = ip.Src()
	msg := b[upper:end]
	if len(msg) < icmpHeaderLen {
		return e, &ParseError{Field: "ICMPv6 header", Offset: upper, Value: len(msg), Err: ErrTruncated}
	}
	e.Type, e.Code = msg[0], msg[1]
	if e.Type < ICMPv6DestUnreachable || e.Type > ICMPv6ParamProblem {
		return e, &ParseError{Field: "ICMPv6 type", Offset: upper, Value: int(e.Type), Err: ErrNotICMPError}
	}
	if Checksum(msg, icmpv6PseudoSum(ip.Src(), ip.Dst(), len(msg))) != 0xffff {
		return e, &ParseError{Field: "ICMPv6 checksum", Offset: upper + 2, Value: int(binary.BigEndian.Uint16(msg[2:])), Err: ErrICMPChecksum}
	}
	if e.Type == ICMPv6PacketTooBig {
		e.MTU = int(binary.BigEndian.Uint32(msg[4:]))
	}
	base := upper + icmpHeaderLen
	q := msg[icmpHeaderLen:]
	switch {
	case len(q) < IPv6HeaderLen:
		return e, &ParseError{Field: "quoted IPv6 header", Offset: base, Value: len(q), Err: ErrTruncated}
	case IPv6(q).Version() != IPv6Version:
		return e, &ParseError{Field: "quoted IPv6 version", Offset: base, Value: int(IPv6(q).Version()), Err: ErrNotIPv6}
	case IPv6(q).NextHeader() != ProtocolTCP:
		return e, &ParseError{Field: "quoted IPv6 next header", Offset: base + ipv6NextHeader, Value: int(IPv6(q).NextHeader()), Err: ErrNotICMPError}
	case len(q) < IPv6HeaderLen+quotedTCPLen:
		return e, &ParseError{Field: "quoted TCP header", Offset: base + IPv6HeaderLen, Value: len(q) - IPv6HeaderLen, Err: ErrTruncated}
	}
	qh := IPv6(q)
	t := TCP(q[IPv6HeaderLen:])
	e.Quoted = QuotedSegment{
		Src: qh.Src(), Dst: qh.Dst(),
		SrcPort: t.SrcPort(), DstPort: t.DstPort(), Seq: t.Seq(),
		TotalLength: IPv6HeaderLen + int(qh.PayloadLength()),
	}
	return e, nil
}

// minIPv6MTU is the smallest MTU of any IPv6 link (RFC 8200 5). An ICMPv6
// error carries as much of the invoking packet as keeps it within it (RFC
// 4443 2.4 (c)).
const minIPv6MTU = 1280

// AppendICMPv6ParamProblem appends to buf the IPv6 packet from src to dst
// carrying an ICMPv6 Parameter Problem (RFC 4443 3.4) of code, pointing at
// byte pointer of invoking, quoting as much of invoking as fits in the
// minimum MTU. The hop limit is 64.
func AppendICMPv6ParamProblem(buf []byte, src, dst netip.Addr, code uint8, pointer uint32, invoking []byte) []byte {
	quote := invoking[:min(len(invoking), minIPv6MTU-IPv6HeaderLen-icmpHeaderLen)]
	n := IPv6HeaderLen + icmpHeaderLen + len(quote)
	start := len(buf)
	buf = append(buf, make([]byte, n)...)
	pkt := buf[start:]
	ip := IPv6(pkt)
	ip.SetVersionClassFlow(0, 0)
	ip.SetPayloadLength(uint16(n - IPv6HeaderLen))
	ip.SetNextHeader(ProtocolICMPv6)
	ip.SetHopLimit(64)
	ip.SetSrc(src)
	ip.SetDst(dst)
	msg := pkt[IPv6HeaderLen:]
	msg[0], msg[1] = ICMPv6ParamProblem, code
	binary.BigEndian.PutUint32(msg[4:], pointer)
	copy(msg[icmpHeaderLen:], quote)
	binary.BigEndian.PutUint16(msg[2:], ^Checksum(msg, icmpv6PseudoSum(src, dst, len(msg))))
	return buf
}
