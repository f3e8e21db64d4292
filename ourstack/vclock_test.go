package ourstack

import (
	"sync"
	"time"
)

// virtualClock is the tests' Clock: time moves only when a test advances
// it, and timers fire in order of deadline (then of arming), on the
// advancing goroutine, with Now reading the timer's deadline while it runs.
type virtualClock struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending map[*virtualTimer]struct{}
}

type virtualTimer struct {
	c    *virtualClock
	f    func()
	when time.Time
	seq  uint64
}

func newVirtualClock() *virtualClock {
	return &virtualClock{now: t0, pending: make(map[*virtualTimer]struct{})}
}

func (c *virtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *virtualClock) AfterFunc(d time.Duration, f func()) Timer {
	t := &virtualTimer{c: c, f: f}
	t.Reset(d)
	return t
}

func (t *virtualTimer) Reset(d time.Duration) {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t.when = c.now.Add(max(d, 0))
	c.seq++
	t.seq = c.seq
	c.pending[t] = struct{}{}
}

func (t *virtualTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	_, was := c.pending[t]
	delete(c.pending, t)
	return was
}

// next is the earliest pending timer due at or before limit, or nil.
func (c *virtualClock) next(limit time.Time) *virtualTimer {
	var first *virtualTimer
	for t := range c.pending {
		if t.when.After(limit) {
			continue
		}
		if first == nil || t.when.Before(first.when) || t.when.Equal(first.when) && t.seq < first.seq {
			first = t
		}
	}
	return first
}

// Advance moves time forward by d, firing every timer due on the way.
func (c *virtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		t := c.next(target)
		if t == nil {
			c.now = target
			c.mu.Unlock()
			return
		}
		delete(c.pending, t)
		if t.when.After(c.now) {
			c.now = t.when
		}
		c.mu.Unlock()
		t.f()
	}
}

// Pending is how many timers are armed.
func (c *virtualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}
