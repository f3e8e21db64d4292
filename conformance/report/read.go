package report

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/onsi/ginkgo/v2/types"
)

// ReadReports reads a Ginkgo JSON report (--json-report): one Report per
// suite.
func ReadReports(path string) ([]types.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("report: %s is not a Ginkgo JSON report: %w", path, err)
	}
	return reports, nil
}

// ReadFile reads a Ginkgo JSON report and returns its cells.
func ReadFile(path string) ([]Cell, error) {
	reports, err := ReadReports(path)
	if err != nil {
		return nil, err
	}
	cells, err := Cells(reports)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("report: %s holds no conformance cells (no spec under %q: did the suite build and run? see Ginkgo's output above)", path, SuiteText)
	}
	return cells, nil
}

// StrayFailures lists what failed outside the matrix's cells: a spec not
// under SuiteText, or a suite-level node (BeforeSuite, ReportAfterSuite).
// Such a failure has no baseline entry, so the gate fails on it.
func StrayFailures(reports []types.Report) []string {
	var out []string
	for _, r := range reports {
		for _, sr := range r.SpecReports {
			if !sr.State.Is(types.SpecStateFailureStates) {
				continue
			}
			inMatrix := sr.LeafNodeType == types.NodeTypeIt && len(sr.ContainerHierarchyTexts) > 0 && sr.ContainerHierarchyTexts[0] == SuiteText
			if inMatrix {
				continue
			}
			text := sr.FullText()
			if text == "" {
				text = "[" + sr.LeafNodeType.String() + "]"
			}
			out = append(out, fmt.Sprintf("%s: %s: %s", text, sr.State, failureHeadline(sr.Failure.Message)))
		}
	}
	return out
}
