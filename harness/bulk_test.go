package harness_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// transfer moves size bytes from client to server over n and returns both
// digests and how many bytes the server read.
func transfer(t testing.TB, n *harness.Net, size int) (sent, got [32]byte) {
	t.Helper()
	c, s := connect(t, n)
	data := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(data)
	sent = sha256.Sum256(data)
	h := sha256.New()
	buf := make([]byte, 64<<10)
	off, read := 0, 0
	if err := n.RunUntil("transfer", 10*time.Minute, func() bool {
		for off < len(data) {
			k, err := c.Write(data[off:min(len(data), off+256<<10)])
			off += k
			if err != nil {
				break
			}
		}
		for {
			k, err := s.Read(buf)
			h.Write(buf[:k])
			read += k
			if err != nil || k == 0 {
				if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
					t.Fatalf("server Read: %v", err)
				}
				break
			}
		}
		return read == len(data)
	}); err != nil {
		t.Fatalf("%v (read %d of %d)", err, read, len(data))
	}
	copy(got[:], h.Sum(nil))
	return sent, got
}

func TestBulkTransferGVisor(t *testing.T) {
	size := 4 << 20
	if testing.Short() {
		size = 256 << 10
	}
	n := newTestNet(t, harness.Config{Seed: 5, MaxPacketsPerSettle: 10000})
	defer func() {
		if t.Failed() {
			t.Log(n.Trace())
		}
	}()
	start := time.Now()
	sent, got := transfer(t, n, size)
	if !bytes.Equal(sent[:], got[:]) {
		t.Fatal("digest differs")
	}
	t.Logf("%d bytes, %d packets, %v virtual, %v real", size, len(n.Trace().Records), n.Now(), time.Since(start))
}
