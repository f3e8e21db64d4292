package conformance

import (
	"fmt"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/ourstack/tcp"
)

// bulkSize is the catalogue's bulk transfer: 16 MiB one way.
const bulkSize = 16 << 20

var bulkTransfer = Scenario{
	Name:    "bulk-transfer",
	Section: "data",
	Summary: "16 MiB client to server: every data segment fits the server's MSS (RFC 9293 3.7.1), the server's ACKs are cumulative and never go backwards, the digest of what the server read equals the client's",
	Run:     runBulkTransfer,
}

func runBulkTransfer(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	e.NewTransfer(c, s, bulkSize).Run()

	// The last ACK may be a delayed one (at most 0.5 s, RFC 9293 3.8.6.3).
	e.Advance(delayedACKWait)
	e.expectSegmentsFitMSS(mark, harness.ClientToServer)
	e.expectCumulativeAcks(mark, harness.ServerToClient, nil)
	e.expectAllAcked(mark, harness.ClientToServer, bulkSize)

	e.ExpectStates(c, tcp.Closed, tcp.SynSent, tcp.Established)
	e.ExpectStates(s, tcp.Listen, tcp.SynReceived, tcp.Established)
	return nil
}

// delayedACKWait is long enough for any delayed ACK to go out (RFC 9293
// 3.8.6.3: less than 0.5 s).
const delayedACKWait = time.Second

// expectAllAcked checks that the last acknowledgment sent back against dir
// covers all n bytes the sender in dir sent after the handshake.
func (e *Env) expectAllAcked(mark int, dir harness.Dir, n int) {
	recs := e.Since(mark)
	for i := len(recs) - 1; i >= 0; i-- {
		r := recs[i]
		if r.Dir == dir || !intact(r) || !r.Packet.TCP.Flags.Has(ACK) {
			continue
		}
		if r.RelAck != uint32(n)+1 {
			e.Fatalf(fmt.Sprintf("the last ACK %s to acknowledge all %d bytes: ack=%d", 1-dir, n, n+1),
				"#%d ack=%d", r.Index, r.RelAck)
		}
		return
	}
	e.Fail(fmt.Sprintf("an ACK %s", 1-dir), "none")
}
