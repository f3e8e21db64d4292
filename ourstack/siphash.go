package ourstack

import (
	"encoding/binary"
	"math/bits"
)

// sipKey is a 128-bit SipHash key. The keyed hash behind ISNs (RFC 6528),
// ephemeral ports (RFC 6056) and SYN cookies (RFC 4987) is SipHash-2-4, the
// function Linux uses for the same three jobs: short inputs, fast, and
// unpredictable to anyone who does not hold the key.
type sipKey [16]byte

// sipHasher accumulates a short message on the stack (no allocation) and
// hashes it with SipHash-2-4 (Aumasson and Bernstein, 2012).
type sipHasher struct {
	buf [64]byte
	n   int
}

func (h *sipHasher) write(b []byte) { h.n += copy(h.buf[h.n:], b) }

func (h *sipHasher) writeUint8(v uint8) {
	h.buf[h.n] = v
	h.n++
}

func (h *sipHasher) writeUint16(v uint16) {
	binary.BigEndian.PutUint16(h.buf[h.n:], v)
	h.n += 2
}

func (h *sipHasher) writeUint32(v uint32) {
	binary.BigEndian.PutUint32(h.buf[h.n:], v)
	h.n += 4
}

func (h *sipHasher) writeUint64(v uint64) {
	binary.BigEndian.PutUint64(h.buf[h.n:], v)
	h.n += 8
}

func (h *sipHasher) sum(k *sipKey) uint64 { return siphash24(k, h.buf[:h.n]) }

// siphash24 is SipHash-2-4 of msg under key k.
func siphash24(k *sipKey, msg []byte) uint64 {
	k0 := binary.LittleEndian.Uint64(k[0:8])
	k1 := binary.LittleEndian.Uint64(k[8:16])
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573

	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}

	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		round()
		round()
		v0 ^= m
		msg = msg[8:]
	}
	// The last block holds the remaining bytes and the message length mod 256.
	var last [8]byte
	copy(last[:], msg)
	last[7] = byte(n)
	m := binary.LittleEndian.Uint64(last[:])
	v3 ^= m
	round()
	round()
	v0 ^= m

	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
