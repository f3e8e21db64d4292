package linux

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// bulk moves size bytes from the client to the server over a Net and checks
// the digest; it returns the virtual time the transfer took.
func bulk(tb testing.TB, n *harness.Net, size int) time.Duration {
	c, s, _, err := n.Connect(80, time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	start := n.Now()
	data := randomBytes(size, 3)
	left := data
	var got bytes.Buffer
	buf := make([]byte, 256<<10)
	if err := n.RunUntil("bulk transfer", time.Minute, func() bool {
		if len(left) > 0 {
			k, err := c.Write(left)
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				tb.Fatalf("Write: %v", err)
			}
			left = left[k:]
		}
		for {
			k, err := s.Read(buf)
			got.Write(buf[:k])
			if err != nil {
				if !errors.Is(err, harness.ErrWouldBlock) {
					tb.Fatalf("Read: %v", err)
				}
				break
			}
		}
		return got.Len() == size
	}); err != nil {
		tb.Fatal(err)
	}
	if sha256.Sum256(got.Bytes()) != sha256.Sum256(data) {
		tb.Fatal("digest differs")
	}
	return n.Now() - start
}

// A megabyte each direction between Linux and gVisor: every byte once, in
// order, with the Net settling after every packet.
func TestPeerBulk(t *testing.T) {
	for _, pr := range pairings {
		t.Run(pr.name, func(t *testing.T) {
			n := newNet(t, harness.Config{Seed: 1, Client: pr.client, Server: pr.server})
			start := time.Now()
			virtual := bulk(t, n, 1<<20)
			t.Logf("1 MiB: %d packets, %v virtual, %v real", len(n.Trace().Records), virtual, time.Since(start))
		})
	}
}

// BenchmarkPeerBulk16MiB measures the real time 16 MiB takes across the Net
// in each pairing with Linux: go test -run=NONE -bench=PeerBulk ./harness/linux
func BenchmarkPeerBulk16MiB(b *testing.B) {
	for _, pr := range pairings {
		b.Run(pr.name, func(b *testing.B) {
			for b.Loop() {
				n, err := harness.NewNet(harness.Config{Seed: 1, Client: pr.client, Server: pr.server})
				if errors.Is(err, ErrUnavailable) {
					b.Skip(err)
				}
				if err != nil {
					b.Fatal(err)
				}
				bulk(b, n, 16<<20)
				n.Close()
			}
			b.SetBytes(16 << 20)
		})
	}
}
