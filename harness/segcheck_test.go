package harness_test

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// The combinators print what they expected and what came, like the field
// checks they combine.
func TestCheckCombinatorsSayWhatTheyWanted(t *testing.T) {
	synack := &harness.Record{RelSeq: 0, PayloadLen: 0}
	synack.Packet.TCP.Flags = packet.SYN | packet.ACK
	synack.Packet.TCP.SrcPort = 7357
	for _, tc := range []struct {
		check harness.SegCheck
		want  string // "" when the check holds
	}{
		{harness.Not(harness.FlagsInclude(packet.SYN)), "flags: got [S.], want not [S+...]"},
		{harness.Not(harness.HasData()), ""},
		{harness.AnyOf(harness.HasData(), harness.Flags(packet.RST)), "any of: got len=0 flags=[S.], want (len=>0 | flags=[R])"},
		{harness.AnyOf(harness.HasData(), harness.SrcPort(7357)), ""},
		{harness.SeqBetween(1, 5), "seq: got 0, want 1..5"},
		{harness.Where("sent by the listener", func(r *harness.Record) bool { return r.Packet.TCP.SrcPort == 80 }), "sent by the listener: got false, want true"},
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
