package wire

import (
	"encoding/binary"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// ParseOptions parses the TCP option bytes opts into o, replacing what o held.
// On error the *ParseError's Offset counts from the start of opts.
//
// The rules, by RFC:
//   - End of Option List ends the list; what follows is padding and is not
//     read (RFC 9293 section 3.1).
//   - No-Operation is skipped (RFC 9293 section 3.1).
//   - Every other kind has a length byte that counts kind and length; a
//     length below 2, a length byte past the end, or an option running past
//     the header is an illegal option length: ErrOptionLength (RFC 9293
//     section 3.2, MUST-7: "handle an illegal option length (e.g., zero)
//     without crashing").
//   - A known option whose length is not the one its RFC defines is also an
//     illegal length and is reported as ErrOptionLength, not skipped: MSS is
//     4 (RFC 9293 section 3.2), window scale 3 (RFC 7323 section 2.2),
//     timestamps 10 (RFC 7323 section 3.2), SACK-permitted 2 and SACK 8n+2
//     with n >= 1 (RFC 2018 sections 2 and 3). Linux skips such an option by
//     its length and gVisor stops parsing at it; the caller (the TCB) decides
//     what to do with the segment, and a testbed wants the fault named.
//   - Unknown kinds are skipped by their length (RFC 9293 section 3.2,
//     MUST-68: "ignore without error any TCP option it does not implement").
//   - Values are kept as sent: a window scale above 14 is not clamped here
//     (RFC 7323 section 2.3 makes the receiver use 14; the TCB does that), nor
//     is an MSS of 0. A repeated option overwrites the earlier one.
func ParseOptions(opts []byte, o *Options) error {
	return parseOptions(opts, 0, o)
}

// parseOptions is ParseOptions with error offsets shifted by base.
func parseOptions(opts []byte, base int, o *Options) error {
	*o = Options{}
	for i := 0; i < len(opts); {
		kind := opts[i]
		switch kind {
		case OptionKindEOL:
			return nil
		case OptionKindNOP:
			i++
			continue
		}
		if i+1 >= len(opts) {
			return &ParseError{Field: "TCP option length byte", Offset: base + i, Value: int(kind), Err: ErrOptionLength}
		}
		l := int(opts[i+1])
		if l < 2 || i+l > len(opts) {
			return &ParseError{Field: "TCP option length", Offset: base + i + 1, Value: l, Err: ErrOptionLength}
		}
		body := opts[i+2 : i+l]
		switch kind {
		case OptionKindMSS:
			if l != OptionLenMSS {
				return optionLenErr("TCP MSS option length", base+i+1, l)
			}
			o.HasMSS = true
			o.MSS = binary.BigEndian.Uint16(body)
		case OptionKindWindowScale:
			if l != OptionLenWindowScale {
				return optionLenErr("TCP window scale option length", base+i+1, l)
			}
			o.HasWindowScale = true
			o.WindowScale = body[0]
		case OptionKindSACKPermitted:
			if l != OptionLenSACKPermitted {
				return optionLenErr("TCP SACK-permitted option length", base+i+1, l)
			}
			o.SACKPermitted = true
		case OptionKindSACK:
			n := (l - optionLenSACKBase) / optionLenSACKBlock
			if n < 1 || (l-optionLenSACKBase)%optionLenSACKBlock != 0 || n > MaxSACKBlocks {
				return optionLenErr("TCP SACK option length", base+i+1, l)
			}
			o.NumSACKBlocks = n
			o.SACKBlocks = [MaxSACKBlocks]SACKBlock{}
			for j := range n {
				b := body[j*optionLenSACKBlock:]
				o.SACKBlocks[j] = SACKBlock{
					Left:  seqnum.Value(binary.BigEndian.Uint32(b)),
					Right: seqnum.Value(binary.BigEndian.Uint32(b[4:])),
				}
			}
		case OptionKindTimestamps:
			if l != OptionLenTimestamps {
				return optionLenErr("TCP timestamps option length", base+i+1, l)
			}
			o.HasTimestamps = true
			o.TSVal = binary.BigEndian.Uint32(body)
			o.TSEcr = binary.BigEndian.Uint32(body[4:])
		}
		i += l
	}
	return nil
}

func optionLenErr(field string, off, l int) error {
	return &ParseError{Field: field, Offset: off, Value: l, Err: ErrOptionLength}
}
