package conformance

import (
	"testing"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// cleanStreams on one direction's segments (client to server), each
// {relative seq, length}, acknowledged in full by the server at the end.
func TestCleanStreams(t *testing.T) {
	for _, tc := range []struct {
		name   string
		segs   [][2]uint32
		judged bool // the cell's judge rules on copies (a clean wire)
		ok     bool
	}{
		{"in order", [][2]uint32{{1, 10}, {11, 10}, {21, 5}}, true, true},
		{"a copy of the last segment (the judge's to judge)", [][2]uint32{{1, 10}, {11, 10}, {11, 10}}, true, true},
		{"a copy of part of what was sent", [][2]uint32{{1, 10}, {11, 10}, {5, 6}}, true, true},
		{"a copy where the judge does not rule on it", [][2]uint32{{1, 10}, {11, 10}, {11, 10}}, false, false},
		{"a hole", [][2]uint32{{1, 10}, {21, 10}}, true, false},
		{"a resend that runs past what was sent", [][2]uint32{{1, 10}, {11, 10}, {11, 20}}, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []*harness.Record
			end := uint32(1)
			for i, s := range tc.segs {
				r := &harness.Record{Index: i, Dir: harness.ClientToServer, RelSeq: s[0], RelAck: 1, PayloadLen: int(s[1])}
				r.Packet.TCP.Flags = packet.ACK
				recs = append(recs, r)
				end = max(end, s[0]+s[1])
			}
			ack := &harness.Record{Index: len(recs), Dir: harness.ServerToClient, RelSeq: 1, RelAck: end}
			ack.Packet.TCP.Flags = packet.ACK
			recs = append(recs, ack)
			expected, got, _ := cleanStreams(recs, tc.judged)
			if (expected == "") != tc.ok {
				t.Errorf("cleanStreams: expected %q, got %q; want ok=%v", expected, got, tc.ok)
			}
		})
	}
}
