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
	ErrFragment      = errors.New("IPv4 fragment")
	ErrBadDataOffset = errors.New("bad TCP data offset")
	ErrOptionLength  = errors.New("bad TCP option length")
	ErrIPChecksum    = errors.New("bad IPv4 header checksum")
	ErrTCPChecksum   = errors.New("bad TCP checksum")
	// ErrNotICMPError: an ICMP message that is not an error about a TCP
	// segment (ParseICMPv4Error).
	ErrNotICMPError = errors.New("not an ICMP error about a TCP segment")
	ErrICMPChecksum = errors.New("bad ICMP checksum")
)

// Faults Encode reports.
var (
	// ErrShortBuffer: the buffer given to Encode is shorter than Packet.Len.
	ErrShortBuffer = errors.New("buffer too short for the packet")
	// ErrPacketTooLong: the packet would exceed the 65535 bytes that the
	// IPv4 total-length field can express.
	ErrPacketTooLong = errors.New("packet longer than 65535 bytes")
)

// ParseError is the error Parse, ParseTCP, ParseOptions, NewIPv4 and NewTCP
// return: which field is wrong, where, and which fault it is. Err is one of
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
