package wire

import (
	"encoding/binary"
	"net/netip"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// ProtocolICMP is the IPv4 protocol number of ICMP (RFC 792).
const ProtocolICMP = 1

// ICMPv4 message types a TCP acts on or must know to ignore (RFC 792,
// RFC 1122 3.2.2, RFC 6633 for Source Quench).
const (
	ICMPv4DestUnreachable = 3
	ICMPv4SourceQuench    = 4
	ICMPv4TimeExceeded    = 11
	ICMPv4ParamProblem    = 12
)

// ICMPv4 Destination Unreachable codes (RFC 792, RFC 1122 3.2.2.1, RFC 1812
// 5.2.7.1).
const (
	ICMPv4NetUnreachable      = 0
	ICMPv4HostUnreachable     = 1
	ICMPv4ProtocolUnreachable = 2
	ICMPv4PortUnreachable     = 3
	ICMPv4FragmentationNeeded = 4
	ICMPv4SourceRouteFailed   = 5
)

// icmpHeaderLen is the fixed part of an ICMP error message: type, code,
// checksum and four bytes that are unused or say more (the next-hop MTU of
// Fragmentation Needed, RFC 1191 4).
const icmpHeaderLen = 8

// quotedTCPLen is how much of the offending datagram's TCP header an ICMP
// error must carry: "the first 64 bits of the original datagram's data"
// (RFC 792), enough for the ports and the sequence number.
const quotedTCPLen = 8

// ICMPError is an ICMP error message about a TCP segment we sent: what the
// message says and what it quotes of the segment.
type ICMPError struct {
	// From is the address that sent the message (a router, or the peer).
	From netip.Addr
	Type uint8
	Code uint8
	// MTU is the next-hop MTU a Fragmentation Needed message reports (0
	// when the router predates RFC 1191).
	MTU int
	// Quoted is the segment the message is about, as its sender (we)
	// addressed it: Src is our address, Dst the peer's.
	Quoted QuotedSegment
}

// QuotedSegment is what an ICMP error quotes of a TCP segment: the
// addresses and the first eight bytes of its header.
type QuotedSegment struct {
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	Seq              seqnum.Value
	// TotalLength is the quoted datagram's IPv4 total length: how big the
	// packet was that did not fit, for PMTU discovery when the router
	// reports no MTU (RFC 1191 5).
	TotalLength int
}

// ParseICMPv4Error reads an IPv4 packet carrying an ICMP error message
// (Destination Unreachable, Time Exceeded, Parameter Problem, Source
// Quench) that quotes a TCP segment. It checks the IPv4 header as Parse
// does, the ICMP checksum (RFC 792), and that the quote holds an IPv4
// header and the first eight bytes of a TCP header. Errors are *ParseError:
// ErrNotICMPError for another ICMP message (an echo, say) or a quote of
// something other than TCP, ErrICMPChecksum, ErrTruncated and the IPv4
// header errors. It does not allocate.
func ParseICMPv4Error(b []byte) (ICMPError, error) {
	var e ICMPError
	ip, err := ipv4Datagram(b)
	if err != nil {
		return e, err
	}
	if ip.Protocol() != ProtocolICMP {
		return e, &ParseError{Field: "IPv4 protocol", Offset: ipv4Protocol, Value: int(ip.Protocol()), Err: ErrNotICMPError}
	}
	if ip.Flags()&IPv4MoreFragments != 0 || ip.FragOffset() != 0 {
		return e, &ParseError{Field: "IPv4 flags/fragment offset", Offset: ipv4FlagsFragOff, Value: int(ip.Flags())<<13 | int(ip.FragOffset()), Err: ErrFragment}
	}
	e.From = ip.Src()
	hl := ip.HeaderLen()
	msg := ip.Payload()
	if len(msg) < icmpHeaderLen {
		return e, &ParseError{Field: "ICMP header", Offset: hl, Value: len(msg), Err: ErrTruncated}
	}
	e.Type, e.Code = msg[0], msg[1]
	switch e.Type {
	case ICMPv4DestUnreachable, ICMPv4SourceQuench, ICMPv4TimeExceeded, ICMPv4ParamProblem:
	default:
		return e, &ParseError{Field: "ICMP type", Offset: hl, Value: int(e.Type), Err: ErrNotICMPError}
	}
	if Checksum(msg, 0) != 0xffff {
		return e, &ParseError{Field: "ICMP checksum", Offset: hl + 2, Value: int(binary.BigEndian.Uint16(msg[2:])), Err: ErrICMPChecksum}
	}
	if e.Type == ICMPv4DestUnreachable && e.Code == ICMPv4FragmentationNeeded {
		e.MTU = int(binary.BigEndian.Uint16(msg[6:]))
	}
	base := hl + icmpHeaderLen
	q := IPv4(msg[icmpHeaderLen:])
	if len(q) < IPv4MinHeaderLen {
		return e, &ParseError{Field: "quoted IPv4 header", Offset: base, Value: len(q), Err: ErrTruncated}
	}
	qhl := q.HeaderLen()
	switch {
	case q.Version() != IPv4Version:
		return e, &ParseError{Field: "quoted IPv4 version", Offset: base, Value: int(q.Version()), Err: ErrNotIPv4}
	case qhl < IPv4MinHeaderLen:
		return e, &ParseError{Field: "quoted IPv4 IHL", Offset: base, Value: qhl / 4, Err: ErrBadIHL}
	case q.Protocol() != ProtocolTCP:
		return e, &ParseError{Field: "quoted IPv4 protocol", Offset: base + ipv4Protocol, Value: int(q.Protocol()), Err: ErrNotICMPError}
	case len(q) < qhl+quotedTCPLen:
		return e, &ParseError{Field: "quoted TCP header", Offset: base + qhl, Value: len(q) - min(qhl, len(q)), Err: ErrTruncated}
	}
	t := TCP(q[qhl:])
	e.Quoted = QuotedSegment{
		Src: q.Src(), Dst: q.Dst(),
		SrcPort: t.SrcPort(), DstPort: t.DstPort(), Seq: t.Seq(),
		TotalLength: int(q.TotalLength()),
	}
	return e, nil
}

// ipv4Datagram checks the IPv4 header of b as Parse does (length, version,
// IHL, total length, header checksum) and returns the datagram without any
// link padding.
func ipv4Datagram(b []byte) (IPv4, error) {
	ip, err := NewIPv4(b)
	if err != nil {
		return nil, err
	}
	if v := ip.Version(); v != IPv4Version {
		return nil, &ParseError{Field: "IPv4 version", Offset: ipv4VersionIHL, Value: int(v), Err: ErrNotIPv4}
	}
	switch tl := int(ip.TotalLength()); {
	case tl > len(b):
		return nil, &ParseError{Field: "IPv4 total length", Offset: ipv4TotalLength, Value: tl, Err: ErrTruncated}
	case tl < ip.HeaderLen():
		return nil, &ParseError{Field: "IPv4 total length", Offset: ipv4TotalLength, Value: tl, Err: ErrTotalLength}
	default:
		ip = ip[:tl]
	}
	if !ip.HeaderChecksumValid() {
		return nil, &ParseError{Field: "IPv4 header checksum", Offset: ipv4Checksum, Value: int(ip.Checksum()), Err: ErrIPChecksum}
	}
	return ip, nil
}
