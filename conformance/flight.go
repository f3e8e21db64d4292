package conformance

import (
	"github.com/tcpbed/tcpbed/harness"
	"gvisor.dev/gvisor/pkg/tcpip/seqnum"
)

// The flight a sender kept, read from the trace: what the congestion,
// window and Nagle checks measure.

// sendFlight is the sender's view as one data segment leaves: the highest
// sequence number sent (SND.NXT's high-water mark, counting this segment),
// the highest acknowledgment that had reached it, and the bytes between.
type SendFlight struct {
	Rec         *harness.Record
	High, Acked seqnum.Value
	Bytes       int
}

// flightAtEachSend walks the trace and gives, for each intact data segment
// sent in dir, the sender's flight then: its highest sequence number sent
// less the highest acknowledgment that had reached it (ACKs count from when
// they arrived, not when they were sent: on a link with delay they arrive
// in another order). Segments sent before any ACK had arrived are left out.
func FlightAtEachSend(recs []*harness.Record, dir harness.Dir) []SendFlight {
	var out []SendFlight
	var high, acked seqnum.Value
	var haveHigh, haveAck bool
	EachSendWithArrivedACKs(recs, dir, func(a *harness.Record) {
		if !haveAck || acked.LessThan(Rel(a.RelAck)) {
			acked, haveAck = Rel(a.RelAck), true
		}
	}, func(r *harness.Record) {
		if r.PayloadLen == 0 {
			return
		}
		if end := Rel(r.RelSeq).Add(seqnum.Size(r.PayloadLen)); !haveHigh || high.LessThan(end) {
			high, haveHigh = end, true
		}
		if haveAck {
			out = append(out, SendFlight{Rec: r, High: high, Acked: acked, Bytes: int(acked.Size(high))})
		}
	})
	return out
}

// flightOf is the flight as r left, or the zero sendFlight.
func FlightOf(flights []SendFlight, r *harness.Record) SendFlight {
	for _, f := range flights {
		if f.Rec == r {
			return f
		}
	}
	return SendFlight{}
}
