package report

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onsi/ginkgo/v2/types"
)

// Outcome is how a cell ended.
type Outcome string

// The outcomes a cell can have; they are the baseline's third column.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
	Skip Outcome = "skip"
)

// SuiteText is the text of the conformance matrix's outermost container:
// specs under it are cells, specs elsewhere are not.
const SuiteText = "tcpbed conformance"

// CellEntryName names the report entry that carries a cell's CellInfo.
const CellEntryName = "tcpbed-cell"

// CellInfo is what the suite records about a cell as it runs it.
type CellInfo struct {
	Scenario string `json:"scenario"`
	Section  string `json:"section"`
	Pairing  string `json:"pairing"`
	Seed     uint64 `json:"seed"`
	// Order is the scenario's place in the catalogue, for printing rows in
	// catalogue order whatever order the parallel processes ran them in.
	Order int `json:"order"`
	// Replay is the tcpbed command that runs the cell again.
	Replay string `json:"replay"`
	// Pcap is the capture's path, set only when the cell failed.
	Pcap string `json:"pcap,omitempty"`
}

// Cell is one scenario in one pairing, as the report tells it.
type Cell struct {
	CellInfo
	Outcome Outcome
	// Reason is why a cell was skipped, or the first line of its failure.
	Reason string
	// Message is the whole failure message (expected, got, trace, replay).
	Message string
}

// Key identifies a cell: "scenario pairing", as the baseline writes it.
func (c Cell) Key() string { return CellText(c.Scenario, c.Pairing) }

// notRunReason starts the reason of a cell Ginkgo did not run (a label
// filter left it out) and the scenario did not skip.
const notRunReason = "not run ("

// CellText is the spec text of a cell: "<scenario> <pairing>".
func CellText(scenario, pairing string) string { return scenario + " " + pairing }

// ParseCellText splits a cell's spec text into scenario and pairing.
func ParseCellText(text string) (scenario, pairing string, ok bool) {
	scenario, pairing, ok = strings.Cut(strings.TrimSpace(text), " ")
	if !ok || scenario == "" || !strings.Contains(pairing, "->") || strings.ContainsAny(pairing, " \t") {
		return "", "", false
	}
	return scenario, pairing, true
}

// Cells extracts the cells of the conformance matrix from Ginkgo reports
// (a JSON report holds one per suite). Specs outside the matrix are
// ignored; a cell reported twice is an error.
func Cells(reports []types.Report) ([]Cell, error) {
	var cells []Cell
	seen := map[string]bool{}
	for _, r := range reports {
		for _, sr := range r.SpecReports {
			if sr.LeafNodeType != types.NodeTypeIt || len(sr.ContainerHierarchyTexts) == 0 || sr.ContainerHierarchyTexts[0] != SuiteText {
				continue
			}
			c, err := cellOf(sr)
			if err != nil {
				return nil, err
			}
			if seen[c.Key()] {
				return nil, fmt.Errorf("report: cell %q reported twice", c.Key())
			}
			seen[c.Key()] = true
			cells = append(cells, c)
		}
	}
	return cells, nil
}

func cellOf(sr types.SpecReport) (Cell, error) {
	scenario, pairing, ok := ParseCellText(sr.LeafNodeText)
	if !ok {
		return Cell{}, fmt.Errorf("report: spec %q under %q is not named \"<scenario> <client>-><server>\"", sr.LeafNodeText, SuiteText)
	}
	c := Cell{CellInfo: CellInfo{Scenario: scenario, Pairing: pairing, Order: -1}}
	if len(sr.ContainerHierarchyTexts) > 1 {
		c.Section = sr.ContainerHierarchyTexts[1]
	}
	for _, e := range sr.ReportEntries {
		if e.Name != CellEntryName {
			continue
		}
		if err := decodeEntry(e, &c.CellInfo); err != nil {
			return Cell{}, fmt.Errorf("report: cell %q: %w", c.Key(), err)
		}
	}
	c.Message = sr.Failure.Message
	switch {
	case sr.State == types.SpecStatePassed:
		c.Outcome = Pass
	case sr.State.Is(types.SpecStateSkipped | types.SpecStatePending):
		c.Outcome = Skip
		c.Reason = firstLine(sr.Failure.Message)
		if c.Reason == "" {
			c.Reason = notRunReason + sr.State.String() + ", e.g. filtered out)"
		}
	default:
		// Failed, panicked, timed out, interrupted, aborted: a failure.
		c.Outcome = Fail
		c.Reason = sr.State.String()
		if l := failureHeadline(sr.Failure.Message); l != "" {
			c.Reason += ": " + l
		}
	}
	return c, nil
}

// decodeEntry reads a CellInfo from an entry, whether it came from a JSON
// file (AsJSON set) or from a report built in the same process (raw value).
func decodeEntry(e types.ReportEntry, into *CellInfo) error {
	data := []byte(e.Value.AsJSON)
	if len(data) == 0 {
		var err error
		if data, err = json.Marshal(e.Value.GetRawValue()); err != nil {
			return err
		}
	}
	return json.Unmarshal(data, into)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// failureHeadline is the line of a failure message that says what failed:
// the first, or, after an Eventually's "Timed out after 10s.", the first
// two (the second is the description: "goroutines left running after ...").
func failureHeadline(msg string) string {
	first := firstLine(msg)
	if strings.HasPrefix(first, "Timed out after") {
		rest := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(msg), first))
		if second := firstLine(rest); second != "" {
			return first + " " + second
		}
	}
	return first
}
