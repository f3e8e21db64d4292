// Package seqnum is TCP sequence-number arithmetic modulo 2^32 (RFC 9293
// section 3.4). Every comparison of sequence numbers in tcpbed goes through
// it, so that wrap-around is handled in exactly one place.
package seqnum

// Value is a sequence number. Values compare by their signed distance, so a
// value just past 2^32-1 is "greater" than one just below it.
type Value uint32

// Size is a count of sequence-number space (bytes plus SYN and FIN).
type Size uint32

// LessThan reports v < w in sequence space.
func (v Value) LessThan(w Value) bool { return int32(v-w) < 0 }

// LessThanEq reports v <= w in sequence space.
func (v Value) LessThanEq(w Value) bool { return v == w || v.LessThan(w) }

// GreaterThan reports v > w in sequence space.
func (v Value) GreaterThan(w Value) bool { return w.LessThan(v) }

// GreaterThanEq reports v >= w in sequence space.
func (v Value) GreaterThanEq(w Value) bool { return w.LessThanEq(v) }

// InRange reports a <= v < b.
func (v Value) InRange(a, b Value) bool { return v-a < b-a }

// InWindow reports first <= v < first+size.
func (v Value) InWindow(first Value, size Size) bool { return v.InRange(first, first.Add(size)) }

// Add returns v+s.
func (v Value) Add(s Size) Value { return v + Value(s) }

// Size returns the distance from v forward to w (w - v).
func (v Value) Size(w Value) Size { return Size(w - v) }

// Max returns whichever of v and w is later in sequence space.
func Max(v, w Value) Value {
	if v.LessThan(w) {
		return w
	}
	return v
}

// Min returns whichever of v and w is earlier in sequence space.
func Min(v, w Value) Value {
	if v.LessThan(w) {
		return v
	}
	return w
}
