package wire

// ParseIPv6 validates an IPv6 packet carrying a TCP segment and returns its
// fields. It does not allocate; Payload and IP.ExtHeaders alias b.
//
// Checks, in order (the first that fails is returned as a *ParseError
// wrapping the sentinel named here; ParamProblem says which of them want an
// ICMPv6 Parameter Problem):
//   - at least the 40-byte fixed header (ErrTruncated); version 6
//     (ErrNotIPv6) (RFC 8200 section 3);
//   - a payload length of 0 whose Hop-by-Hop header carries a Jumbo Payload
//     option is a jumbogram (ErrJumbogram, RFC 2675);
//   - payload length <= len(b)-40 (ErrTruncated). Bytes past it are the
//     link layer's padding and are ignored, as Parse ignores them for IPv4;
//   - the extension header chain (RFC 8200 section 4): a Hop-by-Hop Options
//     header anywhere but first, or a Next Header value this host does not
//     recognize, is ErrUnknownNextHeader at the Next Header field that named
//     it; an option in a Hop-by-Hop or Destination Options header that is
//     not padding and whose type does not say "skip" is ErrUnknownOption
//     (4.2); a Routing header with Segments Left above 0 is
//     ErrRoutingHeader (4.4); a Fragment header that is not a whole
//     datagram is ErrFragment (4.5), for a reassembler (FragmentHeaderAt); a
//     header or option running past the payload is ErrTruncated;
//   - TCP as the upper layer (ErrNotTCP for UDP, ICMPv6 and No Next Header:
//     Value is the protocol, Offset its Next Header field, and
//     IP.ExtHeaders the headers before it, so that its header starts at
//     IPv6HeaderLen+len(IP.ExtHeaders));
//   - the TCP header as Parse checks it, then the TCP checksum over the
//     IPv6 pseudo-header (ErrTCPChecksum) (RFC 8200 section 8.1).
//
// On ErrTCPChecksum the returned Packet6 is fully filled in, so that a trace
// can print a corrupted packet. On earlier errors it holds whatever was
// parsed before the fault.
func ParseIPv6(b []byte) (Packet6, error) { return parseIPv6(b, true) }

// ParseIPv6Verified is ParseIPv6 for a packet whose TCP checksum the link
// has already verified (receive checksum offload): it checks everything
// else and sums nothing.
func ParseIPv6Verified(b []byte) (Packet6, error) { return parseIPv6(b, false) }

// parseIPv6 is ParseIPv6, summing the TCP checksum only if verify.
func parseIPv6(b []byte, verify bool) (Packet6, error) {
	var p Packet6
	if len(b) < IPv6HeaderLen {
		return p, &ParseError{Field: "IPv6 header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	ip := IPv6(b)
	p.IP = IPv6Fields{
		TrafficClass:  ip.TrafficClass(),
		FlowLabel:     ip.FlowLabel(),
		PayloadLength: ip.PayloadLength(),
		NextHeader:    ip.NextHeader(),
		HopLimit:      ip.HopLimit(),
		Src:           ip.Src(),
		Dst:           ip.Dst(),
	}
	if v := ip.Version(); v != IPv6Version {
		return p, &ParseError{Field: "IPv6 version", Offset: ipv6VersionClassFlow, Value: int(v), Err: ErrNotIPv6}
	}
	pl := int(ip.PayloadLength())
	if pl == 0 && ip.NextHeader() == nextHeaderHopByHop {
		if err := jumbogram(b); err != nil {
			return p, err
		}
	}
	if pl > len(b)-IPv6HeaderLen {
		return p, &ParseError{Field: "IPv6 payload length", Offset: ipv6PayloadLength, Value: pl, Err: ErrTruncated}
	}
	b = b[:IPv6HeaderLen+pl] // link-layer padding after the packet
	proto, protoOff, off, err := walkExtHeaders(b)
	if off > IPv6HeaderLen {
		p.IP.ExtHeaders = b[IPv6HeaderLen:off]
	}
	if err != nil {
		return p, err
	}
	if proto != ProtocolTCP {
		return p, &ParseError{Field: "IPv6 next header", Offset: protoOff, Value: int(proto), Err: ErrNotTCP}
	}
	seg := b[off:]
	// The pseudo-header from the header bytes (RFC 8200 section 8.1): the
	// same sum as PseudoHeaderChecksum. With a Routing header the
	// destination would be the final one, but only one with no segments
	// left gets here, and then the fixed header's is the final one.
	var pseudo uint16
	if verify {
		pseudo = Checksum(b[ipv6Src:ipv6Dst+16], ChecksumCombine(ProtocolTCP, uint16(len(seg))))
	}
	if err := parseTCP(seg, off, pseudo, verify, &p.TCP); err != nil {
		if err == errTCPChecksum {
			err = tcpChecksumError(off, &p.TCP)
		}
		return p, err
	}
	return p, nil
}
