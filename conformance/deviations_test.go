package conformance_test

import (
	"strings"
	"testing"

	"github.com/tcpbed/tcpbed/conformance"
	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios
)

// TestEveryDeviationCitesItsCodeAndItsRun: a departure is registered with
// where the peer's code does it and the command that shows it: a scenario
// of the catalogue, or the committed fuzz input that found it.
func TestEveryDeviationCitesItsCodeAndItsRun(t *testing.T) {
	for _, d := range conformance.KnownDeviations() {
		if d.Source == "" {
			t.Errorf("%s: no Source (the function and file that do it)", d.Name)
		}
		fields := strings.Fields(d.Shown)
		if strings.HasPrefix(d.Shown, "go test ./fuzz -run 'Fuzz") {
			continue // found by a fuzzer: its committed input replays it
		}
		if len(fields) < 5 || !strings.HasPrefix(d.Shown, "go run ./cmd/tcpbed run ") {
			t.Errorf("%s: Shown %q is neither a tcpbed run command nor a fuzz input", d.Name, d.Shown)
			continue
		}
		if _, ok := conformance.Lookup(fields[4]); !ok {
			t.Errorf("%s: Shown names scenario %q, which is not registered", d.Name, fields[4])
		}
	}
}
