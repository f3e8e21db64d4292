package judge

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// TestStatePaths: the diagram check takes the paths of figure 5 and the
// additions 3.10 makes, and refuses jumps the diagram does not have.
func TestStatePaths(t *testing.T) {
	id := tcp.FourTuple{RemotePort: 80}
	path := func(states ...tcp.State) []harness.StateChange {
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
		{"active close", path(tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.FinWait2, tcp.TimeWait, tcp.Closed), true},
		{"passive close", path(tcp.Listen, tcp.SynReceived, tcp.Established, tcp.CloseWait, tcp.LastAck, tcp.Closed), true},
		{"simultaneous close", path(tcp.Closed, tcp.SynSent, tcp.Established, tcp.FinWait1, tcp.Closing, tcp.TimeWait, tcp.Closed), true},
		{"FIN with the ACK of ours", path(tcp.Established, tcp.FinWait1, tcp.TimeWait, tcp.Closed), true},
		{"reset", path(tcp.Closed, tcp.SynSent, tcp.Established, tcp.Closed), true},
		{"two incarnations", append(path(tcp.Listen, tcp.SynReceived, tcp.Closed), path(tcp.Listen, tcp.SynReceived, tcp.Established)...), true},
		{"ESTABLISHED straight to TIME-WAIT", path(tcp.Established, tcp.TimeWait), false},
		{"CLOSED straight to ESTABLISHED", path(tcp.Closed, tcp.Established), false},
		{"LAST-ACK back to CLOSE-WAIT", path(tcp.CloseWait, tcp.LastAck, tcp.CloseWait), false},
		{"FIN-WAIT-2 to CLOSING", path(tcp.FinWait1, tcp.FinWait2, tcp.Closing), false},
		{"a change that does not start where the last ended", append(path(tcp.Closed, tcp.SynSent), path(tcp.Established, tcp.FinWait1)...), false},
	} {
		if got := StatePaths(tc.changes, harness.Client); (got == "") != tc.ok {
			t.Errorf("%s: checkChanges = %q, want ok=%v", tc.name, got, tc.ok)
		}
	}
}
