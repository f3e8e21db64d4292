package tcp

import "time"

// Options an application may change on a live connection, as it would with
// setsockopt: keep-alive, and the send and receive buffer sizes.

// SetKeepAlive turns keep-alive probing (RFC 1122 4.2.3.6) on or off and
// sets its timing; an idle, interval or count that is zero or negative
// keeps the current value. Turning it on starts the idle time from now.
func (t *TCB) SetKeepAlive(now time.Time, on bool, idle, interval time.Duration, count int) {
	if idle > 0 {
		t.cfg.KeepIdle = idle
	}
	if interval > 0 {
		t.cfg.KeepInterval = interval
	}
	if count > 0 {
		t.cfg.KeepCount = count
	}
	t.cfg.KeepAlive = on
	t.keepalive.probes = 0
	if on {
		t.arm(timerKeepalive, now.Add(t.cfg.KeepIdle))
	} else {
		t.disarm(timerKeepalive)
	}
}

// SetSendBuffer fixes the send buffer at n bytes (n > 0), ending
// autotuning (sendbuf_tune.go), as SO_SNDBUF does. Data already written
// stays; Send takes more once what is buffered falls below n.
func (t *TCB) SetSendBuffer(n int) {
	if n <= 0 {
		return
	}
	t.cfg.SendBuffer = n
	t.cfgSendBuffer = n
	t.snd.initSendBufferLimit(n, n)
}

// SetReceiveBuffer sets the receive buffer to n bytes (n > 0), as SO_RCVBUF
// does after the handshake: the window offered from now on is what is left
// of n. The window scale the handshake fixed still bounds the window field
// (RFC 7323 2.2). A smaller buffer closes the window as data arrives and
// is not read, never by moving the right edge already offered to the left
// (RFC 9293 3.8.6.2.2): every byte offered is still taken in.
// A larger one is announced at once when it opens the window as much as
// a read would have to (windowUpdateDue).
func (t *TCB) SetReceiveBuffer(n int) {
	if n <= 0 {
		return
	}
	n = min(n, 1<<30)
	r := &t.recv
	grew := n > r.limit
	t.cfg.ReceiveBuffer = n
	r.limit = n
	// The ring may grow to the new size; it never gives back room the
	// window already offered.
	r.buf.max = max(r.buf.max, n+1<<r.shift)
	if grew && t.state.Synchronized() && t.state != TimeWait && t.windowUpdateDue() {
		t.ackNow = true
	}
}

// Unread is how many received bytes wait for Receive (FIONREAD).
func (t *TCB) Unread() int { return t.recv.buf.Len() }

// Unacknowledged is how many bytes written the peer has not acknowledged,
// sent or not (Linux's SIOCOUTQ).
func (t *TCB) Unacknowledged() int {
	if t.sendBuf == nil {
		return 0
	}
	return t.sendBuf.Len()
}
