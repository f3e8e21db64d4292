package harness_test

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// The checks the fault rules added print what they expected and what
// came, and Matches agrees with CheckRecord.
func TestChecksSayWhatTheyWanted(t *testing.T) {
	synack := &harness.Record{RelSeq: 0, PayloadLen: 0}
	synack.Packet.TCP.Flags = packet.SYN | packet.ACK
	synack.Packet.TCP.SrcPort = 7357
	for _, tc := range []struct {
		check harness.SegCheck
		want  string // "" when the check holds
	}{
		{harness.SeqBetween(1, 5), "seq: got 0, want 1..5"},
		{harness.SeqBetween(0, 5), ""},
		{harness.SrcPort(7357), ""},
		{harness.SrcPort(80), "src port: got 7357, want 80"},
		{harness.HasData(), "len: got 0, want >0"},
	} {
		err := harness.CheckRecord(synack, tc.check)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want a match", harness.DescribeChecks([]harness.SegCheck{tc.check}), err)
		case tc.want != "" && (err == nil || err.Error() != tc.want):
			t.Errorf("%s: error %v, want %q", harness.DescribeChecks([]harness.SegCheck{tc.check}), err, tc.want)
		}
		if got := harness.Matches(synack, tc.check); got != (tc.want == "") {
			t.Errorf("Matches(%s) = %v, want %v", harness.DescribeChecks([]harness.SegCheck{tc.check}), got, tc.want == "")
		}
	}
}
