package harness_test

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// What a Conn reports its buffers hold: the bytes written and not yet
// acknowledged, and the bytes received and not yet read. gVisor reports
// only the second.
func TestConnsReportWhatTheirBuffersHold(t *testing.T) {
	n := newTestNet(t, harness.Config{Client: ours.NewPeer(ours.Options{}), Server: gvisor.NewPeer(gvisor.Options{})})
	c, s := connect(t, n)
	if _, err := c.Write(make([]byte, 3000)); err != nil {
		t.Fatal(err)
	}
	if k, err := harness.Unacknowledged(c); k != 3000 || err != nil {
		t.Fatalf("ours, written, nothing sent: Unacknowledged %d, %v; want 3000", k, err)
	}
	if err := n.RunUntil("acknowledged", time.Minute, func() bool {
		k, _ := harness.Unacknowledged(c)
		return k == 0
	}); err != nil {
		t.Fatal(err)
	}
	if k, err := harness.Unread(s); k != 3000 || err != nil {
		t.Fatalf("gVisor, received, none read: Unread %d, %v; want 3000", k, err)
	}
	if _, err := harness.Unacknowledged(s); !errors.Is(err, harness.ErrNotSupported) {
		t.Fatalf("gVisor's send queue: %v, want ErrNotSupported", err)
	}
	readAll(t, n, s, 3000)
	if k, _ := harness.Unread(s); k != 0 {
		t.Fatalf("gVisor, all read: Unread %d", k)
	}
	if _, err := s.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if err := n.RunUntil("received", time.Minute, func() bool {
		k, _ := harness.Unread(c)
		return k == 100
	}); err != nil {
		t.Fatal(err)
	}
}
