package reassembly

import (
	"fmt"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

// Every table runs at two bases: one far from 2^32, and one a few bytes
// below it, so that the ranges, the ring slots and Pop all cross the wrap.
var bases = []seqnum.Value{1000, 0xFFFF_FFFA}

type insert struct {
	off    int
	data   string
	stored bool
}

type rng struct{ left, right int }

func TestInsertAndPop(t *testing.T) {
	cases := []struct {
		name    string
		limit   int
		inserts []insert
		ranges  []rng // after the inserts
		popAt   int
		deliver string
		rcvNxt  int
		after   []rng // after the Pop
	}{
		{
			name: "adjacent ranges merge", limit: 16,
			inserts: []insert{{4, "efgh", true}, {8, "ijkl", true}},
			ranges:  []rng{{4, 12}},
			popAt:   0, deliver: "", rcvNxt: 0, after: []rng{{4, 12}},
		},
		{
			name: "overlap keeps the first copy", limit: 16,
			inserts: []insert{{4, "efgh", true}, {2, "XXXXXX", true}},
			ranges:  []rng{{2, 8}},
			popAt:   2, deliver: "XXefgh", rcvNxt: 8,
		},
		{
			name: "one segment bridges three ranges", limit: 16,
			inserts: []insert{{2, "cd", true}, {6, "gh", true}, {10, "kl", true}, {3, "DEFGHIJ", true}},
			ranges:  []rng{{2, 12}},
			popAt:   2, deliver: "cdEFghIJkl", rcvNxt: 12,
		},
		{
			name: "segment inside a held range changes nothing", limit: 16,
			inserts: []insert{{4, "efgh", true}, {5, "XY", true}},
			ranges:  []rng{{4, 8}},
			popAt:   4, deliver: "efgh", rcvNxt: 8,
		},
		{
			name: "pop trims what is below rcv.nxt", limit: 16,
			inserts: []insert{{4, "efgh", true}},
			ranges:  []rng{{4, 8}},
			popAt:   6, deliver: "gh", rcvNxt: 8,
		},
		{
			name: "pop discards ranges wholly below rcv.nxt", limit: 16,
			inserts: []insert{{2, "cd", true}, {6, "gh", true}, {10, "kl", true}},
			ranges:  []rng{{2, 4}, {6, 8}, {10, 12}},
			popAt:   8, deliver: "", rcvNxt: 8, after: []rng{{10, 12}},
		},
		{
			name: "pop stops at the next hole", limit: 16,
			inserts: []insert{{4, "ef", true}, {0, "abcd", true}, {8, "ij", true}},
			ranges:  []rng{{0, 6}, {8, 10}},
			popAt:   0, deliver: "abcdef", rcvNxt: 6, after: []rng{{8, 10}},
		},
		{
			name: "budget: nothing beyond lowest+limit", limit: 8,
			inserts: []insert{{2, "cd", true}, {6, "ghijklmn", false}},
			ranges:  []rng{{2, 4}, {6, 10}},
			popAt:   2, deliver: "cd", rcvNxt: 4, after: []rng{{6, 10}},
		},
		{
			name: "budget: nothing below highest-limit", limit: 8,
			inserts: []insert{{10, "kl", true}, {2, "cdefgh", false}},
			ranges:  []rng{{4, 8}, {10, 12}},
			popAt:   4, deliver: "efgh", rcvNxt: 8, after: []rng{{10, 12}},
		},
		{
			name: "budget: a segment wider than the limit keeps its start", limit: 8,
			inserts: []insert{{0, "abcdefghij", false}},
			ranges:  []rng{{0, 8}},
			popAt:   0, deliver: "abcdefgh", rcvNxt: 8,
		},
		{
			name: "budget: whole segment out of reach", limit: 8,
			inserts: []insert{{0, "ab", true}, {8, "ij", false}},
			ranges:  []rng{{0, 2}},
			popAt:   0, deliver: "ab", rcvNxt: 2,
		},
		{
			name: "budget frees as pop delivers", limit: 8,
			inserts: []insert{{0, "abcdefgh", true}},
			ranges:  []rng{{0, 8}},
			popAt:   0, deliver: "abcdefgh", rcvNxt: 8,
		},
		{
			name: "empty data is trivially held", limit: 8,
			inserts: []insert{{3, "", true}},
			popAt:   0, rcvNxt: 0,
		},
		{
			name: "zero limit holds nothing", limit: 0,
			inserts: []insert{{3, "d", false}},
			popAt:   0, rcvNxt: 0,
		},
	}
	for _, base := range bases {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/base=%#x", c.name, uint32(base)), func(t *testing.T) {
				q := New(c.limit)
				at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
				for _, in := range c.inserts {
					if got := q.Insert(at(in.off), []byte(in.data)); got != in.stored {
						t.Errorf("Insert(+%d, %q) stored=%v, want %v", in.off, in.data, got, in.stored)
					}
				}
				checkRanges(t, "after inserts", q, base, c.ranges)
				var got []byte
				rcvNxt := q.Pop(at(c.popAt), func(p []byte) { got = append(got, p...) })
				if string(got) != c.deliver || rcvNxt != at(c.rcvNxt) {
					t.Errorf("Pop(+%d) delivered %q up to +%d, want %q up to +%d",
						c.popAt, got, int32(rcvNxt-base), c.deliver, c.rcvNxt)
				}
				checkRanges(t, "after pop", q, base, c.after)
			})
		}
	}
}

func checkRanges(t *testing.T, when string, q *Queue, base seqnum.Value, want []rng) {
	t.Helper()
	var got []rng
	bytes := 0
	for _, s := range q.spans {
		got = append(got, rng{int(int32(s.left - base)), int(int32(s.right - base))})
	}
	for _, r := range want {
		bytes += r.right - r.left
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || q.Len() != len(want) || q.Bytes() != bytes {
		t.Errorf("%s: ranges %v (Len %d, Bytes %d), want %v (Len %d, Bytes %d)",
			when, got, q.Len(), q.Bytes(), want, len(want), bytes)
	}
}

func TestReset(t *testing.T) {
	q := New(64)
	q.Insert(10, []byte("abc"))
	q.Insert(20, []byte("def"))
	q.Reset()
	if q.Len() != 0 || q.Bytes() != 0 {
		t.Fatalf("after Reset Len=%d Bytes=%d", q.Len(), q.Bytes())
	}
	// The budget is measured afresh: far from the old data is fine now.
	if !q.Insert(1000, []byte("xyz")) {
		t.Errorf("Insert after Reset was not stored")
	}
	var got []byte
	if n := q.Pop(1000, func(p []byte) { got = append(got, p...) }); n != 1003 || string(got) != "xyz" {
		t.Errorf("Pop after Reset = %q up to %d", got, n)
	}
}

// TestRingFollowsWhatIsHeld: a queue whose budget is a whole receive
// buffer takes a ring only as large as the sequence space it holds, moves
// what it holds when a later segment needs a larger one, and gives the
// ring back when Pop empties it.
func TestRingFollowsWhatIsHeld(t *testing.T) {
	for _, base := range bases {
		q := New(1 << 20)
		q.Insert(base.Add(100), []byte("held"))
		if len(q.ring) != minRing {
			t.Fatalf("base %d: ring of %d bytes for 4 held, want %d", base, len(q.ring), minRing)
		}
		far := base.Add(100_000)
		q.Insert(far, []byte("far"))
		if len(q.ring) < 100_003-100 || len(q.ring) > 2*100_000 {
			t.Fatalf("base %d: ring of %d bytes for a span of 99,903", base, len(q.ring))
		}
		q.Insert(base, make([]byte, 100))
		var got []byte
		next := q.Pop(base, func(p []byte) { got = append(got, p...) })
		if want := string(make([]byte, 100)) + "held"; string(got) != want || next != base.Add(104) {
			t.Fatalf("base %d: Pop delivered %q up to %d, want %q up to %d", base, got, next, want, base.Add(104))
		}
		if q.ring == nil {
			t.Fatalf("base %d: ring given back while %q is still held", base, "far")
		}
		q.Insert(base.Add(104), make([]byte, base.Add(104).Size(far)))
		got = got[:0]
		next = q.Pop(base.Add(104), func(p []byte) { got = append(got, p...) })
		if string(got[len(got)-3:]) != "far" || next != far.Add(3) {
			t.Fatalf("base %d: the far bytes after the ring grew: %q, up to %d", base, got[len(got)-3:], next)
		}
		if q.ring != nil || q.block != nil {
			t.Fatalf("base %d: an empty queue still holds a ring of %d bytes", base, len(q.ring))
		}
	}
}
