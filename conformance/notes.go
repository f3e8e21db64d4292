package conformance

import (
	"fmt"
	"slices"
)

// A run's notes. Where the RFC leaves a choice, a scenario accepts each
// allowed behaviour and observes which one it saw ("FIN rode on the last
// data segment"); where a reference peer departs from the RFC, the
// scenario accepts it only under a registered Deviation. Execute copies
// both onto the Result, so the CLI and the reports can show them.
type notes struct {
	observations []string
	deviations   []string
}

// observe notes which of the allowed behaviours this run saw.
func (e *Env) Observe(format string, args ...any) {
	if note := fmt.Sprintf(format, args...); !slices.Contains(e.notes.observations, note) {
		e.notes.observations = append(e.notes.observations, note)
	}
}

// Observations lists what this run noted about the allowed behaviours it saw.
func (e *Env) Observations() []string { return slices.Clone(e.notes.observations) }

// DeviationsSeen lists the deviations this run accepted, by name.
func (e *Env) DeviationsSeen() []string { return slices.Clone(e.notes.deviations) }
