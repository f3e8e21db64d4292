package exec

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// A stack answers a request it refused (WOULD_BLOCK) the same way until
// something changes it, so the peer does not ask again in between; once a
// packet has come, it asks again, and the write goes through.
func TestARefusedRequestIsAskedAgainOnlyAfterAChange(t *testing.T) {
	n, c, s := connected(t, harness.Config{Seed: 3}, testStack())
	// The server reads nothing: the client's buffer and the server's
	// window fill.
	data := make([]byte, 64<<10)
	if err := n.RunUntil("the client's send buffer fills", time.Minute, func() bool {
		_, err := c.Write(data)
		return errors.Is(err, harness.ErrWouldBlock)
	}); err != nil {
		t.Fatal(err)
	}
	p := n.Client().(*peer)
	before := p.requests
	for range 5 {
		if _, err := c.Write(data); !errors.Is(err, harness.ErrWouldBlock) {
			t.Fatalf("a write to a full send buffer: %v, want %v", err, harness.ErrWouldBlock)
		}
	}
	buf := make([]byte, 1024)
	for range 3 {
		if _, err := c.Read(buf); !errors.Is(err, harness.ErrWouldBlock) {
			t.Fatalf("a read with nothing sent: %v, want %v", err, harness.ErrWouldBlock)
		}
	}
	if got := p.requests - before; got != 1 {
		t.Errorf("%d requests for five refused writes and three refused reads with nothing in between; want 1 (the first read)", got)
	}

	// The server reads: its window update reaches the client, whose
	// next write is sent, and taken.
	if err := n.RunUntil("the server reads, and the client writes again", time.Minute, func() bool {
		s.Read(buf)
		k, _ := c.Write(data[:100])
		return k > 0
	}); err != nil {
		t.Fatal(err)
	}
}
