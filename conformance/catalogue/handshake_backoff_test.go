package catalogue

import (
	"testing"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
)

// expectBackoff accepts RFC 6298's doubling from 1 s, with or without a
// maximum RTO of at least 60 s, and nothing else.
func TestExpectBackoff(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		name   string
		at     []time.Duration
		ok     bool
		lo, hi time.Duration
	}{
		{"doubling", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s}, true, 31 * s, 31 * s},
		{"capped at 60 s", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 31 * s, 63 * s, 123 * s, 183 * s}, true, 243 * s, 243 * s},
		{"cap may come next", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 31 * s, 63 * s}, true, 123 * s, 127 * s},
		{"first gap not the initial RTO", []time.Duration{0, 3 * s, 9 * s}, false, 0, 0},
		{"no doubling", []time.Duration{0, 1 * s, 2 * s}, false, 0, 0},
		{"capped below 60 s", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 31 * s, 61 * s}, false, 0, 0},
		{"cap that shrinks later", []time.Duration{0, 1 * s, 3 * s, 7 * s, 15 * s, 31 * s, 63 * s, 123 * s, 150 * s}, false, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var segs []*harness.Record
			for _, at := range tc.at {
				segs = append(segs, &harness.Record{At: at})
			}
			var lo, hi time.Duration
			failed := Catch(func() { lo, hi = expectBackoff(&Env{}, "the SYN", segs) }) != nil
			if failed == tc.ok {
				t.Fatalf("accepted = %v, want %v", !failed, tc.ok)
			}
			if tc.ok && (lo != tc.lo || hi != tc.hi) {
				t.Fatalf("next expiry in [%v, %v], want [%v, %v]", lo, hi, tc.lo, tc.hi)
			}
		})
	}
}
