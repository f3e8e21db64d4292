package conformance_test

import (
	"errors"
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
		if _, _, err := d.ShownRun(); err != nil && !errors.Is(err, conformance.ErrShownByFuzzInput) {
			t.Error(err)
		}
	}
}
