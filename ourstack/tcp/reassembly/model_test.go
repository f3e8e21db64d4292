package reassembly

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// streamByte is the byte at sequence number s in the test's stream, so any
// misplaced byte shows up as a mismatch.
func streamByte(s seqnum.Value) byte { return byte(s*7 + s>>8) }

// Random segments of a stream that starts just below 2^32, inserted in random
// order with retransmissions, must come out of Pop as exactly the stream, and
// the queue's accounting must match a plain set of held sequence numbers.
func TestAgainstModel(t *testing.T) {
	const window = 3000
	for seed := range uint64(8) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		q := New(window)
		start := seqnum.Value(0xFFFF_F000)
		rcvNxt := start
		held := map[seqnum.Value]bool{}
		var out []byte
		for range 2000 {
			// A segment somewhere in [rcvNxt-100, rcvNxt+window).
			off := rnd.IntN(window+100) - 100
			n := 1 + rnd.IntN(300)
			n = min(n, window-off)
			if n <= 0 {
				continue
			}
			seq := rcvNxt.Add(seqnum.Size(off))
			data := make([]byte, n)
			for i := range data {
				data[i] = streamByte(seq.Add(seqnum.Size(i)))
			}
			// Bytes below rcv.nxt may fall outside the budget; in-window ones must not.
			if !q.Insert(seq, data) && off >= 0 {
				t.Fatalf("seed %d: in-window segment +%d len %d not stored", seed, off, n)
			}
			for i := range n {
				if s := seq.Add(seqnum.Size(i)); s.GreaterThanEq(rcvNxt) {
					held[s] = true
				}
			}
			var dst [wire.MaxSACKBlocks]wire.SACKBlock
			k := q.SACKBlocks(rcvNxt, dst[:], seq)
			for _, b := range dst[:k] {
				if !b.Left.GreaterThan(rcvNxt) || !b.Left.LessThan(b.Right) || !held[b.Left] || !held[b.Right-1] || held[b.Right] || held[b.Left-1] {
					t.Fatalf("seed %d: block [%#x,%#x) is not a maximal held range above rcv.nxt %#x", seed, uint32(b.Left), uint32(b.Right), uint32(rcvNxt))
				}
			}
			rcvNxt = q.Pop(rcvNxt, func(p []byte) { out = append(out, p...) })
			for s := range held {
				if s.LessThan(rcvNxt) {
					delete(held, s)
				}
			}
			if q.Bytes() != len(held) {
				t.Fatalf("seed %d: Bytes=%d, model holds %d", seed, q.Bytes(), len(held))
			}
		}
		want := make([]byte, start.Size(rcvNxt))
		for i := range want {
			want[i] = streamByte(start.Add(seqnum.Size(i)))
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("seed %d: delivered %d bytes that differ from the stream", seed, len(out))
		}
		if start.Size(rcvNxt) < 10000 {
			t.Fatalf("seed %d: only %d bytes delivered; the test exercised too little", seed, start.Size(rcvNxt))
		}
	}
}

// Steady state (one hole, then segments arriving behind it and the hole
// being filled) allocates nothing.
func TestNoAllocationsInSteadyState(t *testing.T) {
	q := New(64 << 10)
	seg := make([]byte, 1460)
	rcvNxt := seqnum.Value(0xFFFF_0000)
	var dst [wire.MaxSACKBlocks]wire.SACKBlock
	round := func() {
		for i := 1; i <= 4; i++ {
			q.Insert(rcvNxt.Add(seqnum.Size(i*1460)), seg)
			q.SACKBlocks(rcvNxt, dst[:], rcvNxt.Add(seqnum.Size(i*1460)))
		}
		q.Insert(rcvNxt, seg)
		rcvNxt = q.Pop(rcvNxt, func([]byte) {})
	}
	round() // the ring and the range slice are allocated here
	if allocs := testing.AllocsPerRun(200, round); allocs != 0 {
		t.Errorf("%v allocations per round, want 0", allocs)
	}
}
