package fuzz

import (
	"cmp"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
	"github.com/tcpbed/tcpbed/judge"
)

// The oracle of FuzzInterop. While the program runs, every Read is checked
// as it returns (interopEnd.check and ended): what a side reads is a prefix
// of what the other side wrote, nothing comes after EOF or a reset, and an
// EOF comes only after the other side half-closed and every byte it wrote
// was read. After the run:
//
//   - checkFinalStates: with the faults lifted, both applications read to
//     the end and closed, and every timer ran out, every connection either
//     end ever had is CLOSED: nothing is stuck (TIME-WAIT has ended too);
//   - checkTimeWait: TIME-WAIT lasted 2MSL, counted from entering it or
//     from the last retransmitted FIN it re-ACKed (RFC 9293 3.10.7.4:
//     "restart the 2 MSL timeout");
//   - checkOurPaths: ourstack's states followed RFC 9293's diagram;
//   - runInterop itself: no goroutine outlives Net.Close.

// checkFinalStates: every connection of the trace ends CLOSED at both ends.
func (r *interopRun) checkFinalStates() {
	last := map[[2]any]harness.StateChange{}
	for _, c := range r.net.Trace().Changes {
		if c.ID.RemotePort == 0 {
			continue // a listener
		}
		last[[2]any{c.Side, c.ID}] = c
	}
	for _, c := range last {
		if c.To != harness.Closed {
			r.violate("stuck: the %s's connection %v:%d ended the run in %v (since %v), not CLOSED",
				c.Side, c.ID.RemoteAddr, c.ID.RemotePort, c.To, c.At)
		}
	}
}

// checkTimeWait: each stay in TIME-WAIT, at either end, lasted 2MSL from
// its last restart. The exceptions: an application's ABORT in TIME-WAIT
// deletes the TCB at once (RFC 9293 3.10.5), and so may a CLOSE with
// unread data (see resetAt's use).
func (r *interopRun) checkTimeWait() {
	t := r.net.Trace()
	for i, c := range t.Changes {
		if c.To != harness.TimeWait {
			continue
		}
		var exit *harness.StateChange
		for j := i + 1; j < len(t.Changes); j++ {
			if t.Changes[j].Side == c.Side && t.Changes[j].ID == c.ID {
				exit = &t.Changes[j]
				break
			}
		}
		if exit == nil {
			continue // checkFinalStates reports it
		}
		if at := r.abortAt[c.Side]; at >= c.At && at <= exit.At {
			continue
		}
		if r.resetAt(c.Side, exit.At) {
			// The application closed with unread data and the end reset
			// the connection as it left TIME-WAIT (RFC 1122 4.2.2.13:
			// "SHOULD send a RST to show that data was lost"). gVisor does,
			// as Linux does; ourstack flushes the data and keeps waiting.
			continue
		}
		// The last FIN from the peer that reached this end intact while
		// it was in TIME-WAIT restarts the wait.
		// start is the latest restart that must have happened; maybe are
		// the FINs that may or may not restart the wait.
		start := c.At
		maybe := []time.Duration{c.At}
		var tsRecent uint32
		tsSeen := false
		for _, rec := range arrivals(t, c.Side, c.ID) {
			opts := &rec.Packet.TCP.Options
			older := opts.HasTimestamps && tsSeen && int32(opts.TSVal-tsRecent) < 0
			if opts.HasTimestamps && (!tsSeen || int32(opts.TSVal-tsRecent) > 0) {
				tsRecent, tsSeen = opts.TSVal, true
			}
			if !rec.Packet.TCP.Flags.Has(packet.FIN) || rec.Arrived < c.At || rec.Arrived >= exit.At {
				continue
			}
			if r.ends[c.Side].kind == "gvisor" && rec.PayloadLen > 0 {
				// gVisor restarts the wait only for a bare FIN
				// (rcv.go handleTimeWaitSegment: SEG.SEQ+1 = RCV.NXT),
				// not for a FIN retransmitted with the data before it
				// (conformance.GVisorTimeWaitIgnoresFINWithData).
				continue
			}
			maybe = append(maybe, rec.Arrived)
			if older && r.ends[c.Side].kind == "ours" {
				// An old duplicate of the FIN, overtaken by its
				// retransmission: PAWS rejects it before the TIME-WAIT
				// processing (RFC 7323 5.3 R1: ACK and drop) if
				// TS.Recent took the newer TSval, which it did only if
				// that segment covered Last.ACK.sent (4.3): it may or may
				// not restart the wait. gVisor has no PAWS.
				continue
			}
			start = max(start, rec.Arrived)
		}
		// To within the few clock ticks a timer fires late (harness.PeerClock).
		restart := exit.At - 2*interopMSL
		if restart < start-judge.TimerSlack || !slices.ContainsFunc(maybe, func(m time.Duration) bool { return judge.OnTime(restart, m) }) {
			r.violate("the %s (%s) left TIME-WAIT for %v %v after entering it at %v (last restart at %v); 2MSL is %v",
				c.Side, r.ends[c.Side].kind, exit.To, exit.At-c.At, c.At, start, 2*interopMSL)
		}
	}
}

// arrivals are the packets of connection id (seen from side) that reached
// side intact, in the order they arrived (a delayed one after those that
// overtook it).
func arrivals(t *harness.Trace, side harness.Side, id harness.FourTuple) []*harness.Record {
	var in []*harness.Record
	for _, rec := range t.Records {
		if rec.Dir.To() == side && !rec.Fate.Lost() && rec.Fate != harness.InFlight && rec.ConnID(side) == id {
			in = append(in, rec)
		}
	}
	slices.SortStableFunc(in, func(a, b *harness.Record) int { return cmp.Compare(a.Arrived, b.Arrived) })
	return in
}

// resetAt reports whether side sent an RST at virtual time at.
func (r *interopRun) resetAt(side harness.Side, at time.Duration) bool {
	for _, rec := range r.net.Trace().Records {
		if rec.Dir.From() == side && rec.At == at && rec.Packet.TCP.Flags.Has(packet.RST) {
			return true
		}
	}
	return false
}

// checkOurPaths: every connection ourstack had went along the diagram's
// edges.
func (r *interopRun) checkOurPaths() {
	for _, s := range []harness.Side{harness.Client, harness.Server} {
		if r.ends[s].kind != "ours" {
			continue
		}
		if bad := judge.StatePaths(r.net.Trace().Changes, s); bad != "" {
			r.violate("ourstack (%s): %s", s, bad)
		}
	}
}
