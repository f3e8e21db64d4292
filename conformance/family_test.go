package conformance

import "testing"

// Every pairing of the matrix with ours, gVisor and Linux ends runs over
// IPv6; an exec end (lwIP's too) still cannot (its protocol carries IPv4
// addresses), nor a lneto end (lneto speaks IPv4 only).
func TestWhichPairingsRunOverIPv6(t *testing.T) {
	for _, p := range MatrixPairings {
		p.Family = IPv6
		reason := ipv6Unsupported(p)
		if stranger := IsLnetoPairing(p); (reason != "") != stranger {
			t.Errorf("%v: IPv6 refused %v (%q), want refused %v", p, reason != "", reason, stranger)
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
