package fuzz

import (
	"syscall"
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/gvisor"
)

// TestCompareOutcomes: a difference in what an application read fails
// the comparison unless an allowed difference explains it.
func TestCompareOutcomes(t *testing.T) {
	n, err := harness.NewNet(harness.Config{Client: gvisor.NewPeer(gvisor.Options{}), Server: gvisor.NewPeer(gvisor.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	run := func(name string, readN int, end readEnd, writeErr error) *interopRun {
		return &interopRun{pairing: interopPairing{name: name}, net: n, ends: [2]*interopEnd{
			{side: harness.Client, written: 100, end: endEOF, readN: 0},
			{side: harness.Server, readN: readN, end: end, writeErr: writeErr},
		}}
	}
	control := run("control", 100, endEOF, nil)
	for _, tc := range []struct {
		name    string
		run     *interopRun
		allowed string // "" with ok false: a failure
		ok      bool
	}{
		{"same", run("a", 100, endEOF, nil), "", true},
		{"fewer bytes before EOF", run("a", 50, endEOF, nil), "", false},
		{"reset instead of EOF", run("a", 100, endReset, nil), "", false},
		{"closed before the end", run("a", 50, endDropped, nil), "closed-before-the-end", true},
		{"gave up", run("a", 50, endTimedOut, nil), "retransmission-give-up", true},
		{"Write timed out", run("a", 100, endEOF, syscall.ETIMEDOUT), "retransmission-give-up", true},
	} {
		diff, allowed := compareOutcomes(tc.run, control)
		if (diff == "") != tc.ok || allowed != tc.allowed {
			t.Errorf("%s: diff %q, allowed %q; want ok=%v, allowed %q", tc.name, diff, allowed, tc.ok, tc.allowed)
		}
	}
}
