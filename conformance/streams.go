package conformance

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/judge"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// Helpers that drive one connection's streams: a short exchange, the end
// of each stream, a one-way pump.

// exchangeSome moves a little data each way and lets the ACKs go, so that
// neither end's sequence numbers are still at 1.
func (e *Env) ExchangeSome(c, s harness.Conn) {
	req, resp := []byte("a request of some length from the client"), make([]byte, 3000)
	for i := range resp {
		resp[i] = byte(i)
	}
	e.WriteAll(c, req)
	e.ExpectRead(s, req)
	e.WriteAll(s, resp)
	e.ExpectRead(c, resp)
	e.Advance(DelayedACKWait)
}

// streamEnd is where side's send stream stands on the wire: the sequence
// number after the last segment it sent (relative and absolute), that is
// its SND.NXT when nothing is in flight.
func (e *Env) StreamEnd(side harness.Side) (relSeq uint32, abs seqnum.Value) {
	r := LastSegment(e.SentBy(0, side))
	if r == nil {
		e.Fail("a segment from the "+side.String(), "none")
		return 0, 0
	}
	n := uint32(r.SegLen())
	return r.RelSeq + n, r.Packet.TCP.Seq.Add(seqnum.Size(n))
}

// pump moves data from one end to the other, writing what the sender takes
// and reading what arrives at each step, and checks the digest.
func (e *Env) Pump(from, to harness.Conn, data []byte) {
	sent := 0
	got := make([]byte, 0, len(data))
	buf := make([]byte, 64<<10)
	who := fmt.Sprintf("%d bytes from the %s to the %s", len(data), e.Side(from), e.Side(to))
	e.WaitFor(who, func() bool {
		for sent < len(data) {
			n, err := from.Write(data[sent:])
			sent += n
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				e.Fatalf(who, "Write after %d bytes: %v", sent, err)
			}
			if n == 0 || err != nil {
				break
			}
		}
		for {
			k, err := to.Read(buf)
			if bad := judge.ReadContinues(data, sent, len(got), buf[:k], e.Side(from).String()); bad != "" {
				e.Fatalf(who+", each byte exactly once and in order", "%s", bad)
			}
			got = append(got, buf[:k]...)
			if err != nil && !errors.Is(err, harness.ErrWouldBlock) {
				e.Fatalf(who, "Read after %d bytes: %v", len(got), err)
			}
			if k == 0 || err != nil {
				break
			}
		}
		return len(got) >= len(data)
	})
	if sha256.Sum256(got) != sha256.Sum256(data) {
		e.Fatalf(who+", digest equal", "%d bytes with another digest", len(got))
	}
}

// delayedACKWait is long enough for any delayed ACK to go out (RFC 9293
// 3.8.6.3: less than 0.5 s).
const DelayedACKWait = time.Second

// statesOf is the state sequence of side's end: the states before
// ESTABLISHED of its open (active for the client, passive for the server),
// then the states given.
func StatesOf(side harness.Side, then ...harness.State) []harness.State {
	open := []harness.State{harness.Closed, harness.SynSent}
	if side == harness.Server {
		open = []harness.State{harness.Listen, harness.SynReceived}
	}
	return append(open, then...)
}
