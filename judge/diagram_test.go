package judge

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
)

// TestStatePaths: the diagram check takes the paths of figure 5 and the
// additions 3.10 makes, and refuses jumps the diagram does not have.
func TestStatePaths(t *testing.T) {
	id := harness.FourTuple{RemotePort: 80}
	path := func(states ...harness.State) []harness.StateChange {
		var cs []harness.StateChange
		for i := 1; i < len(states); i++ {
			cs = append(cs, harness.StateChange{Side: harness.Client, ID: id, From: states[i-1], To: states[i]})
		}
		return cs
	}
	for _, tc := range []struct {
		name    string
		changes []harness.StateChange
		ok      bool
	}{
		{"active close", path(harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.FinWait2, harness.TimeWait, harness.Closed), true},
		{"passive close", path(harness.Listen, harness.SynReceived, harness.Established, harness.CloseWait, harness.LastAck, harness.Closed), true},
		{"simultaneous close", path(harness.Closed, harness.SynSent, harness.Established, harness.FinWait1, harness.Closing, harness.TimeWait, harness.Closed), true},
		{"FIN with the ACK of ours", path(harness.Established, harness.FinWait1, harness.TimeWait, harness.Closed), true},
		{"reset", path(harness.Closed, harness.SynSent, harness.Established, harness.Closed), true},
		{"two incarnations", append(path(harness.Listen, harness.SynReceived, harness.Closed), path(harness.Listen, harness.SynReceived, harness.Established)...), true},
		{"ESTABLISHED straight to TIME-WAIT", path(harness.Established, harness.TimeWait), false},
		{"CLOSED straight to ESTABLISHED", path(harness.Closed, harness.Established), false},
		{"LAST-ACK back to CLOSE-WAIT", path(harness.CloseWait, harness.LastAck, harness.CloseWait), false},
		{"FIN-WAIT-2 to CLOSING", path(harness.FinWait1, harness.FinWait2, harness.Closing), false},
		{"a change that does not start where the last ended", append(path(harness.Closed, harness.SynSent), path(harness.Established, harness.FinWait1)...), false},
	} {
		if got := StatePaths(tc.changes, harness.Client); (got == "") != tc.ok {
			t.Errorf("%s: checkChanges = %q, want ok=%v", tc.name, got, tc.ok)
		}
	}
}
