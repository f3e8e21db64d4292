package ipfrag_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/ourstack/ipfrag"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// fragments6 is a whole IPv6 packet with n bytes of TCP data and its
// fragments (RFC 8200 4.5), cut by the judge's codec (gVisor's header
// package) at cuts, identification id.
func fragments6(t *testing.T, id uint32, n int, cuts ...int) (whole []byte, frags [][]byte) {
	t.Helper()
	payload := make([]byte, n)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	whole = packet.Packet{
		IP:  packet.IP{Src: netip.MustParseAddr("2001:db8:1::7"), Dst: netip.MustParseAddr("2001:db8::2")},
		TCP: packet.Segment{SrcPort: 40000, DstPort: 7357, Seq: 1, Flags: packet.ACK | packet.PSH, Window: 1000, Payload: payload},
	}.Encode(packet.Illegal{})
	frags, err := packet.FragmentIPv6(whole, id, cuts...)
	if err != nil {
		t.Fatal(err)
	}
	return whole, frags
}

// add6 hands f to r as ourstack's demultiplexer does: where ParseIPv6
// says its Fragment header is.
func add6(t *testing.T, r *ipfrag.Reassembler, f []byte) []byte {
	t.Helper()
	_, err := wire.ParseIPv6(f)
	at, ok := wire.FragmentHeaderAt(err)
	if !ok {
		t.Fatalf("ParseIPv6 of a fragment: %v, want ErrFragment", err)
	}
	return r.Add6(f, at, t0)
}

// TestIPv6FragmentsMakeTheDatagramAgain: out of order and one twice, the
// fragments give back the packet that was cut, byte for byte (RFC 8200
// 4.5: the Fragment header goes, the Next Header before it names TCP
// again, the payload length is the whole's).
func TestIPv6FragmentsMakeTheDatagramAgain(t *testing.T) {
	whole, frags := fragments6(t, 7, 1200, 400, 800)
	r := ipfrag.New(ipfrag.DefaultLimits)
	for _, f := range [][]byte{frags[2], frags[0], frags[0]} {
		if got := add6(t, r, f); got != nil {
			t.Fatalf("a datagram with a hole came out: %x", got)
		}
	}
	got := add6(t, r, frags[1])
	if !bytes.Equal(got, whole) {
		t.Fatalf("reassembled\n %x\nwant\n %x", got, whole)
	}
	if _, err := wire.ParseIPv6(got); err != nil {
		t.Fatalf("the reassembled packet does not parse: %v", err)
	}
	if st := r.Stats(); st.Reassembled != 1 || st.Duplicates != 1 || r.Held() != 0 {
		t.Fatalf("stats %+v, held %d", st, r.Held())
	}
}

// TestIPv6OverlapPoisonsTheDatagram: RFC 5722 (RFC 8200 4.5): a fragment
// overlapping another discards the whole datagram, later fragments too.
func TestIPv6OverlapPoisonsTheDatagram(t *testing.T) {
	_, frags := fragments6(t, 8, 1200, 400, 800)
	_, other := fragments6(t, 8, 1200, 392)
	r := ipfrag.New(ipfrag.DefaultLimits)
	add6(t, r, frags[0])
	add6(t, r, other[1]) // 392..1220 overlaps 0..400
	for _, f := range frags[1:] {
		if got := add6(t, r, f); got != nil {
			t.Fatal("a poisoned datagram came out whole")
		}
	}
	if st := r.Stats(); st.Overlaps != 1 {
		t.Fatalf("stats %+v, want one overlap", st)
	}
}

// TestIPv6FirstFragmentWithoutTheTCPHeaderIsDropped: RFC 7112 5, a first
// fragment that does not hold the whole header chain (TCP's header cut
// after 16 bytes) is discarded, so its datagram never completes.
func TestIPv6FirstFragmentWithoutTheTCPHeaderIsDropped(t *testing.T) {
	_, frags := fragments6(t, 9, 100, 16)
	r := ipfrag.New(ipfrag.DefaultLimits)
	if add6(t, r, frags[1]) != nil || add6(t, r, frags[0]) != nil {
		t.Fatal("a datagram whose first fragment held 16 bytes of TCP header came out whole")
	}
	if st := r.Stats(); st.IncompleteChain != 1 {
		t.Fatalf("stats %+v, want one incomplete chain", st)
	}
}
