package seqnum

import "testing"

func TestWrapAround(t *testing.T) {
	const top = Value(0xFFFF_FFF0)
	past := top.Add(0x20) // wraps to 0x10
	if past != 0x10 {
		t.Fatalf("top+0x20 = %#x, want 0x10", uint32(past))
	}
	cases := []struct {
		a, b        Value
		less, less2 bool // a<b, a<=b
	}{
		{top, past, true, true},
		{past, top, false, false},
		{0, 0, false, true},
		{0xFFFF_FFFF, 0, true, true},
		{0, 0x7FFF_FFFF, true, true},
		{0, 0x8000_0001, false, false}, // more than half the space away: behind
	}
	for _, c := range cases {
		if got := c.a.LessThan(c.b); got != c.less {
			t.Errorf("%#x.LessThan(%#x) = %v, want %v", uint32(c.a), uint32(c.b), got, c.less)
		}
		if got := c.a.LessThanEq(c.b); got != c.less2 {
			t.Errorf("%#x.LessThanEq(%#x) = %v, want %v", uint32(c.a), uint32(c.b), got, c.less2)
		}
		if c.a != c.b && c.a.GreaterThan(c.b) == c.less {
			t.Errorf("%#x.GreaterThan(%#x) disagrees with LessThan", uint32(c.a), uint32(c.b))
		}
	}
	if top.Size(past) != 0x20 {
		t.Errorf("Size across the wrap = %#x, want 0x20", top.Size(past))
	}
	if Max(top, past) != past || Min(top, past) != top {
		t.Errorf("Max/Min across the wrap are wrong")
	}
}

func TestInWindow(t *testing.T) {
	first := Value(0xFFFF_FFFE)
	for _, c := range []struct {
		v    Value
		size Size
		in   bool
	}{
		{0xFFFF_FFFE, 4, true},
		{0xFFFF_FFFF, 4, true},
		{0, 4, true},
		{1, 4, true},
		{2, 4, false}, // first+size is outside
		{0xFFFF_FFFD, 4, false},
		{0xFFFF_FFFE, 0, false}, // an empty window holds nothing
	} {
		if got := c.v.InWindow(first, c.size); got != c.in {
			t.Errorf("%#x.InWindow(%#x, %d) = %v, want %v", uint32(c.v), uint32(first), c.size, got, c.in)
		}
	}
}
