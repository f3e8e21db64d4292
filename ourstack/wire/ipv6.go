package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPVersion is the version nibble of the IP packet b (4, 6, or whatever the
// first byte says), 0 for an empty slice: a demultiplexer's choice between
// Parse and ParseIPv6.
func IPVersion(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	return int(b[0] >> 4)
}

// IPv6 is a view over the bytes of an IPv6 fixed header and what follows it
// (RFC 8200 section 3), in the style of gVisor's header.IPv6. Accessors read
// the bytes in place.
//
// An IPv6 obtained from NewIPv6, or converted from at least IPv6HeaderLen
// bytes, has every field, so no accessor can panic.
type IPv6 []byte

// NewIPv6 checks that b holds the fixed header and returns the view. It
// does not check the version, the payload length or the extension headers:
// ParseIPv6 does.
func NewIPv6(b []byte) (IPv6, error) {
	if len(b) < IPv6HeaderLen {
		return nil, &ParseError{Field: "IPv6 header", Offset: 0, Value: len(b), Err: ErrTruncated}
	}
	return IPv6(b), nil
}

// Version is the IP version field (6 for IPv6).
func (h IPv6) Version() uint8 { return h[ipv6VersionClassFlow] >> 4 }

// TrafficClass is the traffic class byte (DSCP and ECN, RFC 8200 section 7).
func (h IPv6) TrafficClass() uint8 {
	return uint8(binary.BigEndian.Uint16(h[ipv6VersionClassFlow:]) >> 4)
}

// FlowLabel is the 20-bit flow label (RFC 6437).
func (h IPv6) FlowLabel() uint32 {
	return binary.BigEndian.Uint32(h[ipv6VersionClassFlow:]) & 0xfffff
}

// PayloadLength is the length of everything after the fixed header,
// extension headers included.
func (h IPv6) PayloadLength() uint16 { return binary.BigEndian.Uint16(h[ipv6PayloadLength:]) }

// NextHeader names the header that follows the fixed header.
func (h IPv6) NextHeader() uint8 { return h[ipv6NextHeader] }

// HopLimit is the hop-limit field.
func (h IPv6) HopLimit() uint8 { return h[ipv6HopLimit] }

// Src is the source address.
func (h IPv6) Src() netip.Addr { return netip.AddrFrom16([16]byte(h[ipv6Src : ipv6Src+16])) }

// Dst is the destination address.
func (h IPv6) Dst() netip.Addr { return netip.AddrFrom16([16]byte(h[ipv6Dst : ipv6Dst+16])) }

// Payload is every byte after the fixed header. It ignores the
// payload-length field; ParseIPv6 checks that the two agree.
func (h IPv6) Payload() []byte { return h[IPv6HeaderLen:] }

// SetVersionClassFlow writes version 6, the traffic class and the flow
// label (its low 20 bits).
func (h IPv6) SetVersionClassFlow(class uint8, flow uint32) {
	binary.BigEndian.PutUint32(h[ipv6VersionClassFlow:], IPv6Version<<28|uint32(class)<<20|flow&0xfffff)
}

// SetPayloadLength writes the payload-length field.
func (h IPv6) SetPayloadLength(v uint16) { binary.BigEndian.PutUint16(h[ipv6PayloadLength:], v) }

// SetNextHeader writes the fixed header's Next Header field.
func (h IPv6) SetNextHeader(v uint8) { h[ipv6NextHeader] = v }

// SetHopLimit writes the hop limit.
func (h IPv6) SetHopLimit(v uint8) { h[ipv6HopLimit] = v }

// SetSrc writes the source address; an IPv4 address is written IPv4-mapped
// (RFC 4291 section 2.5.5.2), an invalid one as ::.
func (h IPv6) SetSrc(a netip.Addr) { putAddr16(h[ipv6Src:ipv6Src+16], a) }

// SetDst writes the destination address, as SetSrc does.
func (h IPv6) SetDst(a netip.Addr) { putAddr16(h[ipv6Dst:ipv6Dst+16], a) }

func putAddr16(b []byte, a netip.Addr) {
	if !a.IsValid() {
		clear(b[:16])
		return
	}
	v := a.As16()
	copy(b, v[:])
}
