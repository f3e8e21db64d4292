package ourstack

import (
	"net"
	"time"
)

// deadline is one of a Conn's I/O deadlines. It is measured on the Stack's
// Clock: a timer on that clock marks it expired, so under a virtual clock a
// deadline passes when virtual time does, and never by real time.
type deadline struct {
	timer   Timer
	expired bool
	gen     uint64 // which setting a timer callback belongs to
}

// set changes the deadline to t (zero: none). A deadline already past
// expires at once. The caller holds the lock.
func (d *deadline) set(s *Stack, t time.Time, wake *waker) {
	d.stop()
	d.expired = false
	// Waiters look again: the deadline they were waiting under has changed.
	defer wake.wake()
	if t.IsZero() {
		return
	}
	left := t.Sub(s.clock.Now())
	if left <= 0 {
		d.expired = true
		return
	}
	gen := d.gen
	d.timer = s.clock.AfterFunc(left, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if d.gen == gen {
			d.expired = true
			wake.wake()
		}
	})
}

// stop cancels the pending timer; a callback already on its way finds the
// generation changed and does nothing.
func (d *deadline) stop() {
	d.gen++
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
}

// SetDeadline sets the read and write deadlines (net.Conn).
func (c *Conn) SetDeadline(t time.Time) error {
	return c.setDeadlines(t, true, true)
}

// SetReadDeadline sets the deadline for pending and future Reads.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.setDeadlines(t, true, false)
}

// SetWriteDeadline sets the deadline for pending and future Writes.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	return c.setDeadlines(t, false, true)
}

func (c *Conn) setDeadlines(t time.Time, read, write bool) error {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.closed {
		return c.opError("set", net.ErrClosed)
	}
	if read {
		c.readDeadline.set(s, t, &c.wake)
	}
	if write {
		c.writeDeadline.set(s, t, &c.wake)
	}
	return nil
}
