package catalogue

import (
	"bytes"
	"fmt"
	"time"

	. "github.com/tcpbed/tcpbed/conformance"

	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The application of the nagle scenario: many small writes, close
// together against a 2 ms round trip.
const (
	nagleWrites    = 200
	nagleWriteSize = 20
	nagleWriteGap  = 500 * time.Microsecond
)

// maxTCPOptions is the most option space a TCP header has (RFC 9293 3.1:
// a data offset of 15 words).
const maxTCPOptions = 40

// nagle: the client writes 20 bytes every 0.5 ms with Nagle's algorithm on
// (ourstack's default; gVisor's is off, so it is turned on here). Expected:
// it never has two short segments unacknowledged at once (RFC 9293 3.7.4,
// SHLD-7; classic Nagle and Minshall's variant both keep this), so the
// writes are coalesced, and the server reads every byte in order.
var nagle = Scenario{
	Name:    "nagle",
	Section: "data",
	Summary: "20-byte writes every 0.5 ms with Nagle on: never two short segments unACKed at once",
	RFCs:    []string{"RFC 9293 3.7.4", "RFC 1122 4.2.3.4"},
	Setup:   func(s *Setup) { s.TCP.Nagle = true },
	Run:     runNagle,
}

func runNagle(e *Env) error {
	c, s := e.Connect()
	mark := e.Mark()
	var want, got []byte
	buf := make([]byte, 4096)
	readAll := func() {
		for {
			n, err := s.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil || n == 0 {
				return
			}
		}
	}
	for i := range nagleWrites {
		msg := bytes.Repeat([]byte{byte('a' + i%26)}, nagleWriteSize)
		want = append(want, msg...)
		if n, err := c.Write(msg); n != len(msg) || err != nil {
			e.Fatalf("each small write to be taken whole", "Write took %d of %d bytes: %v", n, len(msg), err)
		}
		e.Advance(nagleWriteGap)
		readAll()
	}
	e.WaitFor("the server to read every byte", func() bool {
		readAll()
		return len(got) >= len(want)
	})
	if !bytes.Equal(got, want) {
		e.Fatalf(fmt.Sprintf("the server to read the %d bytes written, in order", len(want)), "%d bytes, differing", len(got))
	}
	e.Advance(DelayedACKWait)

	// RFC 9293 3.7.4: with data unacknowledged, short segments wait until
	// it is acknowledged or a full segment can go. Walk the client's
	// segments: when a short one goes, no earlier short one may still be
	// unacknowledged by the ACKs that had reached the client.
	recs := e.Since(mark)
	// A full-sized segment fills the MSS, less room a stack may keep for
	// the largest TCP options (40 bytes, RFC 9293 3.1): gVisor's full
	// segments carry 40 bytes less than the MSS.
	mss := e.SendMSS(harness.ClientToServer)
	isShort := func(r *harness.Record) bool { return r.PayloadLen+TCPOptionBytes(r) < mss-maxTCPOptions }
	var acked seqnum.Value = 1
	var outstanding *harness.Record // the last short segment sent
	segments := 0
	EachSendWithArrivedACKs(recs, harness.ClientToServer, func(a *harness.Record) {
		if acked.LessThan(Rel(a.RelAck)) {
			acked = Rel(a.RelAck)
		}
	}, func(r *harness.Record) {
		if r.PayloadLen == 0 || !isShort(r) {
			return
		}
		segments++
		if outstanding != nil && acked.LessThan(Rel(outstanding.RelSeq+uint32(outstanding.PayloadLen))) &&
			Rel(outstanding.RelSeq).LessThan(Rel(r.RelSeq)) {
			e.Fatalf("no short segment sent while another is unacknowledged (Nagle, RFC 9293 3.7.4)",
				"#%d seq=%d len=%d went while #%d seq=%d len=%d was unacknowledged (acked up to %d)",
				r.Index, r.RelSeq, r.PayloadLen, outstanding.Index, outstanding.RelSeq, outstanding.PayloadLen, uint32(acked))
		}
		outstanding = r
	})
	if segments >= nagleWrites {
		e.Fatalf(fmt.Sprintf("the %d small writes coalesced into fewer segments", nagleWrites), "%d short segments", segments)
	}
	e.Observe("%d writes of %d bytes went in %d short segments", nagleWrites, nagleWriteSize, segments)
	e.ExpectStates(c, harness.Closed, harness.SynSent, harness.Established)
	e.ExpectStates(s, harness.Listen, harness.SynReceived, harness.Established)
	return nil
}
