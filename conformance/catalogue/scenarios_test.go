package catalogue

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/linux"
)

// TestScenariosGVisorControl runs every scenario in the gVisor<->gVisor
// pairing: the control that proves the harness and the expectations. It
// also checks that every registered gVisor deviation is still shown by
// some scenario there: were gVisor to change, the test names the entry to
// revisit instead of letting a stale excuse linger.
func TestScenariosGVisorControl(t *testing.T) {
	seen := map[string]bool{}
	want, ran := 0, 0
	for _, s := range All() {
		for _, f := range Families {
			p := Pairing{Client: GVisor, Server: GVisor, Family: f}
			if !s.RunsIn(p) {
				continue
			}
			want++
			t.Run(s.Name+"/"+f.String(), func(t *testing.T) {
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
	}
	if ran < want || t.Failed() {
		return // a failing or filtered-out scenario may be the one that shows a deviation
	}
	for _, d := range KnownDeviations() {
		if d.Peer != GVisor || seen[d.Name] {
			continue
		}
		s, opts, err := d.ShownRun()
		switch {
		case errors.Is(err, ErrShownByFuzzInput):
			// found by a fuzzer; its committed input shows it
		case err != nil:
			t.Error(err)
		case opts.Pairing.Client == GVisor && opts.Pairing.Server == GVisor:
			t.Errorf("no scenario showed registered deviation %s in gvisor->gvisor: %s", d.Name, d)
		default:
			// Some departures show only against a peer that provokes
			// them (gVisor's 200 ms RTO floor against lwIP's 250 ms
			// delayed ACK): the run the deviation cites must show it.
			res := Execute(s, opts)
			if errors.Is(res.Err, harness.ErrUnsupported) {
				t.Logf("%s: its run (%s) cannot run here: %v", d.Name, d.Shown, res.Err)
				continue
			}
			if !slices.Contains(res.Deviations, d.Name) {
				t.Errorf("registered deviation %s not shown by the run it cites (%s): deviations %v, error %v", d.Name, d.Shown, res.Deviations, res.Err)
			}
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
		for _, ends := range LinuxPairings {
			for _, f := range Families {
				p := ends.In(f)
				if !s.RunsIn(p) {
					continue
				}
				want++
				t.Run(s.Name+"/"+p.Client+"-"+p.Server+"/"+f.String(), func(t *testing.T) {
					ran++
					start := time.Now()
					res := Execute(s, RunOptions{Pairing: p, Seed: 1})
					t.Logf("%v of virtual time in %v", res.Elapsed, time.Since(start).Round(time.Millisecond))
					if res.Err != nil {
						t.Fatal(res.Err)
					}
					for _, note := range res.Observations {
						t.Logf("saw: %s", note)
						if strings.Contains(note, "not waited out") && s.RealTime != FitsWithObservation {
							t.Errorf("%s replaced a wait on Linux by an observation but does not declare RealTime: FitsWithObservation", s.Name)
						}
					}
					if s.RealTime == FitsWithObservation && s.RealTimeNote == "" {
						t.Errorf("%s fits with an observation but its RealTimeNote does not say which", s.Name)
					}
					for _, d := range res.Deviations {
						t.Logf("deviation: %s", d)
						seen[d] = true
					}
				})
			}
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
	res := Execute(s, RunOptions{Pairing: Pairing{Client: Ours, Server: Linux}, Seed: 1})
	if errors.Is(res.Err, linux.ErrUnavailable) {
		return res.Err.Error()
	}
	return ""
}

// TestLinuxUnavailableIsReported: where no Linux peer can be built (no
// namespace or TUN), a run in a Linux pairing ends with an error that is
// linux.ErrUnavailable and says why, which the suites and tcpbed report as
// a skip; it is not a scenario failure. The Peers hook stands in for a
// machine without the privileges.
func TestLinuxUnavailableIsReported(t *testing.T) {
	s, _ := Lookup("echo")
	noTUN := func(kind string, _ *Setup) harness.PeerMaker {
		if kind != Linux {
			return nil
		}
		return func(harness.PeerEnv) (harness.Peer, error) {
			return nil, fmt.Errorf("%w: open /dev/net/tun: no such file or directory", linux.ErrUnavailable)
		}
	}
	for _, p := range LinuxPairings {
		res := Execute(s, RunOptions{Pairing: p, Seed: 1, Peers: noTUN})
		if !errors.Is(res.Err, linux.ErrUnavailable) || !strings.Contains(res.Err.Error(), "/dev/net/tun") {
			t.Errorf("%s: Err = %v, want linux.ErrUnavailable with the reason", p, res.Err)
		}
		var f *Failure
		if errors.As(res.Err, &f) {
			t.Errorf("%s: reported as a scenario failure: %v", p, f)
		}
	}
}

// TestLinuxPairingsFollowGVisor: a scenario runs with Linux where it runs
// with gVisor, unless it does not fit real time, and then says why.
func TestLinuxPairingsFollowGVisor(t *testing.T) {
	for _, s := range All() {
		for _, p := range LinuxPairings {
			g := AsGVisor(p)
			want := s.RunsIn(g) && s.RealTime != TooSlowForRealTime
			if got := s.RunsIn(p); got != want && !slices.Contains(s.Pairings, p) {
				t.Errorf("%s: RunsIn(%s) = %v, want %v (RunsIn(%s) = %v, RealTime %d)", s.Name, p, got, want, g, s.RunsIn(g), s.RealTime)
			}
			if reason := s.SkipReason(p); s.RunsIn(p) != (reason == "") {
				t.Errorf("%s in %s: SkipReason %q disagrees with RunsIn", s.Name, p, reason)
			}
			if s.RealTime == TooSlowForRealTime && s.RunsIn(g) {
				if reason := s.SkipReason(p); s.RealTimeNote == "" || !strings.Contains(reason, s.RealTimeNote) {
					t.Errorf("%s in %s: skipped without its reason: %q", s.Name, p, reason)
				}
			}
		}
	}
	if d, _ := Lookup("rto-backoff"); d.RunsIn(Pairing{Client: Ours, Server: Linux}) {
		t.Error("rto-backoff (15 minutes of Linux's timers) runs in ours->linux")
	}
	if d, _ := Lookup("echo"); !d.RunsIn(Pairing{Client: Linux, Server: Ours}) || !d.RunsIn(Pairing{Client: Ours, Server: Linux}) {
		t.Error("echo does not run with Linux")
	}
}
