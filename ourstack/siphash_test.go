package ourstack

import "testing"

// The reference vectors of the SipHash paper (appendix A) and its reference
// implementation's vectors.h: key 00 01 .. 0f, message 00 01 .. (n-1).
func TestSipHash24ReferenceVectors(t *testing.T) {
	var k sipKey
	for i := range k {
		k[i] = byte(i)
	}
	msg := make([]byte, 64)
	for i := range msg {
		msg[i] = byte(i)
	}
	for _, tc := range []struct {
		n    int
		want uint64
	}{
		{0, 0x726fdb47dd0e0e31},
		{1, 0x74f839c593dc67fd},
		{7, 0xab0200f58b01d137},
		{8, 0x93f5f5799a932462},
		{15, 0xa129ca6149be45e5},
	} {
		if got := siphash24(&k, msg[:tc.n]); got != tc.want {
			t.Errorf("siphash24(len %d) = %#016x, want %#016x", tc.n, got, tc.want)
		}
	}
}

func TestSipHasherAllocatesNothing(t *testing.T) {
	var k sipKey
	allocs := testing.AllocsPerRun(100, func() {
		var h sipHasher
		h.writeUint32(1)
		h.writeUint16(2)
		_ = h.sum(&k)
	})
	if allocs != 0 {
		t.Errorf("sipHasher allocated %v times per hash, want 0", allocs)
	}
}
