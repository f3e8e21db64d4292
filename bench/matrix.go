package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// MatrixTimes is the conformance matrix's timing, read from the Ginkgo JSON
// report of one `go tool ginkgo ./conformance` run.
type MatrixTimes struct {
	// Wall is the suite's run time as Ginkgo measured it (all parallel
	// processes together, from the first spec to the last).
	Wall time.Duration
	// Cells is how many cells (specs) ran; Failed how many of them failed.
	Cells, Failed int
	// ByPairing is the sum of the cells' own run times per pairing label
	// ("ours-gvisor"), and CellsByPairing how many cells each has.
	ByPairing      map[string]time.Duration
	CellsByPairing map[string]int
}

// ginkgoSuite is the part of a Ginkgo JSON suite report read here.
type ginkgoSuite struct {
	RunTime     time.Duration
	SpecReports []struct {
		LeafNodeType   string
		LeafNodeLabels []string
		State          string
		RunTime        time.Duration
	}
}

// ReadMatrixTimes reads a Ginkgo JSON report (`--json-report`).
func ReadMatrixTimes(r io.Reader) (MatrixTimes, error) {
	var suites []ginkgoSuite
	if err := json.NewDecoder(r).Decode(&suites); err != nil {
		return MatrixTimes{}, fmt.Errorf("not a Ginkgo JSON report: %w", err)
	}
	m := MatrixTimes{ByPairing: map[string]time.Duration{}, CellsByPairing: map[string]int{}}
	for _, s := range suites {
		m.Wall += s.RunTime
		for _, spec := range s.SpecReports {
			if spec.LeafNodeType != "It" || spec.State == "skipped" || spec.State == "pending" {
				continue
			}
			m.Cells++
			if spec.State != "passed" {
				m.Failed++
			}
			for _, p := range Pairings {
				if slices.Contains(spec.LeafNodeLabels, p.Name()) {
					m.ByPairing[p.Name()] += spec.RunTime
					m.CellsByPairing[p.Name()]++
				}
			}
		}
	}
	if m.Cells == 0 {
		return m, fmt.Errorf("the report holds no cell that ran")
	}
	return m, nil
}

// MatrixWallMax is issue 18's target for the whole matrix's wall time.
const MatrixWallMax = 30 * time.Second

// Verdict judges the matrix's wall time against MatrixWallMax.
func (m MatrixTimes) Verdict() Verdict {
	if m.Wall <= MatrixWallMax {
		return Met
	}
	return NotMet
}

// WriteTable prints the matrix's wall time, judged, and each pairing's
// share beside the control's.
func (m MatrixTimes) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "conformance matrix: %d cells (%d failed) in %.1f s wall time (target <= %v: %s)\n", m.Cells, m.Failed, m.Wall.Seconds(), MatrixWallMax, m.Verdict())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  pairing\tcells\tcells' time (s)\tvs control")
	control := m.ByPairing[Control.Name()]
	for _, p := range Pairings {
		ratio := "control"
		if p != Control {
			ratio = "-"
			if control > 0 {
				ratio = fmt.Sprintf("%.2fx", float64(m.ByPairing[p.Name()])/float64(control))
			}
		}
		fmt.Fprintf(tw, "  %s\t%d\t%.2f\t%s\n", pairingTitle(p.Name()), m.CellsByPairing[p.Name()], m.ByPairing[p.Name()].Seconds(), ratio)
	}
	return tw.Flush()
}
