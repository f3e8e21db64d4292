package conformance

import "testing"

func TestRangeSetAdd(t *testing.T) {
	tests := []struct {
		name string
		add  []seqRange
		want string
	}{
		{"one", []seqRange{{1, 5}}, "{1:5}"},
		{"disjoint out of order", []seqRange{{10, 20}, {1, 5}}, "{1:5 10:20}"},
		{"adjacent merge", []seqRange{{1, 5}, {5, 9}}, "{1:9}"},
		{"fill hole", []seqRange{{1, 5}, {9, 12}, {5, 9}}, "{1:12}"},
		{"overlap several", []seqRange{{1, 3}, {5, 7}, {9, 11}, {2, 10}}, "{1:11}"},
		{"inside", []seqRange{{1, 10}, {3, 4}}, "{1:10}"},
		{"empty ignored", []seqRange{{4, 4}}, "{}"},
	}
	for _, tt := range tests {
		var s rangeSet
		for _, r := range tt.add {
			s.add(r)
		}
		if got := s.String(); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRangeSetQueries(t *testing.T) {
	var s rangeSet
	s.add(seqRange{1, 100})
	s.add(seqRange{200, 300})
	for _, c := range []struct {
		v    uint32
		want bool
	}{{0, false}, {1, true}, {99, true}, {100, false}, {199, false}, {200, true}, {299, true}, {300, false}} {
		if got := s.contains(c.v); got != c.want {
			t.Errorf("contains(%d) = %v, want %v", c.v, got, c.want)
		}
	}
	if got := s.runFrom(1); got != 100 {
		t.Errorf("runFrom(1) = %d, want 100", got)
	}
	if got := s.runFrom(100); got != 100 {
		t.Errorf("runFrom(100) = %d, want 100 (a hole)", got)
	}
	if !s.isRun(seqRange{200, 300}) || s.isRun(seqRange{200, 299}) || s.isRun(seqRange{150, 300}) {
		t.Error("isRun accepts only a whole range")
	}
	if got := s.above(100).String(); got != "{200:300}" {
		t.Errorf("above(100) = %s", got)
	}
}
