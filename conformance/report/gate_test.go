package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"
)

// allPass is the baseline of the fixture matrix with every cell passing
// except time-wait ours->gvisor, a known failure.
func allPass() Baseline {
	return Baseline{
		"handshake ours->gvisor":   Pass,
		"handshake gvisor->gvisor": Pass,
		"time-wait ours->gvisor":   Fail,
		"time-wait gvisor->gvisor": Pass,
	}
}

func gate(t *testing.T, base Baseline, states map[string]types.SpecState) (Comparison, string) {
	t.Helper()
	cmp := Compare(base, cellsOf(t, matrix(states)))
	var b bytes.Buffer
	if err := cmp.Write(&b, "conformance/baseline.txt"); err != nil {
		t.Fatal(err)
	}
	return cmp, b.String()
}

func TestGateAllAsInBaselinePasses(t *testing.T) {
	cmp, out := gate(t, allPass(), map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateFailed})
	if !cmp.OK() || len(cmp.StillFailing) != 1 || len(cmp.New)+len(cmp.Fixed)+len(cmp.Vanished) != 0 {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
	if !strings.HasSuffix(out, "gate: PASS (no cell regressed against the baseline)\n") || strings.Contains(out, UpdateCommand) {
		t.Errorf("output:\n%s", out)
	}
}

func TestGateRegressionFailsNamingCellAndReplay(t *testing.T) {
	cmp, out := gate(t, allPass(), map[string]types.SpecState{
		"time-wait ours->gvisor":   types.SpecStateFailed,
		"handshake gvisor->gvisor": types.SpecStateFailed,
	})
	if cmp.OK() || len(cmp.Regressions) != 1 || cmp.Regressions[0].Key() != "handshake gvisor->gvisor" {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
	for _, want := range []string{
		"REGRESSIONS: 1 cell(s) passed in conformance/baseline.txt and do not now:",
		"handshake gvisor->gvisor: was pass, now fail (failed: scenario handshake failed)",
		"replay: go run ./cmd/tcpbed run handshake --client gvisor --server gvisor --seed 1 --trace",
		"pcap:   out/pcap/handshake_gvisor-gvisor_1.pcap",
		"gate: FAIL (1 regression(s), 0 vanished cell(s), 0 failure(s) outside the matrix)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGateSkipOfAPassingCellIsARegression(t *testing.T) {
	cmp, out := gate(t, allPass(), map[string]types.SpecState{
		"time-wait ours->gvisor": types.SpecStateFailed,
		"handshake ours->gvisor": types.SpecStateSkipped,
	})
	if cmp.OK() || len(cmp.Regressions) != 1 || !strings.Contains(out, "handshake ours->gvisor: was pass, now skip") {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
}

func TestGateNewPassSuggestsUpdate(t *testing.T) {
	cmp, out := gate(t, allPass(), nil) // time-wait ours->gvisor now passes
	if !cmp.OK() || len(cmp.Fixed) != 1 || cmp.Fixed[0].Key() != "time-wait ours->gvisor" {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
	for _, want := range []string{"newly passing: 1 cell(s):", "time-wait ours->gvisor: was not pass, now pass", "run `make baseline`", "gate: PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGateNewCellIsReportedNotFailed(t *testing.T) {
	base := allPass()
	delete(base, "time-wait gvisor->gvisor")
	cmp, out := gate(t, base, map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateFailed})
	if !cmp.OK() || len(cmp.New) != 1 || cmp.New[0].Key() != "time-wait gvisor->gvisor" {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
	for _, want := range []string{"new: 1 cell(s) not in the baseline:", "time-wait gvisor->gvisor: pass", "run `make baseline`"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGateVanishedCellFails(t *testing.T) {
	base := allPass()
	base["syn-flood gvisor->gvisor"] = Pass
	base["rst-validation ours->ours"] = Fail
	cmp, out := gate(t, base, map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateFailed})
	if cmp.OK() || len(cmp.Vanished) != 2 || cmp.Vanished[0] != "rst-validation ours->ours" {
		t.Fatalf("comparison %+v\n%s", cmp, out)
	}
	for _, want := range []string{"VANISHED: 2 cell(s)", "  syn-flood gvisor->gvisor\n", "gate: FAIL (0 regression(s), 2 vanished cell(s), 0 failure(s) outside the matrix)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestGateFailsOnAFailureOutsideTheMatrix(t *testing.T) {
	reports := matrix(map[string]types.SpecState{"time-wait ours->gvisor": types.SpecStateFailed})
	strays := StrayFailures(reports)
	if len(strays) != 1 || !strings.HasPrefix(strays[0], "matchers show the exchange: failed") {
		t.Fatalf("strays %q, want the fixture's failing spec outside the matrix", strays)
	}
	cmp := Compare(allPass(), cellsOf(t, reports))
	cmp.Strays = strays
	var b bytes.Buffer
	cmp.Write(&b, "conformance/baseline.txt")
	if cmp.OK() || !strings.Contains(b.String(), "FAILED OUTSIDE THE MATRIX: 1") || !strings.Contains(b.String(), "1 failure(s) outside the matrix") {
		t.Fatalf("comparison %+v\n%s", cmp, b.String())
	}
}
