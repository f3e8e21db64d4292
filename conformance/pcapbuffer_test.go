package conformance_test

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// A pcapBuffer gives back exactly what was written, in writes of any size
// across its chunks, and again after a Reset that kept some of them; a
// Reset keeps no more than pcapKept chunks.
func TestPcapBufferHoldsWhatWasWritten(t *testing.T) {
	stream := make([]byte, (pcapKept+1)*pcapChunk)
	rand.NewChaCha8([32]byte{5}).Read(stream)
	rng := rand.New(rand.NewPCG(3, 4))
	var b pcapBuffer
	for _, size := range []int{3*pcapChunk + 17, pcapChunk / 2, len(stream), 2 * pcapChunk} {
		b.Reset()
		for at := 0; at < size; {
			p := stream[at:min(at+rng.IntN(3*pcapChunk/2)+1, size)]
			if n, err := b.Write(p); n != len(p) || err != nil {
				t.Fatalf("Write of %d bytes: %d, %v", len(p), n, err)
			}
			at += len(p)
		}
		held := b.chunks[:b.used]
		if size < 4*pcapChunk {
			held = [][]byte{b.Bytes()}
		}
		at := 0
		for _, c := range held {
			if !bytes.Equal(c, stream[at:min(at+len(c), size)]) {
				t.Fatalf("a capture of %d bytes: the %d bytes held from byte %d are not the ones written", size, len(c), at)
			}
			at += len(c)
		}
		if at != size {
			t.Fatalf("a capture of %d bytes: %d held", size, at)
		}
	}
	if b.Reset(); len(b.chunks) > pcapKept {
		t.Errorf("Reset kept %d chunks, want at most %d", len(b.chunks), pcapKept)
	}
}
