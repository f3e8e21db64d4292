package reassembly

import (
	"fmt"
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

func blocksString(base seqnum.Value, bs []wire.SACKBlock) string {
	s := ""
	for _, b := range bs {
		s += fmt.Sprintf("[%d,%d)", int32(b.Left-base), int32(b.Right-base))
	}
	return s
}

// RFC 2018 section 4, "Case 3": eight 500-byte segments from 5000; the 2nd,
// 4th, 6th and 8th are dropped. Then the 4th arrives, then the 2nd. The
// expected blocks are the RFC's own tables, shifted by base.
func TestSACKBlocksRFC2018Case3(t *testing.T) {
	for _, shift := range []seqnum.Value{0, 0xFFFF_FFFF - 6000} { // the second puts 2^32 inside the flight
		rcvNxt := seqnum.Value(5000) + shift
		q := New(64 << 10)
		arrive := func(seq int) string {
			s := seqnum.Value(seq) + shift
			if s == rcvNxt {
				rcvNxt = q.Pop(s.Add(500), func([]byte) {})
			} else {
				q.Insert(s, make([]byte, 500))
			}
			var dst [3]wire.SACKBlock // 3 blocks: the RFC's tables assume timestamps
			n := q.SACKBlocks(rcvNxt, dst[:], s)
			return fmt.Sprintf("ack %d %s", int32(rcvNxt-shift), blocksString(shift, dst[:n]))
		}
		steps := []struct {
			seg  int
			want string
		}{
			{5000, "ack 5500 "},
			{6000, "ack 5500 [6000,6500)"},
			{7000, "ack 5500 [7000,7500)[6000,6500)"},
			{8000, "ack 5500 [8000,8500)[7000,7500)[6000,6500)"},
			{6500, "ack 5500 [6000,7500)[8000,8500)"},
			{5500, "ack 7500 [8000,8500)"},
		}
		for _, st := range steps {
			if got := arrive(st.seg); got != st.want {
				t.Errorf("shift %#x: segment %d: %s, want %s", uint32(shift), st.seg, got, st.want)
			}
		}
	}
}

func TestSACKBlocksOrder(t *testing.T) {
	for _, base := range bases {
		q := New(128)
		at := func(off int) seqnum.Value { return base.Add(seqnum.Size(off)) }
		for _, off := range []int{10, 20, 30, 40, 50} { // received in this order
			q.Insert(at(off), []byte("x"))
		}
		cases := []struct {
			name       string
			rcvNxt     int
			dst        int
			mostRecent int
			want       string
		}{
			{"trigger first, then newest first", 0, 4, 30, "[30,31)[50,51)[40,41)[20,21)"},
			{"trigger not held: newest first", 0, 4, 5, "[50,51)[40,41)[30,31)[20,21)"},
			{"room for two", 0, 2, 30, "[30,31)[50,51)"},
			{"room for none", 0, 0, 30, ""},
			{"ranges at or below rcv.nxt are left out", 30, 4, 40, "[40,41)[50,51)"},
			{"trigger below rcv.nxt is not reported first", 31, 4, 30, "[50,51)[40,41)"},
		}
		for _, c := range cases {
			dst := make([]wire.SACKBlock, c.dst)
			n := q.SACKBlocks(at(c.rcvNxt), dst, at(c.mostRecent))
			if got := blocksString(base, dst[:n]); got != c.want {
				t.Errorf("base %#x %s: %s, want %s", uint32(base), c.name, got, c.want)
			}
		}
		// New data into an old range makes it the newest.
		q.Insert(at(21), []byte("y"))
		var dst [4]wire.SACKBlock
		n := q.SACKBlocks(at(0), dst[:], at(5))
		if got, want := blocksString(base, dst[:n]), "[20,22)[50,51)[40,41)[30,31)"; got != want {
			t.Errorf("base %#x after extending [20,21): %s, want %s", uint32(base), got, want)
		}
	}
}
