package wire

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// Checksum adds the bytes of b, as big-endian 16-bit words, to initial in
// ones'-complement arithmetic and returns the folded 16-bit sum, not yet
// complemented (RFC 1071 section 2). An odd final byte is padded with a zero.
// A header whose checksum field is correct sums to 0xffff.
//
// Two properties from RFC 1071 section 2 make it fast without unsafe:
// "parallel summation" (2(C)): 64-bit words with end-around carry fold to
// the same 16-bit sum, since 2^16 = 1 (mod 2^16-1); and "byte order
// independence" (2(B)): summing little-endian words gives the byte-swapped
// sum, so the bulk is loaded little-endian (one plain load on amd64 and
// arm64) and the result swapped back once.
func Checksum(b []byte, initial uint16) uint16 {
	acc := uint64(bits.ReverseBytes16(initial))
	for len(b) >= 64 {
		// The carry is added back at the end of each block rather than
		// carried across iterations, which keeps it in the flags register.
		w := b[:64]
		var carry uint64
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[0:8]), 0)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[8:16]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[16:24]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[24:32]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[32:40]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[40:48]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[48:56]), carry)
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(w[56:64]), carry)
		acc, _ = bits.Add64(acc, 0, carry) // cannot carry: acc <= 2^64-2 here
		b = b[64:]
	}
	for len(b) >= 8 {
		var carry uint64
		acc, carry = bits.Add64(acc, binary.LittleEndian.Uint64(b), 0)
		acc, _ = bits.Add64(acc, 0, carry)
		b = b[8:]
	}
	sum := uint64(bits.ReverseBytes16(fold64(acc)))
	// The last 0 to 7 bytes, big-endian; sum is 16 bits, so no overflow.
	if len(b) >= 4 {
		sum += uint64(binary.BigEndian.Uint32(b))
		b = b[4:]
	}
	if len(b) >= 2 {
		sum += uint64(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint64(b[0]) << 8
	}
	return fold64(sum)
}

// fold64 folds a 64-bit ones'-complement sum to 16 bits.
func fold64(s uint64) uint16 {
	s = s>>32 + s&0xffffffff
	s = s>>32 + s&0xffffffff
	s = s>>16 + s&0xffff
	s = s>>16 + s&0xffff
	return uint16(s)
}

// ChecksumCombine adds two partial ones'-complement sums.
func ChecksumCombine(a, b uint16) uint16 {
	return fold64(uint64(a) + uint64(b))
}

// PseudoHeaderChecksum is the partial sum of the TCP pseudo-header: for
// IPv4 (RFC 9293 section 3.1) source address, destination address, zero,
// protocol 6, TCP length; for IPv6 (RFC 8200 section 8.1) source address,
// destination address, the 32-bit upper-layer length, three zero bytes,
// next header 6. The fields after the addresses are the same 16-bit words
// in both layouts (a length below 65536 has a zero top half), so the one
// difference is the addresses: each adds its own bytes, 4 for an IPv4
// address, 16 for an IPv6 one (an IPv4-mapped address included, as it is
// on the wire of an IPv6 packet); an invalid address counts as zeros.
func PseudoHeaderChecksum(src, dst netip.Addr, tcpLength uint16) uint16 {
	var lenProto [4]byte
	binary.BigEndian.PutUint16(lenProto[0:], tcpLength)
	lenProto[3] = ProtocolTCP
	return addrSum(dst, addrSum(src, Checksum(lenProto[:], 0)))
}

// addrSum adds the bytes of a to the partial sum s.
func addrSum(a netip.Addr, s uint16) uint16 {
	switch {
	case a.Is4():
		v := a.As4()
		return Checksum(v[:], s)
	case a.Is6():
		v := a.As16()
		return Checksum(v[:], s)
	}
	return s
}

// IPv4HeaderChecksum is the value to write in the checksum field of header h
// (whose own checksum field is taken as zero): the complement of the sum.
func IPv4HeaderChecksum(h []byte) uint16 {
	s := Checksum(h[:ipv4Checksum], 0)
	s = Checksum(h[ipv4Checksum+2:], s)
	return ^s
}

// TCPChecksum is the value to write in the checksum field of segment seg
// (header, options and payload; its own checksum field taken as zero) sent
// from src to dst, over the IPv4 or IPv6 pseudo-header as the addresses
// are (PseudoHeaderChecksum). A seg too short to hold a checksum field is summed whole.
func TCPChecksum(src, dst netip.Addr, seg []byte) uint16 {
	s := PseudoHeaderChecksum(src, dst, uint16(len(seg)))
	if len(seg) < tcpChecksum+2 {
		return ^Checksum(seg, s)
	}
	s = Checksum(seg[:tcpChecksum], s)
	s = Checksum(seg[tcpChecksum+2:], s)
	return ^s
}
