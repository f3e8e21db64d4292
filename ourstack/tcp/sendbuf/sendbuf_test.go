package sendbuf

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

func seqBytes(from, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(from + i)
	}
	return p
}

func TestWriteFreeLen(t *testing.T) {
	b := New(10) // ring rounds up to 16; capacity stays 10
	cases := []struct {
		write, took, len, free int
	}{
		{4, 4, 4, 6},
		{4, 4, 8, 2},
		{4, 2, 10, 0}, // only what fits
		{1, 0, 10, 0},
	}
	for i, c := range cases {
		if got := b.Write(seqBytes(0, c.write)); got != c.took {
			t.Errorf("step %d: Write(%d) took %d, want %d", i, c.write, got, c.took)
		}
		if b.Len() != c.len || b.Free() != c.free {
			t.Errorf("step %d: Len=%d Free=%d, want %d %d", i, b.Len(), b.Free(), c.len, c.free)
		}
	}
	if b.Cap() != 10 {
		t.Errorf("Cap=%d, want 10", b.Cap())
	}
}

// A run that crosses both the ring's end and 2^32 in sequence space.
func TestWrapAroundRingAndSequence(t *testing.T) {
	b := New(8)
	base := seqnum.Value(0xFFFF_FFF7)
	b.SetBase(base)
	b.Write([]byte("vwxyz"))
	b.Ack(4)
	b.Write([]byte("abcdef")) // would wrap: "zabcdef" moves to a mirrored ring
	b.Ack(6)                  // "f" left, at ring index 6; base crosses 2^32
	if b.Base() != 1 || b.Len() != 1 {
		t.Fatalf("after Ack(6): Base=%#x Len=%d, want 0x1 1", uint32(b.Base()), b.Len())
	}
	if n := b.Write([]byte("ghijklm")); n != 7 {
		t.Fatalf("Write took %d, want 7", n)
	}
	if b.End() != 9 {
		t.Errorf("End=%#x, want 0x9", uint32(b.End()))
	}
	cases := []struct {
		offset, n int
		want      string
	}{
		{0, 8, "fghijklm"}, // ring indices 6..7 then 0..5
		{1, 3, "ghi"},      // straddles the ring's end
		{3, 100, "ijklm"},  // clamped to what is held
		{8, 1, ""},         // at End: nothing
		{9, 1, ""},         // past End
		{-1, 1, ""},
	}
	for _, c := range cases {
		if got := b.Slice(c.offset, c.n); string(got) != c.want {
			t.Errorf("Slice(%d,%d)=%q, want %q", c.offset, c.n, got, c.want)
		}
		seq := b.Base().Add(seqnum.Size(c.offset))
		f, s := b.Peek(seq, c.n)
		if c.offset >= 0 && string(f)+string(s) != c.want {
			t.Errorf("Peek(%#x,%d)=%q+%q, want %q", uint32(seq), c.n, f, s, c.want)
		}
		if c.offset >= 0 && string(b.SliceSeq(seq, c.n)) != c.want {
			t.Errorf("SliceSeq(%#x,%d)=%q, want %q", uint32(seq), c.n, b.SliceSeq(seq, c.n), c.want)
		}
	}
	if f, s := b.Peek(0, 8); f != nil || s != nil {
		t.Errorf("Peek before Base (0 < 1 across the wrap) = %q %q, want nothing", f, s)
	}
	if f, s := b.Peek(base, 1); f != nil || s != nil {
		t.Errorf("Peek of an acked sequence number = %q %q, want nothing", f, s)
	}
	f, s := b.Peek(1, 8)
	if string(f) != "fg" || string(s) != "hijklm" {
		t.Errorf("Peek pieces %q %q, want %q %q", f, s, "fg", "hijklm")
	}
}

func TestAckTo(t *testing.T) {
	b := New(16)
	b.SetBase(0xFFFF_FFFE)
	b.Write(seqBytes(0, 10))
	cases := []struct {
		to      seqnum.Value
		dropped int
		base    seqnum.Value
		held    int
	}{
		{0xFFFF_FFF0, 0, 0xFFFF_FFFE, 10}, // old ack
		{0xFFFF_FFFE, 0, 0xFFFF_FFFE, 10},
		{0x1, 3, 0x1, 7}, // across 2^32
		{0x5, 4, 0x5, 3},
		{0x100, 3, 0x8, 0}, // acks past End drop all there is
	}
	for _, c := range cases {
		if got := b.AckTo(c.to); got != c.dropped || b.Base() != c.base || b.Len() != c.held {
			t.Errorf("AckTo(%#x)=%d base=%#x len=%d, want %d %#x %d",
				uint32(c.to), got, uint32(b.Base()), b.Len(), c.dropped, uint32(c.base), c.held)
		}
	}
	b.Ack(-3)
	b.Ack(100)
	if b.Len() != 0 || b.Base() != 8 {
		t.Errorf("nonsense Ack counts moved the buffer: len=%d base=%#x", b.Len(), uint32(b.Base()))
	}
}

// Random writes, acks and reads against a plain byte slice as the model,
// with a ring larger than MaxSlice (so the mirror is partial) and a tiny one.
func TestAgainstModel(t *testing.T) {
	for _, capacity := range []int{1, 7, 4096, 3*MaxSlice + 123} {
		rng := rand.New(rand.NewPCG(1, uint64(capacity)))
		b := New(capacity)
		b.SetBase(0xFFFF_0000)
		var model []byte
		next := 0
		for range 3000 {
			switch rng.IntN(3) {
			case 0:
				p := seqBytes(next, rng.IntN(capacity/2+2))
				n := b.Write(p)
				if want := min(len(p), capacity-len(model)); n != want {
					t.Fatalf("cap %d: Write(%d) took %d, want %d", capacity, len(p), n, want)
				}
				model = append(model, p[:n]...)
				next += n
			case 1:
				n := rng.IntN(len(model) + 1)
				b.Ack(n)
				model = model[n:]
			case 2:
				off := rng.IntN(len(model) + 1)
				n := rng.IntN(min(MaxSlice, capacity) + 1)
				want := model[off:min(len(model), off+n)]
				if got := b.Slice(off, n); !bytes.Equal(got, want) {
					t.Fatalf("cap %d: Slice(%d,%d) = %d bytes, differs from the model's %d", capacity, off, n, len(got), len(want))
				}
				f, s := b.Peek(b.Base().Add(seqnum.Size(off)), n)
				if !bytes.Equal(append(append([]byte(nil), f...), s...), want) {
					t.Fatalf("cap %d: Peek(+%d,%d) differs from the model", capacity, off, n)
				}
			}
			if b.Len() != len(model) || b.Free() != capacity-len(model) {
				t.Fatalf("cap %d: Len=%d Free=%d, model holds %d", capacity, b.Len(), b.Free(), len(model))
			}
		}
	}
}

// One segment's life (write, slice for sending, ack) must not allocate.
func TestNoAllocationsPerSegment(t *testing.T) {
	b := New(64 << 10)
	payload := seqBytes(0, 1460)
	b.Write(payload[:1000]) // keep data in flight so the ring's head moves and wraps
	allocs := testing.AllocsPerRun(1000, func() {
		b.Write(payload)
		seg := b.Slice(b.Len()-1460, 1460)
		f, s := b.Peek(b.End()-1460, 1460)
		if len(seg) != 1460 || len(f)+len(s) != 1460 {
			panic("short slice")
		}
		b.Ack(1460)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per segment, want 0", allocs)
	}
}
