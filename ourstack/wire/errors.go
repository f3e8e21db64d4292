package wire

import "errors"

// The faults Parse reports. Parse wraps them in a *ParseError; test with
// errors.Is(err, wire.ErrTruncated) and so on.
var (
	ErrTruncated     = errors.New("truncated packet")
	ErrBadIHL        = errors.New("bad IPv4 header length (IHL)")
	ErrTotalLength   = errors.New("IPv4 total length does not match the packet")
	ErrNotIPv4       = errors.New("not an IPv4 packet")
	ErrNotTCP        = errors.New("not TCP")
	ErrFragment      = errors.New("IPv4 fragment")
	ErrBadDataOffset = errors.New("bad TCP data offset")
	ErrOptionLength  = errors.New("bad TCP option length")
	ErrIPChecksum    = errors.New("bad IPv4 header checksum")
	ErrTCPChecksum   = errors.New("bad TCP checksum")
)
