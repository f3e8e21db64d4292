package wire

import "encoding/binary"

// optionLayout is how Encode lays the options out: which style and how many
// SACK blocks fit. Options.Len and Options.encode share it so that they
// cannot disagree.
type optionLayout struct {
	size       int  // bytes, a multiple of 4, at most TCPMaxOptionsLen
	tight      bool // packed without NOP alignment
	sackBlocks int  // SACK blocks written
}

// layout picks the option layout. The preferred one is Linux's
// (tcp_options_write): MSS; SACK-permitted and timestamps sharing one word
// (or NOP NOP before whichever is alone); NOP and window scale; NOP NOP and
// the SACK blocks. Every option then starts 4-byte aligned (RFC 7323 appendix
// A's suggested layout). When that exceeds the 40 bytes of option space (a
// parsed segment may pack its options tighter), the options are packed
// without NOPs and padded with EOL. If even that does not fit, SACK blocks are
// dropped from the end until it does, as Linux sends fewer blocks when
// timestamps take room (RFC 2018 section 3).
func (o *Options) layout() optionLayout {
	n := min(max(o.NumSACKBlocks, 0), MaxSACKBlocks)
	for ; n >= 0; n-- {
		aligned := 0
		tight := 0
		if o.HasMSS {
			aligned += 4
			tight += OptionLenMSS
		}
		switch {
		case o.HasTimestamps:
			aligned += 12 // SACK-permitted shares the 2 bytes of NOP NOP
		case o.SACKPermitted:
			aligned += 4
		}
		if o.HasTimestamps {
			tight += OptionLenTimestamps
		}
		if o.SACKPermitted {
			tight += OptionLenSACKPermitted
		}
		if o.HasWindowScale {
			aligned += 4
			tight += OptionLenWindowScale
		}
		if n > 0 {
			aligned += 2 + optionLenSACKBase + n*optionLenSACKBlock
			tight += optionLenSACKBase + n*optionLenSACKBlock
		}
		if aligned <= TCPMaxOptionsLen {
			return optionLayout{size: aligned, sackBlocks: n}
		}
		if tight = (tight + 3) &^ 3; tight <= TCPMaxOptionsLen {
			return optionLayout{size: tight, tight: true, sackBlocks: n}
		}
	}
	return optionLayout{} // unreachable: with no SACK blocks everything fits in 32 bytes
}

// Len is how many bytes of option space Encode writes for o: a multiple of 4,
// at most TCPMaxOptionsLen.
func (o *Options) Len() int { return o.layout().size }

// encode writes the options into b, which must be at least l.size long, and
// returns l.size.
func (o *Options) encode(b []byte, l optionLayout) int {
	b = b[:l.size]
	i := 0
	nop := func() { b[i] = OptionKindNOP; i++ }
	if o.HasMSS {
		b[i], b[i+1] = OptionKindMSS, OptionLenMSS
		binary.BigEndian.PutUint16(b[i+2:], o.MSS)
		i += OptionLenMSS
	}
	if o.HasTimestamps {
		switch {
		case o.SACKPermitted:
			b[i], b[i+1] = OptionKindSACKPermitted, OptionLenSACKPermitted
			i += OptionLenSACKPermitted
		case !l.tight:
			nop()
			nop()
		}
		b[i], b[i+1] = OptionKindTimestamps, OptionLenTimestamps
		binary.BigEndian.PutUint32(b[i+2:], o.TSVal)
		binary.BigEndian.PutUint32(b[i+6:], o.TSEcr)
		i += OptionLenTimestamps
	} else if o.SACKPermitted {
		if !l.tight {
			nop()
			nop()
		}
		b[i], b[i+1] = OptionKindSACKPermitted, OptionLenSACKPermitted
		i += OptionLenSACKPermitted
	}
	if o.HasWindowScale {
		if !l.tight {
			nop()
		}
		b[i], b[i+1], b[i+2] = OptionKindWindowScale, OptionLenWindowScale, o.WindowScale
		i += OptionLenWindowScale
	}
	if l.sackBlocks > 0 {
		if !l.tight {
			nop()
			nop()
		}
		b[i], b[i+1] = OptionKindSACK, uint8(optionLenSACKBase+l.sackBlocks*optionLenSACKBlock)
		i += optionLenSACKBase
		for _, blk := range o.SACKBlocks[:l.sackBlocks] {
			binary.BigEndian.PutUint32(b[i:], uint32(blk.Left))
			binary.BigEndian.PutUint32(b[i+4:], uint32(blk.Right))
			i += optionLenSACKBlock
		}
	}
	// Pad to the 4-byte boundary with EOL (RFC 9293 section 3.1: the header
	// "is padded with zeros" after the options).
	clear(b[i:])
	return l.size
}
