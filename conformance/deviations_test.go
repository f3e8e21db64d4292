package conformance_test

import (
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
)

// TestEveryDeviationCitesItsCodeAndItsRun: a departure is registered with
// where the peer's code does it and the command that shows it, and that
// command names a scenario of the catalogue.
func TestEveryDeviationCitesItsCodeAndItsRun(t *testing.T) {
	for _, d := range conformance.KnownDeviations() {
		if d.Source == "" {
			t.Errorf("%s: no Source (the function and file that do it)", d.Name)
		}
		fields := strings.Fields(d.Shown)
		if len(fields) < 5 || !strings.HasPrefix(d.Shown, "go run ./cmd/tcpbed run ") {
			t.Errorf("%s: Shown %q is not a tcpbed run command", d.Name, d.Shown)
			continue
		}
		if _, ok := conformance.Lookup(fields[4]); !ok {
			t.Errorf("%s: Shown names scenario %q, which is not registered", d.Name, fields[4])
		}
	}
}
