package conformance_test

import (
	"slices"
	"time"

	_ "github.com/tcpbed/tcpbed/conformance/catalogue" // registers the scenarios

	. "github.com/onsi/ginkgo/v2"

	"github.com/tcpbed/tcpbed/conformance"
	"github.com/tcpbed/tcpbed/conformance/report"
)

// cellTimeout bounds one cell in real time: scenarios run on virtual time
// and take well under a second (a big transfer a few), so a cell that takes
// this long is stuck, and fails rather than hanging the matrix.
const cellTimeout = 45 * time.Second

// The matrix, built from the one catalogue (conformance.All) so the suites
// and the tcpbed command never drift: a container per section, a table per
// scenario, an entry per pairing. Every pairing of MatrixPairings gets an
// entry, so the summary is a full table; one the scenario does not run in
// is skipped with the scenario's own reason.
var _ = Describe(report.SuiteText, func() {
	scenarios := conformance.All()
	var sections []string
	for _, s := range scenarios {
		if !slices.Contains(sections, s.Section) {
			sections = append(sections, s.Section)
		}
	}
	for _, section := range sections {
		Describe(section, Label(section), func() {
			for order, s := range scenarios {
				if s.Section != section {
					continue
				}
				entries := []any{runCell}
				for _, fam := range conformance.Families {
					for _, ends := range pairingsOf(s) {
						p := ends.In(fam)
						entries = append(entries, Entry(report.CellText(s.Name, p.String()),
							pairingLabels(p), Label("profile:"+s.ProfileName(), fam.String()), SpecTimeout(cellTimeout), GracePeriod(5*time.Second),
							s, order, p))
					}
				}
				DescribeTable(s.Name, entries...)
			}
		})
	}
})

// pairingsOf is every pairing of the matrix's columns (the Linux ones
// included; the exec ones when TCPBED_EXEC_PEER names a stack) plus any
// other the scenario runs in.
func pairingsOf(s conformance.Scenario) []conformance.Pairing {
	ps := slices.Clone(conformance.MatrixPairings)
	if conformance.ExecConfigured() {
		ps = append(ps, conformance.ExecPairings...)
	}
	ps = append(ps, conformance.LwIPPairings...)
	for _, p := range s.PairingsOrAll() {
		if !slices.Contains(ps, p) {
			ps = append(ps, p)
		}
	}
	return ps
}

// pairingLabels labels a cell with its pairing (see suite_test.go).
func pairingLabels(p conformance.Pairing) Labels {
	l := Label(p.Client+"-"+p.Server, "client:"+p.Client, "server:"+p.Server)
	if p.Client == conformance.GVisor && p.Server == conformance.GVisor {
		l = append(l, "control")
	}
	if p.Client == conformance.Linux || p.Server == conformance.Linux {
		l = append(l, conformance.Linux)
	}
	if conformance.IsExecPairing(p) {
		l = append(l, conformance.Exec)
	}
	if conformance.IsLwIPPairing(p) {
		l = append(l, conformance.LwIP)
	}
	if conformance.IsLnetoPairing(p) {
		l = append(l, conformance.Lneto)
	}
	return l
}
