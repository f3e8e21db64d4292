package sendbuf

import (
	"bytes"
	"testing"
)

// A connection that writes a few bytes holds a small ring, not its whole
// send buffer; the ring grows as the data held needs it.
func TestRingGrowsOnDemand(t *testing.T) {
	b := New(256 << 10)
	b.Write([]byte("GET /\r\n"))
	if len(b.buf) > 2*minRing {
		t.Fatalf("%d bytes of ring and mirror for 7 bytes held", len(b.buf))
	}
	b.Write(seqBytes(0, 100<<10))
	if b.size < b.Len() || b.size > 256<<10 {
		t.Fatalf("ring of %d bytes holds %d", b.size, b.Len())
	}
	if n := b.Write(make([]byte, 1<<20)); b.Len() != 256<<10 || n != 256<<10-7-100<<10 {
		t.Fatalf("filled to %d (took %d), want the capacity %d", b.Len(), n, 256<<10)
	}
}

// Growing while the held bytes wrap around the ring's end keeps them in
// order, and the mirror keeps every run contiguous.
func TestGrowWhileWrapped(t *testing.T) {
	b := New(64 << 10)
	b.Write(seqBytes(0, minRing-192))
	b.Ack(minRing - 1192) // 1000 bytes held, near the ring's end
	b.Write(seqBytes(minRing-192, 7000))
	if b.head+b.Len() <= b.size {
		t.Fatalf("the test's data does not wrap (head %d, len %d, ring %d)", b.head, b.Len(), b.size)
	}
	b.Write(seqBytes(minRing-192+7000, 5000)) // 13000 held: the ring grows
	want := seqBytes(minRing-1192, 13000)
	if got := b.Slice(0, 13000); !bytes.Equal(got, want) {
		t.Fatalf("after growing, Slice differs from what was written (%d bytes)", len(got))
	}
	// Wrap again in the grown ring and read a run across its end.
	b.Ack(12000)
	b.Write(seqBytes(minRing-1192+13000, b.size-1000))
	off := b.size - b.head - 10
	if got := b.Slice(off, 100); !bytes.Equal(got, seqBytes(minRing-1192+12000+off, 100)) {
		t.Fatal("a run across the grown ring's end differs")
	}
}

// Grow raises the capacity where the bytes are, without moving them, and
// never lowers it.
func TestGrowRaisesCapacityInPlace(t *testing.T) {
	b := New(16 << 10)
	b.SetBase(1000)
	b.Write(seqBytes(0, 16<<10))
	ring := &b.buf[0]
	b.Grow(16<<10 + 100)
	if b.Cap() != 16<<10+100 || b.Free() != 100 || &b.buf[0] != ring {
		t.Fatalf("after Grow: cap %d, free %d, ring moved %v", b.Cap(), b.Free(), &b.buf[0] != ring)
	}
	b.Grow(1 << 10)
	if b.Cap() != 16<<10+100 {
		t.Fatalf("Grow to less lowered the capacity to %d", b.Cap())
	}
	if n := b.Write(seqBytes(16<<10, 200)); n != 100 {
		t.Fatalf("wrote %d bytes into 100 free", n)
	}
	first, second := b.Peek(1000, b.Len())
	if got := append(append([]byte{}, first...), second...); !bytes.Equal(got, seqBytes(0, 16<<10+100)) {
		t.Fatal("bytes held differ from those written")
	}
}
