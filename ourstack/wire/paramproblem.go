package wire

import (
	"errors"
	"net/netip"
)

// The ICMPv6 Parameter Problem codes (RFC 4443 section 3.4) ParamProblem
// returns.
const (
	ParamProblemHeaderField uint8 = 0 // erroneous header field encountered
	ParamProblemNextHeader  uint8 = 1 // unrecognized Next Header type encountered
	ParamProblemOption      uint8 = 2 // unrecognized IPv6 option encountered
)

// ParamProblem says whether RFC 8200 requires an ICMPv6 Parameter Problem
// in answer to err, an error ParseIPv6 returned for a packet sent to dst,
// and with which code and pointer (the offending byte's offset from the
// start of the packet):
//   - ErrUnknownNextHeader: code 1 at the Next Header field (RFC 8200
//     section 4);
//   - ErrRoutingHeader: code 0 at the Routing Type (section 4.4);
//   - ErrUnknownOption: by the option type's top two bits (section 4.2): 01
//     discards silently (ok false), 10 answers with code 2 at the option
//     type, 11 too unless dst is multicast;
//   - ErrJumbogram: as an unrecognized option of its type, 0xC2, is
//     answered (RFC 2675 section 2);
//   - anything else: no ICMPv6 message (truncation, fragments, not TCP, a
//     bad TCP header or checksum are dropped silently).
//
// A packet sent to a multicast address gets none but the option's code 2
// for type 10 (RFC 4443 section 2.4 (e.3)). What the caller still decides
// from the packet: no answer to a link-layer multicast or to an unspecified
// or multicast source (RFC 4443 section 2.4 (e.4, e.5)), and rate limiting
// (2.4 (f)).
func ParamProblem(err error, dst netip.Addr) (code uint8, pointer uint32, ok bool) {
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Offset < 0 {
		return 0, 0, false
	}
	multicastOK := false // RFC 4443 section 2.4 (e.3)
	switch pe.Err {
	case ErrUnknownNextHeader:
		code = ParamProblemNextHeader
	case ErrRoutingHeader:
		code = ParamProblemHeaderField
	case ErrUnknownOption, ErrJumbogram:
		switch uint8(pe.Value) >> 6 {
		case 0b10:
			code, multicastOK = ParamProblemOption, true
		case 0b11:
			code = ParamProblemOption
		default:
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	if dst.IsMulticast() && !multicastOK {
		return 0, 0, false
	}
	return code, uint32(pe.Offset), true
}
