package report

import (
	"github.com/onsi/ginkgo/v2/types"
)

// spec builds the SpecReport the suite makes for one cell.
func spec(scenario, section, pairing string, order int, state types.SpecState, message string) types.SpecReport {
	sr := types.SpecReport{
		ContainerHierarchyTexts: []string{SuiteText, section, scenario},
		LeafNodeType:            types.NodeTypeIt,
		LeafNodeText:            CellText(scenario, pairing),
		State:                   state,
		Failure:                 types.Failure{Message: message},
	}
	client, server := splitPairing(pairing)
	info := CellInfo{Scenario: scenario, Section: section, Pairing: pairing, Seed: 1, Order: order,
		Replay: "go run ./cmd/tcpbed run " + scenario + " --client " + client + " --server " + server + " --seed 1 --trace"}
	if state.Is(types.SpecStateFailureStates) {
		info.Pcap = "out/pcap/" + scenario + "_" + client + "-" + server + "_1.pcap"
	}
	sr.ReportEntries = types.ReportEntries{{Name: CellEntryName, Value: types.WrapEntryValue(info)}}
	return sr
}

func splitPairing(p string) (client, server string) {
	for i := 0; i+1 < len(p); i++ {
		if p[i:i+2] == "->" {
			return p[:i], p[i+2:]
		}
	}
	return p, ""
}

// matrix is a small report: two scenarios, a failing ourstack cell, a
// skipped one, and a spec outside the matrix that must be ignored.
func matrix(states map[string]types.SpecState) []types.Report {
	cells := []struct {
		scenario, section, pairing string
		order                      int
	}{
		{"handshake", "handshake", "ours->gvisor", 0},
		{"handshake", "handshake", "gvisor->gvisor", 0},
		{"time-wait", "time-wait", "ours->gvisor", 1},
		{"time-wait", "time-wait", "gvisor->gvisor", 1},
	}
	r := types.Report{SuiteDescription: "Conformance"}
	for _, c := range cells {
		st, ok := states[CellText(c.scenario, c.pairing)]
		if !ok {
			st = types.SpecStatePassed
		}
		msg := ""
		switch st {
		case types.SpecStateFailed:
			msg = "scenario " + c.scenario + " failed\nexpected: ...\ngot: ..."
		case types.SpecStateSkipped:
			msg = "gVisor's API cannot express it"
		}
		r.SpecReports = append(r.SpecReports, spec(c.scenario, c.section, c.pairing, c.order, st, msg))
	}
	// Not a cell: a spec outside the matrix's container.
	r.SpecReports = append(r.SpecReports, types.SpecReport{
		ContainerHierarchyTexts: []string{"matchers"}, LeafNodeType: types.NodeTypeIt,
		LeafNodeText: "show the exchange", State: types.SpecStateFailed,
	})
	return []types.Report{r}
}
