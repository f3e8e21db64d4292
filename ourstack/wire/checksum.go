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

// PseudoHeaderChecksum is the partial sum of the TCP pseudo-header (RFC 9293
// section 3.1: source address, destination address, zero, protocol 6, TCP
// length). Addresses that are not IPv4 count as 0.0.0.0.
func PseudoHeaderChecksum(src, dst netip.Addr, tcpLength uint16) uint16 {
	var ph [12]byte
	putAddr4(ph[0:4], src)
	putAddr4(ph[4:8], dst)
	ph[9] = ProtocolTCP
	binary.BigEndian.PutUint16(ph[10:], tcpLength)
	return Checksum(ph[:], 0)
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
// from src to dst. A seg too short to hold a checksum field is summed whole.
func TCPChecksum(src, dst netip.Addr, seg []byte) uint16 {
	s := PseudoHeaderChecksum(src, dst, uint16(len(seg)))
	if len(seg) < tcpChecksum+2 {
		return ^Checksum(seg, s)
	}
	s = Checksum(seg[:tcpChecksum], s)
	s = Checksum(seg[tcpChecksum+2:], s)
	return ^s
}
