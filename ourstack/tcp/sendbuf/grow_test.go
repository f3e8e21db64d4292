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
	if len(b.buf) > minRing {
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

// An empty Buffer holds no ring: none before the first Write, none again
// once the peer has acknowledged every byte. Until the bytes wrap, the ring
// is the bytes held rounded up to a power of two, with no mirror.
func TestRingFollowsTheBytesHeld(t *testing.T) {
	b := New(64 << 10)
	if b.buf != nil {
		t.Fatalf("New allocated %d bytes before any Write", len(b.buf))
	}
	b.Write(seqBytes(0, 4096))
	if len(b.buf) != 4096 {
		t.Fatalf("%d bytes of ring and mirror for 4096 bytes held, want 4096", len(b.buf))
	}
	b.Ack(4000)
	if b.buf == nil {
		t.Fatal("the ring went with 96 bytes still held")
	}
	b.Ack(96)
	if b.buf != nil || b.Len() != 0 || b.Base() != 4096 {
		t.Fatalf("drained: %d bytes of ring kept, Len %d, Base %d", len(b.buf), b.Len(), b.Base())
	}
	// The next Write starts a new ring where the sequence space left off.
	b.Write(seqBytes(4096, 100))
	if got := b.SliceSeq(4096, 100); !bytes.Equal(got, seqBytes(4096, 100)) || len(b.buf) != minRing {
		t.Fatalf("after refilling: ring of %d bytes, Slice %v", len(b.buf), got)
	}
}

// wrapped returns a Buffer whose ring holds its bytes across the ring's end.
func wrapped(t *testing.T, capacity int) *Buffer {
	b := New(capacity)
	b.Write(seqBytes(0, 7000)) // an 8 KiB ring, no mirror
	b.Ack(6000)
	b.Write(seqBytes(7000, 1500)) // would wrap: moves to a mirrored ring
	b.Ack(2000)
	b.Write(seqBytes(8500, 6000)) // wraps
	if b.head+b.Len() <= b.size || b.mirror == 0 {
		t.Fatalf("the test's data does not wrap (head %d, len %d, ring %d, mirror %d)", b.head, b.Len(), b.size, b.mirror)
	}
	return b
}

// Growing while the held bytes wrap around the ring's end keeps them in
// order, and the mirror keeps every run contiguous.
func TestGrowWhileWrapped(t *testing.T) {
	b := wrapped(t, 64<<10)
	held := b.Len()
	b.Write(seqBytes(14500, 5000)) // the ring grows
	if b.size <= 8<<10 {
		t.Fatalf("ring of %d bytes holds %d", b.size, b.Len())
	}
	want := seqBytes(8000, held+5000)
	if got := b.Slice(0, len(want)); !bytes.Equal(got, want) {
		t.Fatalf("after growing, Slice differs from what was written (%d bytes)", len(got))
	}
	// Wrap again in the grown ring and read a run across its end.
	b.Ack(b.Len() - 1000)
	from := 19500 - 1000
	b.Write(seqBytes(19500, b.size-1000))
	off := b.size - b.head - 10
	if got := b.Slice(off, 100); !bytes.Equal(got, seqBytes(from+off, 100)) {
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
