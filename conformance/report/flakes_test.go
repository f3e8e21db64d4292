package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestFlakesListsOnlyCellsWhoseVerdictChanged(t *testing.T) {
	cell := func(scenario, pairing string, o Outcome, reason string) Cell {
		return Cell{CellInfo: CellInfo{Scenario: scenario, Pairing: pairing}, Outcome: o, Reason: reason}
	}
	runs := [][]Cell{
		{cell("echo", "ours->gvisor", Pass, ""), cell("out-of-order", "linux->ours", Pass, ""), cell("syn-flood", "ours->linux", Skip, "real time")},
		{cell("echo", "ours->gvisor", Pass, ""), cell("out-of-order", "linux->ours", Fail, "ACK #708"), cell("syn-flood", "ours->linux", Skip, "real time")},
		{cell("echo", "ours->gvisor", Pass, ""), cell("out-of-order", "linux->ours", Pass, "")},
	}
	got := Flakes(runs)
	if len(got) != 2 || got[0].Key != "out-of-order linux->ours" || got[1].Key != "syn-flood ours->linux" {
		t.Fatalf("flakes %+v, want out-of-order linux->ours (changed) and syn-flood ours->linux (absent once)", got)
	}
	if got[0].Outcomes[Pass] != 2 || got[0].Outcomes[Fail] != 1 || got[0].FirstFailure != "ACK #708" {
		t.Fatalf("out-of-order counted %+v", got[0])
	}
	var b bytes.Buffer
	if err := WriteFlakes(&b, 3, got); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 runs, 2 cell(s)", "out-of-order linux->ours: 2 pass, 1 fail", "first failure: ACK #708", "syn-flood ours->linux: 2 skip, 1 absent"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
	if Flakes(runs[:1]) != nil {
		t.Error("one run cannot flake")
	}
}
