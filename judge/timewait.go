package judge

import (
	"fmt"
	"slices"
	"time"

	"github.com/tcpbed/tcpbed/harness"
	"github.com/tcpbed/tcpbed/harness/packet"
)

// TimeWaitStay is one stay of one end in TIME-WAIT, read from a trace.
type TimeWaitStay struct {
	Side    harness.Side
	ID      harness.FourTuple
	Entered time.Duration
	// Exit is the change that ended the stay, nil if the trace ended first.
	Exit *harness.StateChange
}

// TimeWaitStays lists every stay in TIME-WAIT in the trace, at either end,
// in the order they began.
func TimeWaitStays(t *harness.Trace) []TimeWaitStay {
	var stays []TimeWaitStay
	for i, c := range t.Changes {
		if c.To != harness.TimeWait {
			continue
		}
		s := TimeWaitStay{Side: c.Side, ID: c.ID, Entered: c.At}
		for j := i + 1; j < len(t.Changes); j++ {
			if t.Changes[j].Side == c.Side && t.Changes[j].ID == c.ID {
				s.Exit = &t.Changes[j]
				break
			}
		}
		stays = append(stays, s)
	}
	return stays
}

// Restart is whether a FIN that reached an end in TIME-WAIT restarts its
// 2MSL wait (RFC 9293 3.10.7.4: "Acknowledge it, and restart the 2 MSL
// timeout").
type Restart int

const (
	// Restarts: the FIN must restart the wait.
	Restarts Restart = iota
	// MayRestart: the FIN may or may not (an old duplicate that PAWS may
	// drop first, RFC 7323 5.3).
	MayRestart
	// NoRestart: the FIN is known not to restart it (a registered
	// deviation of the end's stack).
	NoRestart
)

// FINRule tells, for a FIN that reached the end in TIME-WAIT, whether it
// restarts the wait. older reports that the FIN's TSval is older than one
// the end had already seen on the connection (PAWS would reject it).
type FINRule func(fin *harness.Record, older bool) Restart

// EveryFINRestarts is RFC 9293's rule with no exception.
func EveryFINRestarts(*harness.Record, bool) Restart { return Restarts }

// Restarts returns when the stay's wait last had to restart (its entry, or
// the last FIN that must restart it) and every moment it may have restarted
// (the entry and every FIN that restarts it or may), for the FINs that
// reached the end intact before now.
func (s TimeWaitStay) Restarts(t *harness.Trace, now time.Duration, rule FINRule) (last time.Duration, maybe []time.Duration) {
	last, maybe = s.Entered, []time.Duration{s.Entered}
	var tsRecent uint32
	tsSeen := false
	for _, rec := range arrivals(t, s.Side, s.ID) {
		opts := &rec.Packet.TCP.Options
		older := opts.HasTimestamps && tsSeen && int32(opts.TSVal-tsRecent) < 0
		if opts.HasTimestamps && (!tsSeen || int32(opts.TSVal-tsRecent) > 0) {
			tsRecent, tsSeen = opts.TSVal, true
		}
		if !rec.Packet.TCP.Flags.Has(packet.FIN) || rec.Arrived < s.Entered || rec.Arrived >= now {
			continue
		}
		switch rule(rec, older) {
		case Restarts:
			maybe = append(maybe, rec.Arrived)
			last = max(last, rec.Arrived)
		case MayRestart:
			maybe = append(maybe, rec.Arrived)
		}
	}
	return last, maybe
}

// Lasted2MSL checks that the stay ended 2MSL after its wait last restarted,
// to within TimerSlack; "" if it did, or if it has not ended.
func (s TimeWaitStay) Lasted2MSL(t *harness.Trace, msl time.Duration, rule FINRule) string {
	if s.Exit == nil {
		return ""
	}
	last, maybe := s.Restarts(t, s.Exit.At, rule)
	restart := s.Exit.At - 2*msl
	if restart < last-TimerSlack || !slices.ContainsFunc(maybe, func(m time.Duration) bool { return OnTime(restart, m) }) {
		return fmt.Sprintf("the %s left TIME-WAIT for %v %v after entering it at %v (last restart at %v); 2MSL is %v",
			s.Side, s.Exit.To, s.Exit.At-s.Entered, s.Entered, last, 2*msl)
	}
	return ""
}

// arrivals are the packets of connection id (seen from side) that reached
// side intact, in the order they were handed over (a delayed one after
// those that overtook it).
func arrivals(t *harness.Trace, side harness.Side, id harness.FourTuple) []*harness.Record {
	var in []*harness.Record
	for _, rec := range t.Records {
		if rec.Dir.To() == side && !rec.Fate.Lost() && rec.Fate != harness.InFlight && rec.ConnID(side) == id {
			in = append(in, rec)
		}
	}
	slices.SortFunc(in, harness.CompareArrivals)
	return in
}

// ResetAsItLeft reports whether the end sent a RST at the moment the stay
// ended: an application's ABORT, or a CLOSE with unread data (RFC 1122
// 4.2.2.13: "SHOULD send a RST to show that data was lost").
func (s TimeWaitStay) ResetAsItLeft(t *harness.Trace) bool {
	return s.Exit != nil && slices.ContainsFunc(t.Records, func(r *harness.Record) bool {
		return r.Dir.From() == s.Side && r.At == s.Exit.At && r.Packet.TCP.Flags.Has(packet.RST)
	})
}

// EndedByArrival reports whether a SYN or a RST reached the end at the
// moment the stay ended: a new incarnation (RFC 9293 3.10.7.4, RFC 6191) or
// a reset, which the scenario that sent it judges.
func (s TimeWaitStay) EndedByArrival(t *harness.Trace) bool {
	return s.Exit != nil && slices.ContainsFunc(t.Records, func(r *harness.Record) bool {
		f := r.Packet.TCP.Flags
		return r.Dir.To() == s.Side && r.Arrived == s.Exit.At && !r.Fate.Lost() && (f.Has(packet.SYN) || f.Has(packet.RST))
	})
}
