package conformance

import "testing"

// Every pairing of the matrix with ours, gVisor and Linux ends runs over
// IPv6; an exec end still cannot (its protocol carries IPv4 addresses).
func TestWhichPairingsRunOverIPv6(t *testing.T) {
	for _, p := range MatrixPairings {
		p.Family = IPv6
		if reason := ipv6Unsupported(p); reason != "" {
			t.Errorf("%v: %s", p, reason)
		}
	}
	for _, p := range ExecPairings {
		p.Family = IPv6
		if ipv6Unsupported(p) == "" {
			t.Errorf("%v runs over IPv6, but the peer protocol carries IPv4 addresses only", p)
		}
	}
	linux := Pairing{Client: Linux, Server: Ours, Family: IPv6}
	if reason := (&Scenario{Name: "any"}).SkipReason(linux); reason != "" {
		t.Errorf("a scenario for every pairing skips %v: %s", linux, reason)
	}
}
