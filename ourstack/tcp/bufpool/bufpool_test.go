package bufpool

import "testing"

func TestSizes(t *testing.T) {
	for _, n := range []int{1, 100, 511, 512, 513, 4096, 6000, 1 << 20, 1<<20 + 1, 1 << 22} {
		b := Get(n)
		if len(*b) != n {
			t.Errorf("Get(%d) gave %d bytes", n, len(*b))
		}
		Put(b)
	}
}

func TestClass(t *testing.T) {
	for n, want := range map[int]int{511: -1, 512: 0, 1024: 1, 1536: -1, 1 << 20: maxShift - minShift, 1 << 21: -1} {
		if got := class(n); got != want {
			t.Errorf("class(%d) = %d, want %d", n, got, want)
		}
	}
}

// A block given back is taken again rather than allocated anew.
func TestReuseAllocatesNothing(t *testing.T) {
	Put(Get(64 << 10))
	allocs := testing.AllocsPerRun(100, func() { Put(Get(64 << 10)) })
	if allocs != 0 {
		t.Errorf("%v allocations per Get and Put, want 0", allocs)
	}
}

// The pool keeps about keepBytes of a size: more blocks given back than
// that are left to the garbage collector, not parked.
func TestKeepsFew(t *testing.T) {
	const size = 4 << 10
	var blocks []*[]byte
	for range 1000 {
		blocks = append(blocks, Get(size))
	}
	for _, b := range blocks {
		Put(b)
	}
	kept := 0
	for range 1000 {
		b := Get(size)
		for _, old := range blocks {
			if old == b {
				kept++
				break
			}
		}
	}
	if kept*size > keepBytes {
		t.Errorf("kept %d blocks of %d bytes, over %d bytes", kept, size, keepBytes)
	}
	if kept == 0 {
		t.Error("kept no block")
	}
}
