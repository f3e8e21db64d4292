package wire

import "net/netip"

// Parse validates an IPv4 packet carrying a TCP segment and returns its
// fields. It does not allocate; Payload and IP.Options alias b.
//
// Checks, in order (the first that fails is returned as a *ParseError
// wrapping the sentinel named here):
//   - at least 20 bytes (ErrTruncated); version 4 (ErrNotIPv4); IHL >= 5
//     (ErrBadIHL) (RFC 791 section 3.1);
//   - total length <= len(b): fewer bytes than the total length is
//     ErrTruncated; a total length below the 20-byte minimum header is
//     ErrTotalLength. Bytes past the total length are the link layer's
//     padding (an Ethernet frame's minimum size, RFC 894), not part of the
//     datagram (RFC 791 3.1: Total Length is "the length of the datagram"),
//     and are ignored, as Linux and gVisor ignore them;
//   - IHL*4 <= total length (ErrBadIHL);
//   - not a fragment, i.e. MF clear and fragment offset 0 (ErrFragment):
//     tcpbed does not reassemble;
//   - protocol 6 (ErrNotTCP);
//   - the TCP header: at least 20 bytes (ErrTruncated), data offset >= 5 and
//     within the segment (ErrBadDataOffset), options as ParseOptions
//     describes (ErrOptionLength);
//   - the IPv4 header checksum (ErrIPChecksum), then the TCP checksum over
//     the pseudo-header (ErrTCPChecksum) (RFC 1071, RFC 9293 section 3.1).
//
// On ErrIPChecksum and ErrTCPChecksum the returned Packet is fully filled in,
// so that a trace can print a corrupted packet. On earlier errors it holds
// whatever was parsed before the fault.
func Parse(b []byte) (Packet, error) { return parse(b, true) }

// ParseVerified is Parse for a packet whose IPv4 and TCP checksums the
// link has already verified (receive checksum offload, a NIC's
// CHECKSUM_UNNECESSARY): it checks everything else and sums nothing.
func ParseVerified(b []byte) (Packet, error) { return parse(b, false) }

// parse is Parse, summing the checksums only if verify.
func parse(b []byte, verify bool) (Packet, error) {
	var p Packet
	if len(b) < IPv4MinHeaderLen {
		return p, &ParseError{Field: "IPv4 header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	// The fixed 20 bytes are present, so every accessor but Options and
	// Payload is safe; those wait until IHL is checked.
	ip := IPv4(b)
	p.IP = IPv4Fields{
		TOS:         ip.TOS(),
		TotalLength: ip.TotalLength(),
		ID:          ip.ID(),
		Flags:       ip.Flags(),
		FragOffset:  ip.FragOffset(),
		TTL:         ip.TTL(),
		Protocol:    ip.Protocol(),
		Checksum:    ip.Checksum(),
		Src:         ip.Src(),
		Dst:         ip.Dst(),
	}
	if v := ip.Version(); v != IPv4Version {
		return p, &ParseError{Field: "IPv4 version", Offset: ipv4VersionIHL, Value: int(v), Err: ErrNotIPv4}
	}
	hl := ip.HeaderLen()
	if hl < IPv4MinHeaderLen {
		return p, &ParseError{Field: "IPv4 IHL", Offset: ipv4VersionIHL, Value: hl / 4, Err: ErrBadIHL}
	}
	if hl <= len(b) {
		if opts := ip.Options(); len(opts) > 0 {
			p.IP.Options = opts
		}
	}
	switch tl := int(ip.TotalLength()); {
	case tl > len(b):
		return p, &ParseError{Field: "IPv4 total length", Offset: ipv4TotalLength, Value: tl, Err: ErrTruncated}
	case tl < IPv4MinHeaderLen:
		return p, &ParseError{Field: "IPv4 total length", Offset: ipv4TotalLength, Value: tl, Err: ErrTotalLength}
	case hl > tl:
		return p, &ParseError{Field: "IPv4 IHL", Offset: ipv4VersionIHL, Value: hl / 4, Err: ErrBadIHL}
	case tl < len(b):
		b, ip = b[:tl], ip[:tl] // link-layer padding after the datagram
	}
	if ip.Flags()&IPv4MoreFragments != 0 || ip.FragOffset() != 0 {
		return p, &ParseError{Field: "IPv4 flags/fragment offset", Offset: ipv4FlagsFragOff, Value: int(ip.Flags())<<13 | int(ip.FragOffset()), Err: ErrFragment}
	}
	if ip.Protocol() != ProtocolTCP {
		return p, &ParseError{Field: "IPv4 protocol", Offset: ipv4Protocol, Value: int(ip.Protocol()), Err: ErrNotTCP}
	}
	seg := ip.Payload()
	// The pseudo-header's addresses straight from the header bytes: the same
	// sum as PseudoHeaderChecksum, without going through netip.Addr.
	var pseudo uint16
	if verify {
		pseudo = Checksum(b[ipv4Src:ipv4Dst+4], ChecksumCombine(ProtocolTCP, uint16(len(seg))))
	}
	tcpErr := parseTCP(seg, hl, pseudo, verify, &p.TCP)
	if tcpErr != nil && tcpErr != errTCPChecksum {
		return p, tcpErr
	}
	if verify && !ip.HeaderChecksumValid() {
		return p, &ParseError{Field: "IPv4 header checksum", Offset: ipv4Checksum, Value: int(p.IP.Checksum), Err: ErrIPChecksum}
	}
	if tcpErr != nil {
		return p, tcpChecksumError(hl, &p.TCP)
	}
	return p, nil
}

// ParseTCP validates a TCP segment (header, options, payload) that arrived
// from src to dst, checksum included, and returns its fields. It does not
// allocate; Payload aliases b. Error offsets count from the start of b. On
// ErrTCPChecksum the Segment is fully filled in.
func ParseTCP(b []byte, src, dst netip.Addr) (Segment, error) {
	var s Segment
	err := parseTCP(b, 0, PseudoHeaderChecksum(src, dst, uint16(len(b))), true, &s)
	if err == errTCPChecksum {
		err = tcpChecksumError(0, &s)
	}
	return s, err
}

// errTCPChecksum is parseTCP's allocation-free signal of a bad checksum; its
// callers wrap it in a *ParseError once they know the offset.
var errTCPChecksum = ErrTCPChecksum

// tcpChecksumError is the *ParseError for segment s's bad checksum, s
// starting at offset base.
func tcpChecksumError(base int, s *Segment) *ParseError {
	return &ParseError{Field: "TCP checksum", Offset: base + tcpChecksum, Value: int(s.Checksum), Err: ErrTCPChecksum}
}

// parseTCP fills s from segment b; base is b's offset in the packet, for
// error offsets; pseudo is the pseudo-header's sum, checked only if
// verify. A bad checksum is reported last, after s is complete.
func parseTCP(b []byte, base int, pseudo uint16, verify bool, s *Segment) error {
	if len(b) < TCPMinHeaderLen {
		return &ParseError{Field: "TCP header", Offset: base, Value: len(b), Err: ErrTruncated}
	}
	t := TCP(b)
	*s = Segment{
		SrcPort:    t.SrcPort(),
		DstPort:    t.DstPort(),
		Seq:        t.Seq(),
		Ack:        t.Ack(),
		DataOffset: t.DataOffset(),
		Flags:      t.Flags(),
		Window:     t.Window(),
		Checksum:   t.Checksum(),
		Urgent:     t.Urgent(),
	}
	if hl := t.HeaderLen(); hl < TCPMinHeaderLen || hl > len(b) {
		return &ParseError{Field: "TCP data offset", Offset: base + tcpDataOffset, Value: hl / 4, Err: ErrBadDataOffset}
	}
	if err := parseOptions(t.Options(), base+TCPMinHeaderLen, &s.Options); err != nil {
		return err
	}
	if p := t.Payload(); len(p) > 0 {
		s.Payload = p
	}
	if verify && Checksum(b, pseudo) != 0xffff {
		return errTCPChecksum
	}
	return nil
}
