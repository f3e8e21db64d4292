package packet

import (
	"encoding/binary"
	"fmt"

	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Fragment cuts an encoded IPv4 packet into fragments (RFC 791 3.2), with
// gVisor's header package: the payload is cut at the byte offsets cuts
// (each a multiple of 8, rising, inside the payload), every fragment
// carries the packet's header with its total length, MF flag (set on all
// but the last), fragment offset and checksum rewritten. A test injects
// them in any order, or changes one to overlap another. An IPv6 packet is
// cut by FragmentIPv6.
func Fragment(pkt []byte, cuts ...int) ([][]byte, error) {
	if header.IPVersion(pkt) == header.IPv6Version {
		return nil, fmt.Errorf("packet: Fragment: an IPv6 packet (FragmentIPv6 cuts those)")
	}
	ip := header.IPv4(pkt)
	if len(pkt) < header.IPv4MinimumSize || !ip.IsValid(len(pkt)) {
		return nil, fmt.Errorf("packet: Fragment: not a valid IPv4 packet")
	}
	hl := int(ip.HeaderLength())
	payload := pkt[hl:ip.TotalLength()]
	bounds, err := cutBounds(len(payload), cuts)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(bounds)-1)
	for i := 0; i+1 < len(bounds); i++ {
		from, to := bounds[i], bounds[i+1]
		f := append(append(make([]byte, 0, hl+to-from), pkt[:hl]...), payload[from:to]...)
		fh := header.IPv4(f)
		fh.SetTotalLength(uint16(len(f)))
		flags := ip.Flags() &^ header.IPv4FlagMoreFragments
		if i+2 < len(bounds) {
			flags |= header.IPv4FlagMoreFragments
		}
		fh.SetFlagsFragmentOffset(flags, uint16(from))
		fh.SetChecksum(0)
		fh.SetChecksum(^fh.CalculateChecksum())
		out = append(out, f)
	}
	return out, nil
}

// FragmentIPv6 cuts an encoded IPv6 packet whose fixed header names TCP
// (as Encode writes them) as its source would (RFC 8200 4.5): each
// fragment is the fixed header, a Fragment header with identification id,
// the offset and M, then its piece of the payload, cut at cuts as Fragment
// cuts.
func FragmentIPv6(pkt []byte, id uint32, cuts ...int) ([][]byte, error) {
	ip := header.IPv6(pkt)
	if !ip.IsValid(len(pkt)) || ip.NextHeader() != uint8(header.TCPProtocolNumber) {
		return nil, fmt.Errorf("packet: Fragment: not an IPv6 packet carrying TCP straight after its fixed header")
	}
	payload := pkt[header.IPv6MinimumSize : header.IPv6MinimumSize+int(ip.PayloadLength())]
	bounds, err := cutBounds(len(payload), cuts)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, len(bounds)-1)
	for i := 0; i+1 < len(bounds); i++ {
		from, to := bounds[i], bounds[i+1]
		f := make([]byte, header.IPv6MinimumSize+header.IPv6FragmentHeaderSize+to-from)
		copy(f, pkt[:header.IPv6MinimumSize])
		fh := header.IPv6(f)
		fh.SetPayloadLength(uint16(len(f) - header.IPv6MinimumSize))
		fh.SetNextHeader(uint8(header.IPv6FragmentHeader))
		ext := f[header.IPv6MinimumSize:]
		ext[0] = uint8(header.TCPProtocolNumber)
		offM := uint16(from)
		if i+2 < len(bounds) {
			offM |= 1
		}
		binary.BigEndian.PutUint16(ext[2:], offM)
		binary.BigEndian.PutUint32(ext[4:], id)
		copy(ext[header.IPv6FragmentHeaderSize:], payload[from:to])
		out = append(out, f)
	}
	return out, nil
}

// cutBounds is where each fragment's piece of an n-byte payload starts and
// the last ends: 0, the cuts, n; each cut inside the payload, rising, by a
// multiple of 8 (RFC 791 3.2, RFC 8200 4.5: a fragment offset counts
// 8-byte units).
func cutBounds(n int, cuts []int) ([]int, error) {
	bounds := append(append([]int{0}, cuts...), n)
	for i := 0; i+1 < len(bounds); i++ {
		if from, to := bounds[i], bounds[i+1]; from%8 != 0 || to <= from || to > n {
			return nil, fmt.Errorf("packet: Fragment: cut at %d..%d of a %d-byte payload (offsets must rise, by multiples of 8)", from, to, n)
		}
	}
	return bounds, nil
}
