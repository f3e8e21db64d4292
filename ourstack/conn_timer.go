package ourstack

import "time"

// Each connection has one timer on the Stack's clock, pointed at the
// earliest of the TCB's deadlines (retransmission, delayed ACK, persist,
// keepalive, TIME-WAIT ...): the TCB keeps the timers, the Stack only wakes
// it when the first is due.

// rearm points c's one clock timer at the TCB's next deadline.
func (s *Stack) rearm(c *Conn, now time.Time) {
	deadline, ok := c.tcb.Deadline()
	if !ok {
		if c.timerArmed {
			c.timer.Stop()
			c.timerArmed = false
		}
		return
	}
	if c.timerArmed && c.timerAt.Equal(deadline) {
		return
	}
	d := max(deadline.Sub(now), 0)
	if c.timer == nil {
		c.timer = s.clock.AfterFunc(d, c.onTimer)
	} else {
		c.timer.Reset(d)
	}
	c.timerArmed, c.timerAt = true, deadline
}

// onTimer is c's clock callback: TIMEOUT events (RFC 9293 3.10.8).
func (c *Conn) onTimer() {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.forgotten {
		return
	}
	c.timerArmed = false
	now := s.clock.Now()
	c.tcb.HandleTimers(now)
	s.afterEvent(c, now)
}
