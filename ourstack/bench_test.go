package ourstack

import (
	"testing"
)

// BenchmarkBulkTransfer moves data one way between two Stacks over the
// in-test link (which copies each packet), on virtual time, with the
// non-blocking calls the harness uses: the cost of the Stack and the TCB
// per byte, without goroutine hand-offs.
//
//	go test -run '^$' -bench BulkTransfer -benchmem ./ourstack
func BenchmarkBulkTransfer(b *testing.B) {
	n := newTestNet(b)
	client := n.stack(clientIP, nil)
	server := n.stack(serverIP, nil)
	c, sc := connected(b, n, client, server)
	chunk := make([]byte, 64<<10)
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for sent := 0; sent < len(chunk); {
			k, _ := c.TryWrite(chunk[sent:])
			sent += k
			n.link.pump()
			n.link.mu.Lock()
			n.link.sent = n.link.sent[:0]
			n.link.all = n.link.all[:0]
			n.link.mu.Unlock()
			for {
				r, err := sc.TryRead(buf)
				if r == 0 || err != nil {
					break
				}
			}
			n.link.pump()
		}
	}
}
