package harness_test

import (
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
	"github.com/tcpbed/tcpbed/harness/ours"
)

// What a Conn reports its buffers hold: the bytes written and not yet
// acknowledged, and the bytes received and not yet read, ourstack's and
// gVisor's (whose send queue only its TCP probe reports, after each
// segment it takes).
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
	readAll(t, n, s, 3000)
	if k, _ := harness.Unread(s); k != 0 {
		t.Fatalf("gVisor, all read: Unread %d", k)
	}
	if _, err := s.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write(make([]byte, 40000)); err != nil {
		t.Fatal(err)
	}
	if k, err := harness.Unacknowledged(s); k != 40100 || err != nil {
		t.Fatalf("gVisor, written, nothing acknowledged: Unacknowledged %d, %v; want 40100", k, err)
	}
	// More than gVisor's initial window: its send queue shrinks by the
	// flights ourstack acknowledges on the way to empty, and never grows.
	last, shrank := 40100, false
	if err := n.RunUntil("gVisor's 40100 bytes acknowledged", time.Minute, func() bool {
		k, _ := harness.Unacknowledged(s)
		if k > last {
			t.Fatalf("gVisor's send queue grew from %d to %d with nothing written", last, k)
		}
		shrank = shrank || (k > 0 && k < last)
		last = k
		return k == 0
	}); err != nil {
		t.Fatal(err)
	}
	if !shrank {
		t.Errorf("gVisor's send queue went from 40100 to 0 in one step: no partial acknowledgement seen")
	}
	if k, _ := harness.Unread(c); k != 40100 {
		t.Fatalf("ours, received, none read: Unread %d, want 40100", k)
	}
}
