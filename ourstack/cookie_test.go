package ourstack

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
)

func TestCookieMSSIndexRoundsDown(t *testing.T) {
	for _, tc := range []struct{ mss, want uint16 }{
		{0, 536}, {100, 536}, {536, 536}, {1219, 536}, {1220, 1220},
		{1400, 1380}, {1460, 1460}, {1500, 1460}, {9000, 8960}, {65535, 8960},
	} {
		if got := cookieMSSTable[cookieMSSIndex(tc.mss)]; got != tc.want {
			t.Errorf("MSS %d: cookie carries %d, want %d", tc.mss, got, tc.want)
		}
	}
}

func TestCookieRoundTrip(t *testing.T) {
	j := cookieJar{key: testKey(9)}
	id := tuple(80, "198.51.100.7", 40000)
	irs := seqnum.Value(0xfffffff0)
	for _, mss := range []uint16{536, 1220, 1460, 8960} {
		cookie := j.make(id, irs, mss, t0)
		got, ok := j.check(id, cookie, irs, t0)
		if !ok || got != mss {
			t.Errorf("MSS %d: check(make) = %d, %v; want %d, true", mss, got, ok, mss)
		}
	}
}

// A cookie minted in slot t is good in slots t..t+2 and no later
// (RFC 4987 3.6: the counter "prevents replay of old cookies").
func TestCookieExpiry(t *testing.T) {
	j := cookieJar{key: testKey(9)}
	id := tuple(80, "198.51.100.7", 40000)
	irs := seqnum.Value(1000)
	slotStart := time.Unix(0, 0).Add(cookieSlot * 1_000_000)
	cookie := j.make(id, irs, 1460, slotStart)
	for _, tc := range []struct {
		after time.Duration
		ok    bool
	}{
		{0, true},
		{cookieSlot - 1, true},
		{2*cookieSlot + cookieSlot - 1, true},
		{3 * cookieSlot, false},
		{32 * cookieSlot, false}, // the 5-bit counter has wrapped: same low bits
		{-cookieSlot, false},     // from the future
	} {
		if _, ok := j.check(id, cookie, irs, slotStart.Add(tc.after)); ok != tc.ok {
			t.Errorf("checked %v after minting: ok = %v, want %v", tc.after, ok, tc.ok)
		}
	}
}

func TestForgedCookiesAreRejected(t *testing.T) {
	j := cookieJar{key: testKey(9)}
	id := tuple(80, "198.51.100.7", 40000)
	irs := seqnum.Value(1000)
	cookie := j.make(id, irs, 536, t0)
	cases := map[string]func() (uint16, bool){
		"other remote port": func() (uint16, bool) { return j.check(tuple(80, "198.51.100.7", 40001), cookie, irs, t0) },
		"other remote addr": func() (uint16, bool) { return j.check(tuple(80, "198.51.100.8", 40000), cookie, irs, t0) },
		"other local port":  func() (uint16, bool) { return j.check(tuple(81, "198.51.100.7", 40000), cookie, irs, t0) },
		"other client ISN":  func() (uint16, bool) { return j.check(id, cookie, irs+1, t0) },
		"other key": func() (uint16, bool) {
			k := cookieJar{key: testKey(10)}
			return k.check(id, cookie, irs, t0)
		},
		// Raising the MSS bits to claim a larger MSS breaks the hash.
		"edited MSS": func() (uint16, bool) { return j.check(id, cookie|seqnum.Value(7)<<cookieHashBits, irs, t0) },
	}
	for name, check := range cases {
		if mss, ok := check(); ok {
			t.Errorf("%s: accepted, MSS %d", name, mss)
		}
	}
	// Guessing: of 100,000 random-looking cookies for a valid tuple and
	// slot, about 100000*3/2^24 < 1 would pass by chance.
	accepted := 0
	for i := range 100000 {
		guess := seqnum.Value(uint32(i) * 2654435761)
		if _, ok := j.check(id, guess, irs, t0); ok {
			accepted++
		}
	}
	if accepted > 3 {
		t.Errorf("%d of 100000 guessed cookies accepted", accepted)
	}
}
