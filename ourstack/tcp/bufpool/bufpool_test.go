package bufpool

import "testing"

func TestSizes(t *testing.T) {
	for _, n := range []int{1, 100, 511, 512, 513, 4096, 6000, 1 << 22, 1<<22 + 1, 1 << 23} {
		b := Get(n)
		if len(*b) != n {
			t.Errorf("Get(%d) gave %d bytes", n, len(*b))
		}
		Put(b)
	}
}

func TestClass(t *testing.T) {
	for n, want := range map[int]int{511: -1, 512: 0, 1024: 1, 1536: -1, 1 << 22: maxShift - minShift, 1 << 23: -1} {
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
