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
// It sums 8 bytes at a time with end-around carry: ones'-complement addition
// is associative and 2^16 = 1 (mod 2^16-1), so wide words fold to the same
// 16-bit result (RFC 1071 section 2(B), "parallel summation").
func Checksum(b []byte, initial uint16) uint16 {
	sum := uint64(initial)
	var carry uint64
	for len(b) >= 32 {
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[0:]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[8:]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[16:]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[24:]), carry)
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b), carry)
		b = b[8:]
	}
	if len(b) >= 4 {
		sum, carry = bits.Add64(sum, uint64(binary.BigEndian.Uint32(b)), carry)
		b = b[4:]
	}
	if len(b) >= 2 {
		sum, carry = bits.Add64(sum, uint64(binary.BigEndian.Uint16(b)), carry)
		b = b[2:]
	}
	if len(b) == 1 {
		sum, carry = bits.Add64(sum, uint64(b[0])<<8, carry)
	}
	sum, carry = bits.Add64(sum, 0, carry)
	sum += carry // cannot carry again: sum was at most 2^64-2 after adding 1
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
