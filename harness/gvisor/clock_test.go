package gvisor

import (
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"

	"github.com/tcpbed/tcpbed/harness"
)

// gVisor's monotonic clock reads the Net's virtual time, counted from the
// Unix epoch (never zero, which gVisor takes for "never"), and its wall
// clock the same instant.
func TestNowMonotonicIsVirtualTimeSinceTheUnixEpoch(t *testing.T) {
	c := harness.NewClock()
	c.Freeze() // one reading per instant, so that two readings agree
	g := gvisorPeerClock{c: c.ForPeer()}
	c.Advance(1500 * time.Millisecond)
	mono, wall := g.NowMonotonic(), g.Now()
	if got, want := mono.Sub(tcpip.MonotonicTime{}), wall.Sub(time.Unix(0, 0)); got != want {
		t.Errorf("NowMonotonic is %v after the Unix epoch, Now %v", got, want)
	}
	if got, want := wall, harness.Epoch.Add(1500*time.Millisecond); !got.Equal(want) {
		t.Errorf("Now is %v, want %v", got, want)
	}
	c.Advance(time.Second)
	if d := g.NowMonotonic().Sub(mono); d != time.Second {
		t.Errorf("a second of virtual time moved NowMonotonic by %v", d)
	}
}
