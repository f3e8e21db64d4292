package wire

import (
	"encoding/binary"
	"errors"
)

// walkExtHeaders follows the Next Header chain of the IPv6 packet b (cut to
// its payload length) from the fixed header, as a host processes it
// (RFC 8200 section 4), to the first header that is not an extension header
// it walks. It returns that header's protocol, the offset of the Next Header
// field that named it, and its offset. On a fault, off is where the faulty
// header starts: the extension headers before it are b[IPv6HeaderLen:off].
//
// A host recognizes TCP (6), UDP (17) and ICMPv6 (58) as upper layers, and
// No Next Header (59); it walks Hop-by-Hop Options (0, first only),
// Destination Options (60), Routing (43) and Fragment (44). Any other value
// is unrecognized (ErrUnknownNextHeader), among them ESP and AH (no IPsec
// here) and the experimental 253 and 254.
func walkExtHeaders(b []byte) (proto uint8, protoOff, off int, err error) {
	nh, nhOff := b[ipv6NextHeader], ipv6NextHeader
	off = IPv6HeaderLen
	for {
		switch nh {
		case ProtocolTCP, nextHeaderUDP, nextHeaderICMPv6, nextHeaderNone:
			return nh, nhOff, off, nil
		case nextHeaderHopByHop:
			// "The same action should be taken if a node encounters a Next
			// Header value of zero in any header other than an IPv6
			// header." (RFC 8200 section 4)
			if nhOff != ipv6NextHeader {
				return nh, nhOff, off, &ParseError{Field: "IPv6 next header (Hop-by-Hop Options not first)", Offset: nhOff, Value: int(nh), Err: ErrUnknownNextHeader}
			}
		case nextHeaderDestOpts, nextHeaderRouting, nextHeaderFragment:
		default:
			return nh, nhOff, off, &ParseError{Field: "IPv6 next header", Offset: nhOff, Value: int(nh), Err: ErrUnknownNextHeader}
		}
		n, err := extHeaderLen(b, off, nh)
		if err != nil {
			return nh, nhOff, off, err
		}
		if err := checkExtHeader(b[:off+n], off, nh); err != nil {
			return nh, nhOff, off, err
		}
		nh, nhOff, off = b[off+extNextHeader], off+extNextHeader, off+n
	}
}

// extHeaderLen is the length of the extension header nh at off, which must
// lie within b (ErrTruncated).
func extHeaderLen(b []byte, off int, nh uint8) (int, error) {
	if len(b)-off < extUnit {
		return 0, &ParseError{Field: "IPv6 extension header", Offset: off, Value: len(b) - off, Err: ErrTruncated}
	}
	n := extFragmentLen // its second byte is reserved (RFC 8200 section 4.5)
	if nh != nextHeaderFragment {
		n = (int(b[off+extLength]) + 1) * extUnit
	}
	if n > len(b)-off {
		return 0, &ParseError{Field: "IPv6 extension header length", Offset: off + extLength, Value: n, Err: ErrTruncated}
	}
	return n, nil
}

// checkExtHeader applies what a host must do with the extension header nh
// at off, which ends where b does.
func checkExtHeader(b []byte, off int, nh uint8) error {
	switch nh {
	case nextHeaderHopByHop, nextHeaderDestOpts:
		return checkOptions(b, off+2)
	case nextHeaderRouting:
		// A host recognizes no routing type: "If Segments Left is zero, the
		// node must ignore the Routing header and proceed"; otherwise it
		// must discard the packet and send a Parameter Problem, Code 0,
		// "pointing to the unrecognized Routing Type" (RFC 8200 section 4.4).
		if b[off+routingSegsLeft] != 0 {
			return &ParseError{Field: "IPv6 routing type (segments left not 0)", Offset: off + routingType, Value: int(b[off+routingType]), Err: ErrRoutingHeader}
		}
	case nextHeaderFragment:
		// Offset 0 and M clear is a whole datagram, "processed as a fully
		// reassembled packet" (RFC 8200 section 4.5, RFC 6946); anything
		// else needs reassembly (ErrFragment; FragmentHeaderAt says where
		// the header is, ipfrag.Reassembler.Add6 does it).
		if offM := binary.BigEndian.Uint16(b[off+fragmentOffM:]); offM&0xfff9 != 0 {
			return &ParseError{Field: "IPv6 fragment offset/M", Offset: off + fragmentOffM, Value: int(offM), Err: ErrFragment}
		}
	}
	return nil
}

// checkOptions walks the options of a Hop-by-Hop or Destination Options
// header from b[i] to the end of b (RFC 8200 section 4.2). Pad1 and PadN are
// the options a host recognizes; for any other the top two bits of its type
// say what to do: 00 skip it, anything else discard the packet
// (ErrUnknownOption; ParamProblem tells whether to answer).
func checkOptions(b []byte, i int) error {
	for i < len(b) {
		t := b[i]
		if t == optionPad1 {
			i++
			continue
		}
		if i+1 >= len(b) {
			return &ParseError{Field: "IPv6 option length", Offset: i + 1, Value: len(b) - i, Err: ErrTruncated}
		}
		n := 2 + int(b[i+1])
		if n > len(b)-i {
			return &ParseError{Field: "IPv6 option length", Offset: i + 1, Value: int(b[i+1]), Err: ErrTruncated}
		}
		if t != optionPadN && t>>6 != 0 {
			return &ParseError{Field: "IPv6 option type", Offset: i, Value: int(t), Err: ErrUnknownOption}
		}
		i += n
	}
	return nil
}

// jumbogram reports a jumbogram (RFC 2675): the payload length is 0 and the
// Hop-by-Hop Options header, read from the bytes the link delivered, holds
// a Jumbo Payload option before any fault. b is the whole packet, its fixed
// header already checked.
func jumbogram(b []byte) error {
	n, err := extHeaderLen(b, IPv6HeaderLen, nextHeaderHopByHop)
	if err != nil {
		return nil
	}
	err = checkOptions(b[:IPv6HeaderLen+n], IPv6HeaderLen+2)
	if pe, ok := err.(*ParseError); ok && pe.Err == ErrUnknownOption && pe.Value == optionJumbo {
		pe.Field, pe.Err = "IPv6 Jumbo Payload option", ErrJumbogram
		return pe
	}
	return nil
}

// FragmentHeaderAt is where the Fragment header starts in a packet
// ParseIPv6 refused with ErrFragment, for a reassembler (ok is false for
// any other error).
func FragmentHeaderAt(err error) (off int, ok bool) {
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Err != ErrFragment || pe.Offset < IPv6HeaderLen+fragmentOffM {
		return 0, false
	}
	return pe.Offset - fragmentOffM, true
}
