package harness_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// TestSettleIsABarrier: once Step (or Settle) returns, gVisor does nothing
// more on its own goroutines: no packet appears and no state changes until
// the harness acts again, however long real time runs on.
func TestSettleIsABarrier(t *testing.T) {
	n := newTestNet(t, harness.Config{Seed: 3, Faults: []*harness.Rule{{Probability: 0.05, Action: harness.Drop}}})
	c, _ := connect(t, n)
	if _, err := c.Write(bytes.Repeat([]byte("b"), 200_000)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 60; i++ {
		more, err := n.Step()
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
		packets, changes, inFlight := len(n.Trace().Records), len(n.Trace().Changes), n.InFlight()
		time.Sleep(200 * time.Microsecond) // real time in which a straggler would show
		if len(n.Trace().Records) != packets || len(n.Trace().Changes) != changes || n.InFlight() != inFlight {
			t.Fatalf("step %d: the trace grew after Step returned", i)
		}
	}
}
