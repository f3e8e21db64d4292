package reassembly

import (
	"bytes"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// fuzzT is what the queue's fuzz body needs of its *testing.T. The body
// takes an interface, and lives outside the _test.go files, so that a
// libFuzzer build of the target (go-118-fuzz-build, as ClusterFuzzLite and
// OSS-Fuzz build it) can call it with a stand-in of its own.
type fuzzT interface {
	Fatalf(format string, args ...any)
}

// fuzzQueueOps is the queue's fuzz target (fuzz_test.go) for one input:
// base is where the stream starts in sequence space, limitByte the queue's
// byte limit, and ops the operations, three bytes each.
func fuzzQueueOps(t fuzzT, base uint32, limitByte uint8, ops []byte) {
	limit := int(limitByte)
	q := New(limit)
	start := seqnum.Value(base)
	pos := func(p int64) seqnum.Value { return start.Add(seqnum.Size(p)) }
	stream := func(p int64) byte { return byte(p*13 + p>>7) }

	// Model: held positions, absolute, never wrapping.
	held := map[int64]bool{}
	rcvNxt := int64(100)
	var delivered, want []byte
	bounds := func() (lo, hi int64) {
		lo, hi = -1, -1
		for p := range held {
			if lo < 0 || p < lo {
				lo = p
			}
			if p+1 > hi {
				hi = p + 1
			}
		}
		return lo, hi
	}

	for len(ops) >= 3 {
		op, a, b := ops[0], ops[1], ops[2]
		ops = ops[3:]
		switch op % 3 {
		case 0, 1: // insert
			seq := rcvNxt + int64(a) - 32
			n := int64(b%64) + 1
			data := make([]byte, n)
			for i := range data {
				data[i] = stream(seq + int64(i))
			}
			// The budget rule, as documented on Insert.
			keepLo, keepHi := seq, seq+n
			if lo, hi := bounds(); lo >= 0 {
				keepLo = max(keepLo, hi-int64(limit))
				keepHi = min(keepHi, lo+int64(limit))
			}
			keepHi = min(keepHi, keepLo+int64(limit))
			wantStored := keepLo == seq && keepHi == seq+n
			if keepLo >= keepHi {
				wantStored = false
			}
			if got := q.Insert(pos(seq), data); got != wantStored {
				t.Fatalf("Insert(+%d, %d bytes) stored=%v, model says %v", seq, n, got, wantStored)
			}
			for p := keepLo; p < keepHi; p++ {
				held[p] = true
			}
			if lo, hi := bounds(); lo >= 0 && hi-lo > int64(limit) {
				t.Fatalf("model spans %d > limit %d", hi-lo, limit)
			}
			var dst [wire.MaxSACKBlocks]wire.SACKBlock
			k := q.SACKBlocks(pos(rcvNxt), dst[:], pos(seq))
			for i, blk := range dst[:k] {
				l, r := rcvNxt+int64(int32(blk.Left-pos(rcvNxt))), rcvNxt+int64(int32(blk.Right-pos(rcvNxt)))
				if l <= rcvNxt || l >= r || !held[l] || !held[r-1] || held[l-1] || held[r] {
					t.Fatalf("SACK block %d [+%d,+%d) is not a maximal held range above rcv.nxt +%d", i, l, r, rcvNxt)
				}
				for p := l; p < r; p++ {
					if !held[p] {
						t.Fatalf("SACK block [+%d,+%d) covers +%d, not held", l, r, p)
					}
				}
				if i == 0 && held[seq] && seq > rcvNxt && (seq < l || seq >= r) {
					// The range holding the trigger must come first, unless
					// it starts at or below rcv.nxt.
					lo := seq
					for held[lo-1] {
						lo--
					}
					if lo > rcvNxt {
						t.Fatalf("first SACK block [+%d,+%d) does not hold the trigger +%d", l, r, seq)
					}
				}
			}
		case 2: // pop at rcv.nxt, possibly after the in-order path moved it
			rcvNxt += int64(a % 8)
			for p := range held {
				if p < rcvNxt {
					delete(held, p)
				}
			}
			for i := int64(0); i < int64(a%8); i++ {
				want = append(want, stream(rcvNxt-int64(a%8)+i))
				delivered = append(delivered, stream(rcvNxt-int64(a%8)+i)) // the TCB's in-order path
			}
			got := q.Pop(pos(rcvNxt), func(p []byte) { delivered = append(delivered, p...) })
			for held[rcvNxt] {
				want = append(want, stream(rcvNxt))
				delete(held, rcvNxt)
				rcvNxt++
			}
			if got != pos(rcvNxt) {
				t.Fatalf("Pop returned +%d, model says +%d", int32(got-start), rcvNxt)
			}
			if !bytes.Equal(delivered, want) {
				t.Fatalf("delivered %x, model says %x", delivered, want)
			}
		}
		if q.Bytes() != len(held) {
			t.Fatalf("Bytes=%d, model holds %d", q.Bytes(), len(held))
		}
	}
}
