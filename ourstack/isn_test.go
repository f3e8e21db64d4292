package ourstack

import (
	"math"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

func testKey(seed byte) sipKey {
	var k sipKey
	for i := range k {
		k[i] = seed + byte(i)*17
	}
	return k
}

func tuple(lport uint16, raddr string, rport uint16) tcp.FourTuple {
	return tcp.FourTuple{
		LocalAddr:  netip.MustParseAddr("192.0.2.1"),
		LocalPort:  lport,
		RemoteAddr: netip.MustParseAddr(raddr),
		RemotePort: rport,
	}
}

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestISNIsAFunctionOfKeyTupleAndTime(t *testing.T) {
	g := isnGenerator{key: testKey(1)}
	id := tuple(80, "198.51.100.7", 40000)
	if a, b := g.isn(id, t0), g.isn(id, t0); a != b {
		t.Fatalf("same key, tuple and time gave %d then %d", a, b)
	}
	other := isnGenerator{key: testKey(2)}
	if a, b := g.isn(id, t0), other.isn(id, t0); a == b {
		t.Errorf("two keys gave the same ISN %d", a)
	}
	for _, o := range []tcp.FourTuple{
		tuple(81, "198.51.100.7", 40000),
		tuple(80, "198.51.100.8", 40000),
		tuple(80, "198.51.100.7", 40001),
	} {
		if a, b := g.isn(id, t0), g.isn(o, t0); a == b {
			t.Errorf("tuples %v and %v share ISN %d", id, o, a)
		}
	}
}

// RFC 6528 section 3: M advances every 4 microseconds, so one four-tuple's
// ISN moves forward with time by exactly the ticks elapsed.
func TestISNAdvancesWithTheFourMicrosecondClock(t *testing.T) {
	g := isnGenerator{key: testKey(1)}
	id := tuple(80, "198.51.100.7", 40000)
	base := g.isn(id, t0)
	for _, d := range []time.Duration{4 * time.Microsecond, time.Millisecond, time.Second, 2 * time.Minute} {
		want := base.Add(seqnum.Size(d / isnTick))
		if got := g.isn(id, t0.Add(d)); got != want {
			t.Errorf("after %v: ISN %d, want %d", d, got, want)
		}
	}
}

// 10,000 connections opened 1 ms apart, each from a fresh port: their ISNs
// must not follow from one another (RFC 6528 section 1: an attacker who sees
// one connection's ISN must not be able to predict another's).
func TestISNsOfManyConnectionsAreUnpredictable(t *testing.T) {
	const n = 10000
	g := isnGenerator{key: testKey(3)}
	isns := make([]seqnum.Value, n)
	seen := make(map[seqnum.Value]int, n)
	const buckets = 16
	var hist [buckets]int
	for i := range isns {
		id := tuple(80, "198.51.100.7", uint16(10000+i))
		isns[i] = g.isn(id, t0.Add(time.Duration(i)*time.Millisecond))
		if j, dup := seen[isns[i]]; dup {
			t.Fatalf("connections %d and %d share ISN %d", j, i, isns[i])
		}
		seen[isns[i]] = i
		hist[uint32(isns[i])>>28]++
	}
	// The step between successive ISNs: with a bare clock (RFC 793's
	// generator) it would be constant, 250 ticks per ms.
	steps := make(map[seqnum.Size]bool)
	for i := 1; i < n; i++ {
		steps[isns[i-1].Size(isns[i])] = true
	}
	if len(steps) < n-10 {
		t.Errorf("only %d distinct steps between %d successive ISNs", len(steps), n)
	}
	// The ISNs spread over the whole space: a chi-squared test over 16
	// buckets (15 degrees of freedom; 37.7 is the 0.1% critical value).
	chi2 := 0.0
	exp := float64(n) / buckets
	for _, c := range hist {
		chi2 += math.Pow(float64(c)-exp, 2) / exp
	}
	if chi2 > 37.7 {
		t.Errorf("ISN histogram %v is not uniform: chi^2 = %.1f", hist, chi2)
	}
}

// The timestamp offset is a keyed function of the four-tuple alone (RFC
// 7323 7.1), so two incarnations of one four-tuple share it and their
// TSvals keep increasing (RFC 6191); other four-tuples and other keys get
// other offsets, unrelated to the ISN's.
func TestTimestampOffsetPerFourTuple(t *testing.T) {
	g := isnGenerator{key: testKey(1)}
	id := tuple(80, "198.51.100.7", 40000)
	if a, b := g.tsOffset(id), g.tsOffset(id); a != b {
		t.Fatalf("one four-tuple gave offsets %d and %d", a, b)
	}
	others := []tcp.FourTuple{
		tuple(81, "198.51.100.7", 40000),
		tuple(80, "198.51.100.8", 40000),
		tuple(80, "198.51.100.7", 40001),
	}
	for _, o := range others {
		if g.tsOffset(o) == g.tsOffset(id) {
			t.Errorf("%v and %v share offset %d", id, o, g.tsOffset(id))
		}
	}
	if other := (isnGenerator{key: testKey(2)}); other.tsOffset(id) == g.tsOffset(id) {
		t.Errorf("two keys gave the same offset")
	}
	if g.tsOffset(id) == g.offset(id) {
		t.Errorf("the timestamp offset equals the ISN's F: one would reveal the other")
	}
}
