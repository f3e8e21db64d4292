// Package tracetest builds trace records by hand, for the tests of the
// checks that read traces.
package tracetest

import (
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// The two directions, short.
const C2S, S2C = harness.ClientToServer, harness.ServerToClient

// Data builds record i: n bytes of data from seq in dir, sent at at and
// arrived at arrived.
func Data(i int, dir harness.Dir, at, arrived time.Duration, seq uint32, n int) *harness.Record {
	r := &harness.Record{Index: i, Dir: dir, At: at, Arrived: arrived, RelSeq: seq, PayloadLen: n}
	r.Packet.TCP.Flags = packet.ACK
	return r
}

// ACK builds record i: a pure ACK of ack in dir.
func ACK(i int, dir harness.Dir, at, arrived time.Duration, ack uint32) *harness.Record {
	r := &harness.Record{Index: i, Dir: dir, At: at, Arrived: arrived, RelAck: ack}
	r.Packet.TCP.Flags = packet.ACK
	return r
}
