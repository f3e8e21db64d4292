package ipfrag_test

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/ourstack/ipfrag"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

var t0 = time.Unix(1000, 0)

// datagram is a whole IPv4 packet carrying a TCP segment with n bytes of
// data, identification id.
func datagram(t *testing.T, id uint16, n int) []byte {
	t.Helper()
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	p := wire.Packet{
		IP:  wire.IPv4Fields{ID: id, TTL: 64, Src: netip.MustParseAddr("198.51.100.7"), Dst: netip.MustParseAddr("192.0.2.2")},
		TCP: wire.Segment{SrcPort: 40000, DstPort: 7357, Seq: 1, Flags: wire.FlagACK | wire.FlagPSH, Window: 1000, Payload: payload},
	}
	buf := make([]byte, 65535)
	k, err := p.Encode(buf, wire.Illegal{})
	if err != nil {
		t.Fatal(err)
	}
	return buf[:k]
}

// fragment cuts a whole datagram's payload at the given offsets (multiples
// of 8) into fragments, each with the whole's header.
func fragment(whole []byte, cuts ...int) [][]byte {
	h := wire.IPv4(whole)
	hl := h.HeaderLen()
	data := whole[hl:]
	bounds := append(append([]int{0}, cuts...), len(data))
	var out [][]byte
	for i := 0; i+1 < len(bounds); i++ {
		f := append(append([]byte(nil), whole[:hl]...), data[bounds[i]:bounds[i+1]]...)
		fh := wire.IPv4(f)
		fh.SetTotalLength(uint16(len(f)))
		var flags uint8
		if i+2 < len(bounds) {
			flags = wire.IPv4MoreFragments
		}
		fh.SetFlagsFragOffset(flags, uint16(bounds[i]/8))
		fh.SetChecksum(0)
		fh.SetChecksum(wire.IPv4HeaderChecksum(f[:hl]))
		out = append(out, f)
	}
	return out
}

func TestFragmentsInAnyOrderMakeTheDatagramOnce(t *testing.T) {
	whole := datagram(t, 7, 1000)
	frags := fragment(whole, 256, 512, 768)
	for name, order := range map[string][]int{"in order": {0, 1, 2, 3}, "reversed": {3, 2, 1, 0}, "last first": {3, 0, 2, 1}} {
		t.Run(name, func(t *testing.T) {
			r := ipfrag.New(ipfrag.DefaultLimits)
			var got [][]byte
			for _, i := range order {
				if d := r.Add(frags[i], t0); d != nil {
					got = append(got, d)
				}
			}
			if len(got) != 1 || !bytes.Equal(got[0], whole) {
				t.Fatalf("got %d datagrams, want the original once", len(got))
			}
			if _, err := wire.Parse(got[0]); err != nil {
				t.Fatalf("reassembled datagram does not parse: %v", err)
			}
			if r.Held() != 0 {
				t.Errorf("%d bytes still held after completion", r.Held())
			}
		})
	}
}

func TestDuplicateIgnoredOverlapPoisons(t *testing.T) {
	whole := datagram(t, 8, 1000)
	frags := fragment(whole, 256, 512)
	r := ipfrag.New(ipfrag.DefaultLimits)
	r.Add(frags[0], t0)
	if r.Add(frags[0], t0) != nil || r.Stats().Duplicates != 1 {
		t.Fatalf("an identical duplicate: stats %+v, want one duplicate ignored", r.Stats())
	}
	// A fragment that overlaps the first with other bytes.
	evil := fragment(datagram(t, 8, 1000), 128, 512)[1] // bytes 128..511
	evil[len(evil)-1] ^= 0xff
	if r.Add(evil, t0) != nil || r.Stats().Overlaps != 1 {
		t.Fatalf("an overlapping fragment: stats %+v, want the datagram poisoned", r.Stats())
	}
	// The rest of the datagram comes, and nothing is delivered.
	for _, f := range frags[1:] {
		if r.Add(f, t0) != nil {
			t.Fatal("a poisoned datagram was delivered")
		}
	}
	if r.Held() != 0 {
		t.Errorf("%d bytes held for a poisoned datagram", r.Held())
	}
	// After the timeout the key is free again.
	later := t0.Add(ipfrag.DefaultLimits.Timeout)
	var got []byte
	for _, f := range frags {
		if d := r.Add(f, later); d != nil {
			got = d
		}
	}
	if !bytes.Equal(got, whole) {
		t.Fatal("the datagram sent again after the timeout was not reassembled")
	}
}

func TestIncompleteDatagramTimesOut(t *testing.T) {
	frags := fragment(datagram(t, 9, 1000), 512)
	r := ipfrag.New(ipfrag.DefaultLimits)
	r.Add(frags[0], t0)
	if d := r.Add(frags[1], t0.Add(ipfrag.DefaultLimits.Timeout)); d != nil {
		t.Fatal("completed a datagram whose first fragment had timed out")
	}
	if s := r.Stats(); s.TimedOut != 1 {
		t.Fatalf("stats %+v, want one timed out", s)
	}
}

func TestLimitsEvictTheOldest(t *testing.T) {
	lim := ipfrag.Limits{MaxBytes: 1 << 20, MaxDatagrams: 4, Timeout: time.Minute}
	r := ipfrag.New(lim)
	for id := range uint16(10) {
		r.Add(fragment(datagram(t, id, 1000), 512)[0], t0.Add(time.Duration(id)*time.Millisecond))
	}
	if s := r.Stats(); s.Evicted != 6 {
		t.Fatalf("stats %+v, want 6 evicted to keep 4 in progress", s)
	}
	// The newest still completes.
	if d := r.Add(fragment(datagram(t, 9, 1000), 512)[1], t0.Add(time.Second)); d == nil {
		t.Fatal("the newest datagram did not complete")
	}
}

func TestDatagramPast65535IsDropped(t *testing.T) {
	frag := fragment(datagram(t, 11, 1000), 512)[1]
	h := wire.IPv4(frag)
	h.SetFlagsFragOffset(0, 8189) // 65512 + 488 bytes: past the limit
	r := ipfrag.New(ipfrag.DefaultLimits)
	if r.Add(frag, t0) != nil || r.Stats().TooLong != 1 {
		t.Fatalf("stats %+v, want one too long", r.Stats())
	}
}
