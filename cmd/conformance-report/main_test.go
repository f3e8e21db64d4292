package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/tcpbed/tcpbed/conformance/report"
)

// writeReport writes a Ginkgo JSON report of a two-cell matrix: handshake
// passes in the control pairing and fails in ours->ours.
func writeReport(t *testing.T, dir string) string {
	t.Helper()
	cell := func(pairing string, state types.SpecState) types.SpecReport {
		return types.SpecReport{
			ContainerHierarchyTexts: []string{report.SuiteText, "handshake", "handshake"},
			LeafNodeType:            types.NodeTypeIt, LeafNodeText: report.CellText("handshake", pairing), State: state,
			Failure: types.Failure{Message: "scenario handshake failed"},
		}
	}
	data, err := json.Marshal([]types.Report{{SpecReports: []types.SpecReport{
		cell("gvisor->gvisor", types.SpecStatePassed), cell("ours->ours", types.SpecStateFailed),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "conformance.json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCmd(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestSummaryExitsOneOnAFailingCell(t *testing.T) {
	rep := writeReport(t, t.TempDir())
	code, out, _ := runCmd("summary", rep)
	if code != exitFailed || !strings.Contains(out, "handshake  FAIL") || !strings.Contains(out, "replay: go run ./cmd/tcpbed run handshake --client ours --server ours") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestUpdateBaselineThenGate(t *testing.T) {
	dir := t.TempDir()
	rep, base := writeReport(t, dir), filepath.Join(dir, "baseline.txt")
	if code, out, errOut := runCmd("update-baseline", "-baseline", base, rep); code != exitOK {
		t.Fatalf("update-baseline exit %d: %s%s", code, out, errOut)
	}
	written, _ := os.ReadFile(base)
	if !strings.HasSuffix(string(written), "handshake gvisor->gvisor pass\nhandshake ours->ours fail\n") {
		t.Fatalf("baseline:\n%s", written)
	}
	// The same report against its own baseline: the known failure does not
	// fail the gate.
	if code, out, _ := runCmd("gate", "-baseline", base, rep); code != exitOK || !strings.Contains(out, "gate: PASS") {
		t.Fatalf("gate on an unchanged matrix: exit %d:\n%s", code, out)
	}
	// A baseline that claims the failing cell passed: a regression.
	claimsPass := []byte("handshake gvisor->gvisor pass\nhandshake ours->ours pass\n")
	os.WriteFile(base, claimsPass, 0o644)
	code, out, _ := runCmd("gate", "-baseline", base, rep)
	if code != exitFailed || !strings.Contains(out, "handshake ours->ours: was pass, now fail") || !strings.Contains(out, "gate: FAIL") {
		t.Fatalf("gate on a regression: exit %d:\n%s", code, out)
	}
	// update-baseline will not record the regression unless told to.
	code, _, errOut := runCmd("update-baseline", "-baseline", base, rep)
	if after, _ := os.ReadFile(base); code != exitFailed || !strings.Contains(errOut, "handshake ours->ours: now fail") || string(after) != string(claimsPass) {
		t.Fatalf("update-baseline over a regression: exit %d, stderr %q, baseline now:\n%s", code, errOut, after)
	}
	if code, _, errOut := runCmd("update-baseline", "-accept-regressions", "-baseline", base, rep); code != exitOK {
		t.Fatalf("update-baseline -accept-regressions: exit %d: %s", code, errOut)
	}
	if after, _ := os.ReadFile(base); !strings.Contains(string(after), "handshake ours->ours fail\n") {
		t.Fatalf("baseline after accepting:\n%s", after)
	}
}

func TestBadArguments(t *testing.T) {
	dir := t.TempDir()
	rep := writeReport(t, dir)
	for _, args := range [][]string{
		nil,
		{"summary"},
		{"frobnicate", rep},
		{"summary", filepath.Join(dir, "missing.json")},
		{"gate", "-baseline", filepath.Join(dir, "missing.txt"), rep},
	} {
		if code, _, errOut := runCmd(args...); code != exitBadArgs || errOut == "" {
			t.Errorf("%q: exit %d, stderr %q; want %d and a message", args, code, errOut, exitBadArgs)
		}
	}
}
