package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv4 is a view over the bytes of an IPv4 header and what follows it, in the
// style of gVisor's header.IPv4. Accessors read the bytes in place.
//
// An IPv4 obtained from NewIPv4 has at least IPv4MinHeaderLen bytes and an
// IHL that lies within them, so no accessor can panic. An IPv4 made by a plain
// conversion (IPv4(b)) must be at least IPv4MaxHeaderLen long or it may.
type IPv4 []byte

// NewIPv4 checks that b is long enough for every accessor of IPv4 and returns
// the view. It does not check version, total length, fragments or the
// checksum: Parse does.
func NewIPv4(b []byte) (IPv4, error) {
	if len(b) < IPv4MinHeaderLen {
		return nil, &ParseError{Field: "IPv4 header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	h := IPv4(b)
	if hl := h.HeaderLen(); hl < IPv4MinHeaderLen {
		return nil, &ParseError{Field: "IPv4 IHL", Offset: ipv4VersionIHL, Value: hl / 4, Err: ErrBadIHL}
	} else if hl > len(b) {
		return nil, &ParseError{Field: "IPv4 IHL", Offset: ipv4VersionIHL, Value: hl / 4, Err: ErrTruncated}
	}
	return h, nil
}

// Version is the IP version field (4 for IPv4).
func (h IPv4) Version() uint8 { return h[ipv4VersionIHL] >> 4 }

// HeaderLen is the header length in bytes (IHL times 4).
func (h IPv4) HeaderLen() int { return int(h[ipv4VersionIHL]&0xf) * 4 }

// TOS is the type-of-service (DSCP and ECN) byte.
func (h IPv4) TOS() uint8 { return h[ipv4TOS] }

// TotalLength is the total-length field: header plus payload, in bytes.
func (h IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(h[ipv4TotalLength:]) }

// ID is the identification field.
func (h IPv4) ID() uint16 { return binary.BigEndian.Uint16(h[ipv4ID:]) }

// Flags are the three flag bits (IPv4DontFragment, IPv4MoreFragments).
func (h IPv4) Flags() uint8 { return h[ipv4FlagsFragOff] >> 5 }

// FragOffset is the fragment offset in 8-byte units.
func (h IPv4) FragOffset() uint16 {
	return binary.BigEndian.Uint16(h[ipv4FlagsFragOff:]) & 0x1fff
}

// TTL is the time-to-live field.
func (h IPv4) TTL() uint8 { return h[ipv4TTL] }

// Protocol is the protocol of the payload (ProtocolTCP for TCP).
func (h IPv4) Protocol() uint8 { return h[ipv4Protocol] }

// Checksum is the header checksum as written.
func (h IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(h[ipv4Checksum:]) }

// Src is the source address.
func (h IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(h[ipv4Src : ipv4Src+4])) }

// Dst is the destination address.
func (h IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(h[ipv4Dst : ipv4Dst+4])) }

// Options are the raw IP options: the header bytes after the fixed 20.
func (h IPv4) Options() []byte { return h[IPv4MinHeaderLen:h.HeaderLen()] }

// Payload is every byte after the header. It ignores the total-length field;
// Parse checks that the two agree.
func (h IPv4) Payload() []byte { return h[h.HeaderLen():] }

// HeaderChecksumValid reports whether the header sums to all ones (RFC 1071 (3)).
func (h IPv4) HeaderChecksumValid() bool { return Checksum(h[:h.HeaderLen()], 0) == 0xffff }

// SetVersionIHL writes version 4 and the header length in bytes (a multiple of 4).
func (h IPv4) SetVersionIHL(headerLen int) {
	h[ipv4VersionIHL] = IPv4Version<<4 | uint8(headerLen/4)&0xf
}

// SetTOS writes the type-of-service byte.
func (h IPv4) SetTOS(v uint8) { h[ipv4TOS] = v }

// SetTotalLength writes the total-length field.
func (h IPv4) SetTotalLength(v uint16) { binary.BigEndian.PutUint16(h[ipv4TotalLength:], v) }

// SetID writes the identification field.
func (h IPv4) SetID(v uint16) { binary.BigEndian.PutUint16(h[ipv4ID:], v) }

// SetFlagsFragOffset writes the flag bits and the fragment offset (8-byte units).
func (h IPv4) SetFlagsFragOffset(flags uint8, off uint16) {
	binary.BigEndian.PutUint16(h[ipv4FlagsFragOff:], uint16(flags&0x7)<<13|off&0x1fff)
}

// SetTTL writes the time-to-live.
func (h IPv4) SetTTL(v uint8) { h[ipv4TTL] = v }

// SetProtocol writes the protocol field.
func (h IPv4) SetProtocol(v uint8) { h[ipv4Protocol] = v }

// SetChecksum writes the header checksum field.
func (h IPv4) SetChecksum(v uint16) { binary.BigEndian.PutUint16(h[ipv4Checksum:], v) }

// SetSrc writes the source address; an address that is not IPv4 writes 0.0.0.0.
func (h IPv4) SetSrc(a netip.Addr) { putAddr4(h[ipv4Src:ipv4Src+4], a) }

// SetDst writes the destination address; an address that is not IPv4 writes 0.0.0.0.
func (h IPv4) SetDst(a netip.Addr) { putAddr4(h[ipv4Dst:ipv4Dst+4], a) }

func putAddr4(b []byte, a netip.Addr) {
	a = a.Unmap()
	if !a.Is4() {
		clear(b[:4])
		return
	}
	v := a.As4()
	copy(b, v[:])
}

// Addr4 is a convenience for building packets: the IPv4 address a.b.c.d.
func Addr4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }
