package harness

import (
	"fmt"
	"time"
)

// Settle delivers every packet due now, one at a time or a burst at a time
// (deliverNext), letting its receiver finish processing each before the
// next, until nothing is due and both ends are quiescent. Virtual time does
// not move. It fails with ErrLivelock if the ends never stop.
func (n *Net) Settle() error {
	_, err := n.settle()
	return err
}

// settle is Settle, also saying how many packets it delivered. A peer
// that broke (Breakable) ends it with its failure.
func (n *Net) settle() (delivered int, err error) {
	n.progress.Add(1)
	for {
		if err := n.Storm(); err != nil {
			return delivered, err
		}
		n.peers[Client].Settle()
		n.peers[Server].Settle()
		if err := n.PeerErr(); err != nil {
			return delivered, err
		}
		k := n.deliverNext()
		if k == 0 {
			return delivered, nil
		}
		delivered += k
		if delivered >= n.cfg.MaxPacketsPerSettle {
			return delivered, fmt.Errorf("%w: %d packets at %s", ErrLivelock, delivered, formatTime(n.Now()))
		}
	}
}

// NextEvent is when the next timer fires or packet arrives (virtual time
// since Epoch); ok is false when nothing is pending.
func (n *Net) NextEvent() (at time.Duration, ok bool) { return n.clock.NextDeadline() }

// Step settles, then moves virtual time to the next event, fires it (and
// everything else due at that instant) and settles again. It reports false
// when nothing was pending.
func (n *Net) Step() (bool, error) {
	if err := n.Settle(); err != nil {
		return false, err
	}
	at, ok := n.clock.NextDeadline()
	if !ok {
		return false, nil
	}
	n.clock.AdvanceTo(at)
	return true, n.Settle()
}

// Advance moves virtual time forward by d, stopping at every event on the
// way to fire it and settle.
func (n *Net) Advance(d time.Duration) error {
	return n.AdvanceTo(n.Now() + d)
}

// AdvanceTo moves virtual time forward to at (since Epoch); see Advance.
func (n *Net) AdvanceTo(at time.Duration) error {
	defer n.reach(at)()
	if err := n.Settle(); err != nil {
		return err
	}
	for {
		next, ok := n.clock.NextDeadline()
		if !ok || next > at {
			break
		}
		n.clock.AdvanceTo(next)
		if err := n.Settle(); err != nil {
			return err
		}
	}
	n.clock.AdvanceTo(at)
	return n.Settle()
}

// reach lets a peer's timer that fires on the way to at run its stack's
// timers ahead, as far as at (Clock.Lookahead), and returns the function
// that takes that back. A peer on real time (Linux) changes nothing: its
// timers are mirrored on the clock (so a run ahead stops before them),
// and what it sends on a timer of its own that no mirror shows comes when
// it comes in real time, at whatever virtual instant the Net has reached.
// Stepping lwIP's 250 ms ticks one round trip at a time only let more real
// time pass first: 130,000 round trips over a 3-hour idle, long enough for
// Linux's real-time RTO to fire on a clean wire.
func (n *Net) reach(at time.Duration) (restore func()) {
	was := n.clock.setHorizon(at)
	return func() { n.clock.setHorizon(was) }
}

// ErrNotReached is what RunUntil returns when its condition did not come
// true in time.
type ErrNotReached struct {
	What  string
	Limit time.Duration
	At    time.Duration
}

func (e *ErrNotReached) Error() string {
	return fmt.Sprintf("%s: not reached within %v of virtual time (now %s)", e.What, e.Limit, formatTime(e.At))
}

// RunUntil runs events until cond holds, checking it after every settle. It
// gives up with *ErrNotReached (naming what) once limit of virtual time has
// passed; when nothing is left to happen before then, it moves the clock to
// the limit and gives up at once.
func (n *Net) RunUntil(what string, limit time.Duration, cond func() bool) error {
	deadline := n.Now() + limit
	defer n.reach(deadline)()
	if err := n.Settle(); err != nil {
		return err
	}
	for !cond() {
		// cond may have acted (written, closed): let that play out at this
		// instant before moving time.
		delivered, err := n.settle()
		if err != nil {
			return err
		}
		if delivered > 0 {
			continue
		}
		next, ok := n.clock.NextDeadline()
		if !ok || next > deadline {
			// Nothing more can happen in time: let the time pass anyway,
			// so that "run for d" means d.
			n.clock.AdvanceTo(deadline)
			return &ErrNotReached{What: what, Limit: limit, At: n.Now()}
		}
		n.clock.AdvanceTo(next)
		if err := n.Settle(); err != nil {
			return err
		}
	}
	return nil
}

// InFlight is how many packets are on the wire (sent, not yet delivered).
func (n *Net) InFlight() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.inFlight
}

// Drain runs events until no packet is on the wire, at most limit of virtual
// time: the exchange under way plays out, pending timers (TIME-WAIT, say)
// stay pending.
func (n *Net) Drain(limit time.Duration) error {
	return n.RunUntil("an empty wire", limit, func() bool { return n.InFlight() == 0 })
}

// Quiet runs events until nothing is pending at all (every timer has fired
// or been stopped, every packet delivered), or until limit of virtual time
// has passed.
func (n *Net) Quiet(limit time.Duration) error {
	return n.RunUntil("quiet wire and no timers", limit, func() bool {
		_, pending := n.clock.NextDeadline()
		return !pending
	})
}
