package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

func cellsOf(t *testing.T, reports []types.Report) []Cell {
	t.Helper()
	cells, err := Cells(reports)
	if err != nil {
		t.Fatal(err)
	}
	return cells
}

func TestCellsReadsOutcomesAndInfo(t *testing.T) {
	cells := cellsOf(t, matrix(map[string]types.SpecState{
		"time-wait ours->gvisor": types.SpecStateFailed,
		"handshake ours->gvisor": types.SpecStateSkipped,
	}))
	if len(cells) != 4 {
		t.Fatalf("got %d cells, want 4 (the spec outside the matrix ignored): %+v", len(cells), cells)
	}
	got := map[string]Cell{}
	for _, c := range cells {
		got[c.Key()] = c
	}
	tw := got["time-wait ours->gvisor"]
	if tw.Outcome != Fail || tw.Section != "time-wait" || tw.Order != 1 || !strings.HasPrefix(tw.Reason, "failed: scenario time-wait failed") {
		t.Errorf("failing cell read as %+v", tw)
	}
	if tw.Pcap != "out/pcap/time-wait_ours-gvisor_1.pcap" || !strings.HasPrefix(tw.Replay, "go run ./cmd/tcpbed run time-wait --client ours --server gvisor") {
		t.Errorf("failing cell's pcap %q, replay %q", tw.Pcap, tw.Replay)
	}
	if hs := got["handshake ours->gvisor"]; hs.Outcome != Skip || hs.Reason != "gVisor's API cannot express it" {
		t.Errorf("skipped cell read as %+v", hs)
	}
	if hs := got["handshake gvisor->gvisor"]; hs.Outcome != Pass || hs.Reason != "" {
		t.Errorf("passing cell read as %+v", hs)
	}
}

func TestSummaryMarksPairingsAScenarioDoesNotRunIn(t *testing.T) {
	cells := cellsOf(t, matrix(nil))
	cells = append(cells, Cell{CellInfo: CellInfo{Scenario: "raw-probe", Pairing: "raw->gvisor", Order: 2}, Outcome: Pass})
	var b bytes.Buffer
	WriteSummary(&b, cells)
	for _, want := range []string{
		"scenario   ours->gvisor  gvisor->gvisor  raw->gvisor",
		"handshake  pass          pass            -",
		"raw-probe  -             -               pass",
		"5 cells: 5 pass, 0 FAIL, 0 skip (\"-\": the scenario does not run in that pairing)",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
}

func TestCellsFilteredOutSpecIsSkipWithReason(t *testing.T) {
	r := types.Report{SpecReports: []types.SpecReport{{
		ContainerHierarchyTexts: []string{SuiteText, "data", "echo"},
		LeafNodeType:            types.NodeTypeIt, LeafNodeText: "echo ours->ours", State: types.SpecStateSkipped,
	}}}
	cells := cellsOf(t, []types.Report{r})
	if len(cells) != 1 || cells[0].Outcome != Skip || !strings.Contains(cells[0].Reason, "not run") || cells[0].Order != -1 {
		t.Fatalf("got %+v", cells)
	}
}

func TestCellsRejectsMalformedAndDuplicateCells(t *testing.T) {
	bad := matrix(nil)
	bad[0].SpecReports[0].LeafNodeText = "handshake"
	if _, err := Cells(bad); err == nil || !strings.Contains(err.Error(), "not named") {
		t.Errorf("cell without a pairing: err %v", err)
	}
	dup := matrix(nil)
	dup[0].SpecReports = append(dup[0].SpecReports, dup[0].SpecReports[0])
	if _, err := Cells(dup); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate cell: err %v", err)
	}
}

func TestReadFileRoundTripsGinkgoJSON(t *testing.T) {
	data, err := json.Marshal(matrix(map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateTimedout}))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "conformance.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cells, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Key() == "time-wait ours->gvisor" && (c.Outcome != Fail || c.Pcap == "" || c.Replay == "") {
			t.Errorf("timed-out cell after a JSON round trip: %+v", c)
		}
	}
	if _, err := ReadFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing report: no error")
	}
	empty := filepath.Join(t.TempDir(), "empty.json")
	os.WriteFile(empty, []byte("[]"), 0o644)
	if _, err := ReadFile(empty); err == nil || !strings.Contains(err.Error(), "no conformance cells") {
		t.Errorf("report without cells: err %v", err)
	}
}

func TestSummaryTable(t *testing.T) {
	cells := cellsOf(t, matrix(map[string]types.SpecState{
		"time-wait ours->gvisor": types.SpecStateFailed,
		"handshake ours->gvisor": types.SpecStateSkipped,
	}))
	// Rows follow the catalogue's order even when the cells come reversed,
	// as parallel processes may report them.
	for i, j := 0, len(cells)-1; i < j; i, j = i+1, j-1 {
		cells[i], cells[j] = cells[j], cells[i]
	}
	var b bytes.Buffer
	if err := WriteSummary(&b, cells); err != nil {
		t.Fatal(err)
	}
	want := `scenario   ours->gvisor  gvisor->gvisor
handshake  skip[1]       pass
time-wait  FAIL          pass

4 cells: 2 pass, 1 FAIL, 1 skip

skipped:
  [1] gVisor's API cannot express it

failed:
  time-wait ours->gvisor: failed: scenario time-wait failed
    replay: go run ./cmd/tcpbed run time-wait --client ours --server gvisor --seed 1 --trace
    pcap:   out/pcap/time-wait_ours-gvisor_1.pcap

`
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestFailureHeadlineKeepsEventuallysDescription(t *testing.T) {
	r := matrix(map[string]types.SpecState{"handshake gvisor->gvisor": types.SpecStateFailed})
	for i := range r[0].SpecReports {
		if r[0].SpecReports[i].LeafNodeText == "handshake gvisor->gvisor" {
			r[0].SpecReports[i].Failure.Message = "Timed out after 10.001s.\ngoroutines left running after handshake (gvisor->gvisor)\nExpected not to leak 1 goroutines:"
		}
	}
	for _, c := range cellsOf(t, r) {
		if c.Key() == "handshake gvisor->gvisor" && c.Reason != "failed: Timed out after 10.001s. goroutines left running after handshake (gvisor->gvisor)" {
			t.Errorf("reason %q", c.Reason)
		}
	}
}

// TestSummaryLeavesFilteredCellsOutAndOrdersFamilies: a cell a label
// filter left out is counted apart, not shown as a column of skips, and
// the IPv6 columns follow the IPv4 ones, each family in PairingOrder.
func TestSummaryLeavesFilteredCellsOutAndOrdersFamilies(t *testing.T) {
	r := types.Report{SuiteDescription: "Conformance"}
	for _, p := range []string{"ours->gvisor/ipv6", "lwip->gvisor", "gvisor->ours", "ours->gvisor", "gvisor->ours/ipv6"} {
		st, msg := types.SpecStatePassed, ""
		if p == "lwip->gvisor" {
			st = types.SpecStateSkipped // filtered out: no message
		}
		r.SpecReports = append(r.SpecReports, spec("echo", "data", p, 0, st, msg))
	}
	cells, err := Cells([]types.Report{r})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := WriteSummary(&out, cells); err != nil {
		t.Fatal(err)
	}
	header := strings.Fields(strings.SplitN(out.String(), "\n", 2)[0])
	want := []string{"scenario", "ours->gvisor", "gvisor->ours", "ours->gvisor/ipv6", "gvisor->ours/ipv6"}
	if !slices.Equal(header, want) {
		t.Errorf("columns %q, want %q", header, want)
	}
	if !strings.Contains(out.String(), "4 cells: 4 pass, 0 FAIL, 0 skip; 1 more not run (filtered out)") {
		t.Errorf("the count does not set the filtered cell apart:\n%s", out.String())
	}
}
