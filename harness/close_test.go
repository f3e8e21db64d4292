package harness_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// TestCloseReleasesGVisorGoroutines: a Net's gVisor peers stop their
// processor goroutines on Close, whether the run ended cleanly or not.
func TestCloseReleasesGVisorGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 10 {
		n, err := harness.NewNet(harness.Config{Client: gvisor.NewPeer(gvisor.Options{}), Server: gvisor.NewPeer(gvisor.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		connect(t, n) // leave the connection open
		n.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.Gosched()
		time.Sleep(time.Millisecond) // waiting for goroutines to exit, not for a TCP timer
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Fatalf("%d goroutines before, %d after closing 10 nets", before, after)
	}
}
