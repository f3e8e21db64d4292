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

// One seed gives one run with lwIP at either end, over IPv4 and IPv6:
// lwIP's clock is tcpbed's, and its randomness (the first ephemeral port)
// is drawn from the seed.
func TestLwIPSameSeedSameTrace(t *testing.T) {
	lwipBuilt(t)
	s, ok := conformance.Lookup("bulk-transfer-lossy")
	if !ok {
		t.Fatal("no scenario bulk-transfer-lossy")
	}
	for _, p := range []conformance.Pairing{
		{Client: conformance.LwIP, Server: conformance.GVisor},
		{Client: conformance.Ours, Server: conformance.LwIP},
		{Client: conformance.LwIP, Server: conformance.GVisor, Family: conformance.IPv6},
		{Client: conformance.Ours, Server: conformance.LwIP, Family: conformance.IPv6},
	} {
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

// Over IPv6 the adapter speaks version 2 of the peer protocol (one of
// version 1 would make the run a skip), and lwIP puts nothing on the wire
// but TCP and ICMPv6 errors: Debian's build turns on Router Solicitation,
// MLD and Duplicate Address Detection, which a host on tcpbed's point to
// point link must not send (docs/peer-protocol.md 4, HELLO). time-wait
// keeps lwIP's timers running for its 120 s TIME-WAIT, long past the
// first of each (nd6_tmr: DAD and RS within seconds; MLD's report delay
// within one).
func TestLwIPOverIPv6SendsOnlyTCP(t *testing.T) {
	lwipBuilt(t)
	s, _ := conformance.Lookup("time-wait")
	for _, p := range []conformance.Pairing{{Client: conformance.LwIP, Server: conformance.GVisor, Family: conformance.IPv6}, {Client: conformance.GVisor, Server: conformance.LwIP, Family: conformance.IPv6}} {
		res := conformance.Execute(s, conformance.RunOptions{Pairing: p, Seed: 1})
		if errors.Is(res.Err, harness.ErrUnsupported) || res.Net == nil {
			t.Fatalf("%s did not run: %v", p, res.Err)
		}
		if res.Err != nil { // a stray packet may be why: the trace says
			t.Errorf("%s: %v", p, res.Err)
		}
		fromLwIP := harness.ClientToServer
		if p.Server == conformance.LwIP {
			fromLwIP = harness.ServerToClient
		}
		sent := 0
		for _, r := range res.Net.Trace().Records {
			if r.Dir != fromLwIP || r.Injected {
				continue
			}
			sent++
			if r.ICMP != nil {
				continue
			}
			if r.ParseErr != nil || !r.Packet.IP.IsIPv6() {
				t.Errorf("%s: lwIP sent packet #%d at %v, %d bytes, which is not IPv6/TCP: %v", p, r.Index, r.At, r.Len, r.ParseErr)
			}
		}
		if sent == 0 {
			t.Errorf("%s: lwIP sent nothing", p)
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
