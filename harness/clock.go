package harness

import (
	"container/heap"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Epoch is the wall-clock time at which every Net's virtual clock starts. A
// fixed instant (not time.Now) keeps traces and pcap files byte-identical
// from run to run.
var Epoch = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// Clock is the virtual clock one Net shares between both peers and its link.
// Time stands still until Advance moves it; timers fire synchronously inside
// Advance, in order of deadline and, for the same deadline, in the order they
// were armed. gVisor's faketime.ManualClock cannot say when its next timer is
// due and fires same-instant timers in map order, which would make runs
// differ; this clock does neither.
//
// It is safe for concurrent use: gVisor arms and stops timers from its
// processor goroutine. Callbacks run without the clock's lock held, so they
// may arm, reset and stop timers.
type Clock struct {
	mu sync.Mutex
	// now is the time since Epoch. Only a holder of mu moves it, but a
	// reading takes no lock: the peers read the clock several times a
	// segment, and two locks a reading were a twentieth of a bulk
	// transfer's CPU.
	now     instant
	nextSeq uint64
	timers  timerHeap
	frozen  atomic.Bool // PeerClock readings stand still with the clock

	// advancing says an AdvanceTo is under way, to target; horizon is
	// how far beyond it the Net's own advance goes (setHorizon). Together
	// they bound Lookahead.
	advancing bool
	target    time.Duration
	horizon   time.Duration
	// firedAt is the instant of the last timer this AdvanceTo fired, and
	// sharing it how many fired at that instant so far.
	firedAt time.Duration
	sharing int
}

// instant is a time since Epoch that may be read without a lock.
type instant struct{ ns atomic.Int64 }

func (i *instant) get() time.Duration  { return time.Duration(i.ns.Load()) }
func (i *instant) set(d time.Duration) { i.ns.Store(int64(d)) }

// move sets the instant to to if it still stands at from, and reports
// whether it did.
func (i *instant) move(from, to time.Duration) bool {
	return i.ns.CompareAndSwap(int64(from), int64(to))
}

// NewClock returns a clock standing at Epoch.
func NewClock() *Clock { return &Clock{} }

// Now is the current virtual time.
func (c *Clock) Now() time.Time { return Epoch.Add(c.now.get()) }

// Elapsed is the virtual time since Epoch.
func (c *Clock) Elapsed() time.Duration { return c.now.get() }

// AfterFunc arms a timer that calls f once d has elapsed on this clock. A d of
// zero or less fires at the current instant, on the next Advance.
func (c *Clock) AfterFunc(d time.Duration, f func()) *Timer {
	return c.afterFunc(nil, d, f)
}

// newTimer is a timer that calls f, not armed yet: Reset arms it, again
// and again, for a caller that would otherwise make a timer each time.
func (c *Clock) newTimer(f func()) *Timer { return &Timer{clock: c, f: f, index: -1} }

// afterFunc arms a timer for view (nil: the clock itself); see armLocked.
func (c *Clock) afterFunc(view *PeerClock, d time.Duration, f func()) *Timer {
	t := &Timer{clock: c, view: view, f: f, index: -1}
	c.mu.Lock()
	c.armLocked(t, d)
	c.mu.Unlock()
	return t
}

// NextDeadline is the elapsed time (since Epoch) at which the earliest armed
// timer fires; ok is false when no timer is armed.
func (c *Clock) NextDeadline() (at time.Duration, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return 0, false
	}
	return c.timers[0].when, true
}

// AdvanceTo moves the clock forward to elapsed time at (since Epoch), firing
// every timer due at or before it, each with the clock standing at that
// timer's deadline. Timers armed by callbacks fire too if they fall due by at.
// Moving backwards is a no-op. It returns how many timers fired.
func (c *Clock) AdvanceTo(at time.Duration) int {
	fired := 0
	c.mu.Lock()
	c.advancing, c.target, c.sharing = true, at, 0
	c.mu.Unlock()
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].when > at {
			if at > c.now.get() {
				c.now.set(at)
			}
			c.advancing = false
			c.mu.Unlock()
			return fired
		}
		t := heap.Pop(&c.timers).(*Timer)
		if t.when > c.now.get() {
			c.now.set(t.when)
		}
		if c.sharing > 0 && c.firedAt == c.now.get() {
			c.sharing++
		} else {
			c.firedAt, c.sharing = c.now.get(), 1
		}
		f := t.f
		c.mu.Unlock()
		f()
		fired++
	}
}

// Advance moves the clock forward by d; see AdvanceTo.
func (c *Clock) Advance(d time.Duration) int { return c.AdvanceTo(c.Elapsed() + d) }

// setHorizon says how far the advance under way goes, when a Net moves
// the clock from event to event towards a target of its own (Net.AdvanceTo,
// RunUntil): each AdvanceTo then stops at the next event, but a peer may
// run ahead (Lookahead) as far as the Net's target. 0 takes it back. It
// returns the horizon it replaces.
func (c *Clock) setHorizon(at time.Duration) (was time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	was, c.horizon = c.horizon, at
	return was
}

// Lookahead is how far a timer's callback may let its peer run its own
// timers ahead of the clock, knowing that nothing else happens on the way:
// up to the instant before the next armed timer (another peer's timer, a
// packet's arrival), and no further than the advance under way goes (the
// target of AdvanceTo or, beyond it, of the Net's advance). A peer in
// another process runs its timers there in one request instead of one
// request per timer (docs/peer-protocol.md 6, ADVANCE_UNTIL).
//
// It is now, and nothing may run ahead, outside a callback, and in the
// callback of a timer that is not the first to fire at its instant: what
// the timers before it did may be what a Net's RunUntil waits for, and
// the Net must look at it at this instant, not at the instant the peer
// would run ahead to.
func (c *Clock) Lookahead() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.advancing || c.sharing > 1 {
		return c.now.get()
	}
	limit := max(c.target, c.horizon)
	if len(c.timers) > 0 {
		limit = min(limit, c.timers[0].when-1)
	}
	return max(limit, c.now.get())
}

// SkipTo moves the clock forward to at from inside a timer's callback,
// with no timer due on the way (at is at most Lookahead): a peer that ran
// its timers ahead to at brings the clock along, so that what it did there
// enters the wire, and the Net's next look at it happens, at the instant
// it happened, as if the clock had stopped there for the peer's timer.
func (c *Clock) SkipTo(at time.Duration) {
	if limit := c.Lookahead(); at > limit {
		panic(fmt.Sprintf("harness: SkipTo(%v) past the clock's lookahead, %v", at, limit))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now.set(max(c.now.get(), at))
}

// Pending is the number of armed timers.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// armLocked schedules t to fire d after its owner's now: the clock's, or,
// for a peer's timer, the peer's last reading, which may stand a few ticks
// past the clock's. A real host's timer fires late, never early.
func (c *Clock) armLocked(t *Timer, d time.Duration) {
	if d < 0 {
		d = 0
	}
	base := c.now.get()
	if t.view != nil {
		base = max(base, t.view.lastReading())
	}
	t.when = base + d
	t.seq = c.nextSeq
	c.nextSeq++
	heap.Push(&c.timers, t)
}

// Timer is a pending AfterFunc call on a Clock. It satisfies both
// tcpip.Timer and ourstack.Timer.
type Timer struct {
	clock *Clock
	view  *PeerClock // the peer that armed it, or nil
	f     func()
	when  time.Duration
	seq   uint64 // arming order: breaks ties between equal deadlines
	index int    // position in the heap; -1 when not armed
}

// Stop disarms the timer; it reports whether the timer was armed.
func (t *Timer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

// Reset re-arms the timer to fire d from now, whether or not it had fired.
// A reset timer counts as newly armed for the tie-break between equal
// deadlines.
func (t *Timer) Reset(d time.Duration) {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index >= 0 {
		heap.Remove(&c.timers, t.index)
	}
	c.armLocked(t, d)
}

// timerHeap orders timers by (deadline, arming order).
type timerHeap []*Timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when != h[j].when {
		return h[i].when < h[j].when
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*Timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
