package packet

import (
	"fmt"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// parseIPv6 reads an IPv6 packet (RFC 8200) carrying TCP behind whatever
// extension headers gVisor's IPv6PayloadIterator walks.
func parseIPv6(b []byte) (Packet, error) {
	var p Packet
	ip := header.IPv6(b)
	if !ip.IsValid(len(b)) {
		return p, fmt.Errorf("%w: not a whole IPv6 header and payload (%d bytes)", ErrMalformed, len(b))
	}
	// IsValid has checked payload length <= len(b)-40; bytes past it are
	// link padding.
	b = b[:header.IPv6MinimumSize+int(ip.PayloadLength())]
	ip = header.IPv6(b)
	tc, flow := ip.TOS()
	p.IP = IP{TOS: tc, FlowLabel: flow, TTL: ip.HopLimit(), Src: AddrOf(ip.SourceAddress()), Dst: AddrOf(ip.DestinationAddress())}
	off, err := ipv6TCPOffset(ip)
	if err != nil {
		return p, err
	}
	return p, parseTCP(&p.TCP, b[off:], ip.SourceAddress(), ip.DestinationAddress())
}

// ipv6TCPOffset walks the extension headers of ip (RFC 8200 section 4) to
// the TCP header and returns its offset in the packet. A fragment that is
// not a whole datagram, a Routing header with segments left (the TCP
// checksum's destination would be another than the fixed header's), and
// an upper layer other than TCP are malformed to the judge.
func ipv6TCPOffset(ip header.IPv6) (int, error) {
	it := header.MakeIPv6PayloadIterator(header.IPv6ExtensionHeaderIdentifier(ip.NextHeader()), buffer.MakeWithData(ip.Payload()))
	defer it.Release()
	for {
		h, done, err := it.Next()
		if err != nil {
			return 0, fmt.Errorf("%w: IPv6 extension header at byte %d: %v", ErrMalformed, it.HeaderOffset(), err)
		}
		if done {
			return 0, fmt.Errorf("%w: IPv6 packet with no upper-layer header (No Next Header)", ErrMalformed)
		}
		switch h := h.(type) {
		case header.IPv6RawPayloadHeader:
			// The upper layer is what the walk left, not HeaderOffset:
			// gVisor sums header lengths in 8 bits there, which wraps for
			// a header of 256 bytes or more.
			rest := int(h.Buf.Size())
			h.Release()
			if h.Identifier != header.IPv6ExtensionHeaderIdentifier(header.TCPProtocolNumber) {
				return 0, fmt.Errorf("%w: IPv6 next header %d, not TCP", ErrMalformed, h.Identifier)
			}
			return len(ip) - rest, nil
		case header.IPv6FragmentExtHdr:
			if !h.IsAtomic() {
				more := ""
				if h.More() {
					more = ", more to come"
				}
				return 0, fmt.Errorf("%w: %w (id %d, offset %d%s)", ErrMalformed, ErrFragment, h.ID(), int(h.FragmentOffset())*header.IPv6FragmentExtHdrFragmentOffsetBytesPerUnit, more)
			}
		case header.IPv6RoutingExtHdr:
			if n := h.SegmentsLeft(); n != 0 {
				h.Release()
				return 0, fmt.Errorf("%w: IPv6 routing header with %d segments left", ErrMalformed, n)
			}
		}
		h.Release()
	}
}
