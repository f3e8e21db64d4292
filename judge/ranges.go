package judge

import (
	"fmt"
	"sort"
	"strings"
)

// RangeSet is a set of relative sequence numbers kept as sorted, disjoint,
// non-adjacent ranges: what a receiver holds, rebuilt from the trace. The
// transfers it serves stay far below 2^31 bytes, so relative numbers
// compare as plain integers.
type RangeSet []SeqRange

// Add puts [r.Left, r.Right) into the set, merging neighbours.
func (s *RangeSet) Add(r SeqRange) {
	if r.Right <= r.Left {
		return
	}
	set := *s
	i := sort.Search(len(set), func(i int) bool { return set[i].Right >= r.Left })
	j := i
	for j < len(set) && set[j].Left <= r.Right {
		r.Left = min(r.Left, set[j].Left)
		r.Right = max(r.Right, set[j].Right)
		j++
	}
	set = append(set[:i], append([]SeqRange{r}, set[j:]...)...)
	*s = set
}

// contains reports whether v is in the set.
func (s RangeSet) contains(v uint32) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i].Right > v })
	return i < len(s) && s[i].Left <= v
}

// runFrom is the end of the run that holds v, or v if none does: the next
// sequence number expected when v is the first one not yet acknowledged.
func (s RangeSet) RunFrom(v uint32) uint32 {
	for _, r := range s {
		if r.Left <= v && v < r.Right {
			return r.Right
		}
	}
	return v
}

// isRun reports whether r is exactly one of the set's ranges: all held,
// and neither the number before it nor its right edge held.
func (s RangeSet) IsRun(r SeqRange) bool {
	for _, have := range s {
		if have == r {
			return true
		}
	}
	return false
}

// above is the ranges wholly above v.
func (s RangeSet) Above(v uint32) RangeSet {
	var out RangeSet
	for _, r := range s {
		if r.Left > v {
			out = append(out, r)
		}
	}
	return out
}

func (s RangeSet) String() string {
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = r.String()
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func (r SeqRange) String() string { return fmt.Sprintf("%d:%d", r.Left, r.Right) }

// SeqRange is [Left, Right) in relative sequence numbers.
type SeqRange struct{ Left, Right uint32 }
