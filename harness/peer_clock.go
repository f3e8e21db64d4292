package harness

import (
	"time"
)

// Tick is how far a peer's clock reading moves past the one before while
// virtual time stands still.
const Tick = time.Nanosecond

// PeerClock is one peer's view of a Net's Clock. Its readings strictly
// increase: a reading taken while virtual time stands still is one Tick
// past the last, so that segments a stack sends in one burst carry distinct
// transmit times, as on a real host, whose clock never returns one instant
// for a whole burst (RACK, RFC 8985 6.2, orders segments by those times).
// Readings depend only on how many the peer took since virtual time last
// moved, so one seed still gives one run. Timers the peer arms count from
// its last reading, so none fires before the deadline the peer computed.
//
// A Clock made frozen (Net's Config.FrozenClock) gives every reading at one
// instant the same value: a scenario asks for it to show what a stack does
// when it cannot tell a burst's segments apart by time.
type PeerClock struct {
	c    *Clock
	last instant // the last reading, since Epoch; -1 before the first
}

// ForPeer returns a new view of c for one peer.
func (c *Clock) ForPeer() *PeerClock {
	p := &PeerClock{c: c}
	p.last.set(-1)
	return p
}

// Freeze makes every PeerClock reading at one instant equal that instant
// (see PeerClock); call it before the peers take readings.
func (c *Clock) Freeze() { c.frozen.Store(true) }

// Frozen reports whether c was made frozen (Freeze): a peer that reads
// time elsewhere (a stack in another process) must freeze its own readings
// too.
func (c *Clock) Frozen() bool { return c.frozen.Load() }

// Elapsed takes a reading: the virtual time since Epoch, or, if the peer has
// already read that instant (or later), one Tick past its last reading.
func (p *PeerClock) Elapsed() time.Duration {
	now := p.c.now.get()
	if p.c.frozen.Load() {
		return now
	}
	for {
		last := p.last.get()
		reading := max(now, last+Tick)
		if p.last.move(last, reading) {
			return reading
		}
	}
}

// Now takes a reading as a wall-clock time.
func (p *PeerClock) Now() time.Time { return Epoch.Add(p.Elapsed()) }

// AfterFunc arms a timer that calls f once d has passed since the peer's
// last reading (or since now, if virtual time has moved on since).
func (p *PeerClock) AfterFunc(d time.Duration, f func()) *Timer {
	return p.c.afterFunc(p, d, f)
}

func (p *PeerClock) lastReading() time.Duration { return p.last.get() }
