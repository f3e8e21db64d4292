package wire

import (
	"errors"
	"strconv"
)

// The faults Parse reports. Parse wraps them in a *ParseError; test with
// errors.Is(err, wire.ErrTruncated) and so on.
var (
	ErrTruncated     = errors.New("truncated packet")
	ErrBadIHL        = errors.New("bad IPv4 header length (IHL)")
	ErrTotalLength   = errors.New("IPv4 total length below the minimum header")
	ErrNotIPv4       = errors.New("not an IPv4 packet")
	ErrNotTCP        = errors.New("not TCP")
	ErrFragment      = errors.New("IP fragment")
	ErrBadDataOffset = errors.New("bad TCP data offset")
	ErrOptionLength  = errors.New("bad TCP option length")
	ErrIPChecksum    = errors.New("bad IPv4 header checksum")
	ErrTCPChecksum   = errors.New("bad TCP checksum")
	// ErrNotICMPError: an ICMP message that is not an error about a TCP
	// segment (ParseICMPv4Error).
	ErrNotICMPError = errors.New("not an ICMP error about a TCP segment")
	ErrICMPChecksum = errors.New("bad ICMP checksum")
)

// The faults ParseIPv6 reports besides the ones above (ErrTruncated,
// ErrNotTCP, ErrFragment and the TCP ones). ParamProblem says which of them
// RFC 8200 answers with an ICMPv6 Parameter Problem.
var (
	ErrNotIPv6 = errors.New("not an IPv6 packet")
	// ErrUnknownNextHeader: a Next Header value this host does not
	// recognize, or a Hop-by-Hop Options header anywhere but first
	// (RFC 8200 section 4).
	ErrUnknownNextHeader = errors.New("unrecognized IPv6 next header")
	// ErrRoutingHeader: a Routing header with Segments Left above zero. A
	// host recognizes no routing type, so it must drop the packet
	// (RFC 8200 section 4.4).
	ErrRoutingHeader = errors.New("IPv6 routing header with segments left")
	// ErrUnknownOption: an option in a Hop-by-Hop or Destination Options
	// header that this host does not recognize and whose type's top two
	// bits say to discard the packet (RFC 8200 section 4.2). The
	// *ParseError's Value is the option type, which says whether an ICMPv6
	// message is due (ParamProblem).
	ErrUnknownOption = errors.New("unrecognized IPv6 option")
	// ErrJumbogram: a payload length of 0 with a Jumbo Payload option
	// (RFC 2675). It is not truncated, it is a packet above 65535 bytes of
	// payload, which tcpbed's links never carry and ourstack does not
	// implement; RFC 2675 section 2 gives the option type 0xC2 so that such
	// a host answers it as an unrecognized option.
	ErrJumbogram = errors.New("IPv6 jumbogram (RFC 2675) not supported")
)

// Faults Encode reports.
var (
	// ErrShortBuffer: the buffer given to Encode is shorter than Packet.Len.
	ErrShortBuffer = errors.New("buffer too short for the packet")
	// ErrPacketTooLong: the packet would exceed the 65535 bytes that the
	// IPv4 total-length field can express, or the IPv6 payload the 65535
	// bytes of the payload-length field.
	ErrPacketTooLong = errors.New("packet longer than its IP length field can express")
)

// ParseError is the error Parse, ParseIPv6, ParseTCP, ParseOptions, NewIPv4,
// NewIPv6 and NewTCP return: which field is wrong, where, and which fault it is. Err is one of
// the Err* sentinels above, so errors.Is(err, ErrBadIHL) works.
type ParseError struct {
	Field  string // the field at fault, e.g. "IPv4 IHL", "TCP MSS option length"
	Offset int    // byte offset of that field from the start of what was parsed
	Value  int    // the offending value (a length, a field's value)
	Err    error  // the sentinel
}

func (e *ParseError) Error() string {
	return "wire: " + e.Field + " at offset " + strconv.Itoa(e.Offset) + " (value " + strconv.Itoa(e.Value) + "): " + e.Err.Error()
}

// Unwrap returns the sentinel.
func (e *ParseError) Unwrap() error { return e.Err }
