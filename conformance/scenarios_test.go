package conformance

import (
	"errors"
	"testing"
	"time"

	"github.com/tcpbed/tcpbed/harness/linux"
)

// TestScenariosGVisorControl runs every scenario in the gVisor<->gVisor
// pairing: the control that proves the harness and the expectations. It
// also checks that every registered gVisor deviation is still shown by
// some scenario there: were gVisor to change, the test names the entry to
// revisit instead of letting a stale excuse linger.
func TestScenariosGVisorControl(t *testing.T) {
	p := Pairing{GVisor, GVisor}
	seen := map[string]bool{}
	want, ran := 0, 0
	for _, s := range All() {
		if !s.RunsIn(p) {
			continue
		}
		want++
		t.Run(s.Name, func(t *testing.T) {
			ran++
			res := Execute(s, RunOptions{Pairing: p, Seed: 1})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			for _, d := range res.Deviations {
				seen[d] = true
			}
		})
	}
	if ran < want || t.Failed() {
		return // a failing or filtered-out scenario may be the one that shows a deviation
	}
	for _, d := range KnownDeviations() {
		if d.Peer == GVisor && !seen[d.Name] {
			t.Errorf("no scenario showed registered deviation %s in gvisor->gvisor: %s", d.Name, d)
		}
	}
}

// TestScenariosLinux runs every scenario that fits a real-time peer in the
// pairings with Linux (ours->linux, linux->ours) and checks that every
// registered Linux deviation is shown by some run, as
// TestScenariosGVisorControl does for gVisor's. Where this process cannot
// make a network namespace or a TUN (not root), it is skipped with the
// reason.
func TestScenariosLinux(t *testing.T) {
	if reason := linuxUnavailable(); reason != "" {
		t.Skip(reason)
	}
	seen := map[string]bool{}
	want, ran := 0, 0
	for _, s := range All() {
		for _, p := range LinuxPairings {
			if !s.RunsIn(p) {
				continue
			}
			want++
			t.Run(s.Name+"/"+p.Client+"-"+p.Server, func(t *testing.T) {
				ran++
				start := time.Now()
				res := Execute(s, RunOptions{Pairing: p, Seed: 1})
				t.Logf("%v of virtual time in %v", res.Elapsed, time.Since(start).Round(time.Millisecond))
				if res.Err != nil {
					t.Fatal(res.Err)
				}
				for _, note := range res.Observations {
					t.Logf("saw: %s", note)
				}
				for _, d := range res.Deviations {
					t.Logf("deviation: %s", d)
					seen[d] = true
				}
			})
		}
	}
	if ran < want || t.Failed() {
		return
	}
	for _, d := range KnownDeviations() {
		if d.Peer == Linux && !seen[d.Name] {
			t.Errorf("no scenario showed registered deviation %s in a pairing with Linux: %s", d.Name, d)
		}
	}
}

// linuxUnavailable is why no Linux peer can be built here ("" if one can).
func linuxUnavailable() string {
	s, _ := Lookup("handshake")
	res := Execute(s, RunOptions{Pairing: Pairing{Ours, Linux}, Seed: 1})
	if errors.Is(res.Err, linux.ErrUnavailable) {
		return res.Err.Error()
	}
	return ""
}
