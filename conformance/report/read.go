package report

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/onsi/ginkgo/v2/types"
)

// ReadFile reads a Ginkgo JSON report (--json-report) and returns its cells.
func ReadFile(path string) ([]Cell, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var reports []types.Report
	if err := json.Unmarshal(data, &reports); err != nil {
		return nil, fmt.Errorf("report: %s is not a Ginkgo JSON report: %w", path, err)
	}
	cells, err := Cells(reports)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(cells) == 0 {
		return nil, fmt.Errorf("report: %s holds no conformance cells (no spec under %q)", path, SuiteText)
	}
	return cells, nil
}
