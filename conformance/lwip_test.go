package conformance_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/harness"
)

// lwipBuilt skips t, saying how to build the adapter, when it is not
// built; under CI, where .ci/run installs what it needs and make builds
// it, a missing adapter fails t instead.
func lwipBuilt(t *testing.T) {
	t.Helper()
	s, _ := conformance.Lookup("handshake")
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: conformance.LwIP, Server: conformance.GVisor}, Seed: 1})
	if res.Err == nil {
		return
	}
	if !errors.Is(res.Err, harness.ErrUnsupported) {
		t.Fatalf("handshake lwip->gvisor: %v", res.Err)
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("the lwIP adapter is not built in CI (.ci/run runs scripts/install-lwip.sh, make builds it): %v", res.Err)
	}
	t.Skip(res.Err)
}

// One seed gives one run with lwIP at either end: lwIP's clock is
// tcpbed's, and its randomness (the first ephemeral port) is drawn from
// the seed.
func TestLwIPSameSeedSameTrace(t *testing.T) {
	lwipBuilt(t)
	s, ok := conformance.Lookup("bulk-transfer-lossy")
	if !ok {
		t.Fatal("no scenario bulk-transfer-lossy")
	}
	for _, p := range []conformance.Pairing{{Client: conformance.LwIP, Server: conformance.GVisor}, {Client: conformance.Ours, Server: conformance.LwIP}} {
		trace := func() string {
			res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: 7})
			if res.Err != nil {
				t.Fatalf("%s: %v", p, res.Err)
			}
			var b strings.Builder
			res.Net.Trace().Format(&b, harness.FormatOptions{Absolute: true, StateChanges: true})
			return b.String()
		}
		a, b := trace(), trace()
		if a != b {
			t.Fatalf("%s: two runs with seed 7 differ", p)
		}
		if !strings.Contains(a, "Flags [P.]") || !strings.Contains(a, "DROPPED") {
			t.Fatalf("%s: the run shows no data or no loss", p)
		}
	}
}

// Without the adapter, a cell with an lwIP end is skipped (an error
// wrapping harness.ErrUnsupported) that says how to build it.
func TestLwIPUnbuiltIsASkipWithTheReason(t *testing.T) {
	t.Setenv(conformance.LwIPPeerEnv, "")
	t.Chdir(t.TempDir())
	s, _ := conformance.Lookup("handshake")
	res := conformance.Execute(s, conformance.RunOptions{Pairing: conformance.Pairing{Client: conformance.Ours, Server: conformance.LwIP}, Seed: 1})
	if !errors.Is(res.Err, harness.ErrUnsupported) || !strings.Contains(res.Err.Error(), conformance.LwIPPeerEnv) {
		t.Fatalf("ours->lwip outside the source tree: %v; want a skip naming %s", res.Err, conformance.LwIPPeerEnv)
	}
}

// A run with an lwIP end gives both ends lwIP's fixed MSL, so that TIME-WAIT
// is judged against lwIP's 2MSL and no scenario is skipped for it.
func TestLwIPRunsUseItsMSL(t *testing.T) {
	lwipBuilt(t)
	s, _ := conformance.Lookup("handshake")
	for _, p := range conformance.LwIPPairings {
		if p.Client == conformance.Linux || p.Server == conformance.Linux {
			continue
		}
		res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: 1})
		if res.Err != nil {
			t.Errorf("handshake %s: %v", p, res.Err)
		}
	}
}
