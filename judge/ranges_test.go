package judge

import "testing"

func TestRangeSetAdd(t *testing.T) {
	tests := []struct {
		name string
		add  []SeqRange
		want string
	}{
		{"one", []SeqRange{{1, 5}}, "{1:5}"},
		{"disjoint out of order", []SeqRange{{10, 20}, {1, 5}}, "{1:5 10:20}"},
		{"adjacent merge", []SeqRange{{1, 5}, {5, 9}}, "{1:9}"},
		{"fill hole", []SeqRange{{1, 5}, {9, 12}, {5, 9}}, "{1:12}"},
		{"overlap several", []SeqRange{{1, 3}, {5, 7}, {9, 11}, {2, 10}}, "{1:11}"},
		{"inside", []SeqRange{{1, 10}, {3, 4}}, "{1:10}"},
		{"empty ignored", []SeqRange{{4, 4}}, "{}"},
	}
	for _, tt := range tests {
		var s RangeSet
		for _, r := range tt.add {
			s.Add(r)
		}
		if got := s.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRangeSetQueries(t *testing.T) {
	var s RangeSet
	s.Add(SeqRange{1, 100})
	s.Add(SeqRange{200, 300})
	for _, c := range []struct {
		v    uint32
		want bool
	}{{0, false}, {1, true}, {99, true}, {100, false}, {199, false}, {200, true}, {299, true}, {300, false}} {
		if got := s.contains(c.v); got != c.want {
			t.Errorf("contains(%d) = %v, want %v", c.v, got, c.want)
		}
	}
	if got := s.RunFrom(1); got != 100 {
		t.Errorf("runFrom(1) = %d, want 100", got)
	}
	if got := s.RunFrom(100); got != 100 {
		t.Errorf("runFrom(100) = %d, want 100 (a hole)", got)
	}
	if !s.IsRun(SeqRange{200, 300}) || s.IsRun(SeqRange{200, 299}) || s.IsRun(SeqRange{150, 300}) {
		t.Error("isRun accepts only a whole range")
	}
	if got := s.Above(100).String(); got != "{200:300}" {
		t.Errorf("above(100) = %s", got)
	}
}
