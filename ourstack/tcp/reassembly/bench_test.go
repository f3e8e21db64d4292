package reassembly

import (
	"testing"

	"github.com/tcpbed/tcpbed/ourstack/seqnum"
	"github.com/tcpbed/tcpbed/ourstack/wire"
)

// BenchmarkOutOfOrder: one lost segment, four that arrive behind it (each
// answered with SACK blocks), then the retransmission fills the hole.
func BenchmarkOutOfOrder(b *testing.B) {
	q := New(256 << 10)
	seg := make([]byte, 1460)
	rcvNxt := seqnum.Value(0xFFFF_0000)
	var dst [wire.MaxSACKBlocks]wire.SACKBlock
	b.SetBytes(5 * 1460)
	b.ReportAllocs()
	for b.Loop() {
		for i := 1; i <= 4; i++ {
			q.Insert(rcvNxt.Add(seqnum.Size(i*1460)), seg)
			q.SACKBlocks(rcvNxt, dst[:], rcvNxt.Add(seqnum.Size(i*1460)))
		}
		q.Insert(rcvNxt, seg)
		rcvNxt = q.Pop(rcvNxt, func([]byte) {})
	}
}
