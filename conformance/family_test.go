package conformance

import "testing"

// Every pairing of the matrix with ours, gVisor and Linux ends runs over
// IPv6, and so may an exec end (lwIP's too: its HELLO reply says whether
// it speaks the protocol's version 2); a lneto end cannot (lneto speaks
// IPv4 only).
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
		if reason := ipv6Unsupported(p); reason != "" {
			t.Errorf("%v refused IPv6 before its stack said (%s): version 2 of the peer protocol carries IPv6", p, reason)
		}
	}
	linux := Pairing{Client: Linux, Server: Ours, Family: IPv6}
	if reason := (&Scenario{Name: "any"}).SkipReason(linux); reason != "" {
		t.Errorf("a scenario for every pairing skips %v: %s", linux, reason)
	}
}
