package ourstack

import (
	"fmt"
	"net"
	"syscall"
	"time"
)

// The *net.TCPConn options a program sets on a live connection. Each takes
// effect at once; after Close each fails with net.ErrClosed, and a value
// that cannot be a setting fails with an error wrapping syscall.EINVAL
// that names it.

// Go's defaults for a keep-alive setting given as zero (net.KeepAliveConfig).
const (
	defaultKeepAliveIdle     = 15 * time.Second
	defaultKeepAliveInterval = 15 * time.Second
	defaultKeepAliveCount    = 9
)

// SetKeepAlive turns keep-alive probes (RFC 1122 4.2.3.6) on or off with
// the connection's current timing (tcp.Config's KeepIdle, KeepInterval,
// KeepCount unless changed here).
func (c *Conn) SetKeepAlive(on bool) error {
	return c.setOption(func(now time.Time) { c.tcb.SetKeepAlive(now, on, 0, 0, 0) })
}

// SetKeepAlivePeriod sets how long the connection must be idle before the
// first probe, as *net.TCPConn's does: zero means Go's default (15 s), a
// negative period leaves it unchanged. It does not turn probing on.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	return c.setOption(func(now time.Time) {
		cfg := c.tcb.Config()
		c.tcb.SetKeepAlive(now, cfg.KeepAlive, keepAliveSetting(d, defaultKeepAliveIdle), 0, 0)
	})
}

// SetKeepAliveConfig is *net.TCPConn's: Enable turns probing on or off;
// Idle, Interval and Count set the idle time, the time between probes and
// how many unanswered probes end the connection (ETIMEDOUT). Zero means
// Go's default (15 s, 15 s, 9); negative leaves the setting unchanged.
func (c *Conn) SetKeepAliveConfig(k net.KeepAliveConfig) error {
	return c.setOption(func(now time.Time) {
		c.tcb.SetKeepAlive(now, k.Enable,
			keepAliveSetting(k.Idle, defaultKeepAliveIdle),
			keepAliveSetting(k.Interval, defaultKeepAliveInterval),
			keepAliveSetting(k.Count, defaultKeepAliveCount))
	})
}

// keepAliveSetting maps net.KeepAliveConfig's convention onto the TCB's:
// zero is the default, negative (the TCB's "unchanged") passes through.
func keepAliveSetting[T int | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// SetLinger is *net.TCPConn's. sec == 0: Close discards unsent data and
// resets the connection (RFC 9293 3.10.5 ABORT), with no TIME-WAIT. Any
// other value is the default: Close returns at once and the connection
// delivers what was written and closes in the background, which Go
// documents as allowed for sec > 0.
func (c *Conn) SetLinger(sec int) error {
	return c.setOption(func(time.Time) { c.lingerZero = sec == 0 })
}

// SetNoDelay turns Nagle's algorithm (RFC 9293 3.7.4) off (true) or on. A
// short segment Nagle was holding goes out at once when it is turned off.
func (c *Conn) SetNoDelay(noDelay bool) error {
	return c.setOption(func(time.Time) { c.tcb.SetNoDelay(noDelay) })
}

// SetReadBuffer sets the receive buffer, and so the window offered from
// now on (tcp.TCB.SetReceiveBuffer).
func (c *Conn) SetReadBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opError("set", fmt.Errorf("read buffer of %d bytes: must be positive: %w", bytes, syscall.EINVAL))
	}
	return c.setOption(func(time.Time) { c.tcb.SetReceiveBuffer(bytes) })
}

// SetWriteBuffer fixes the send buffer at bytes, ending its autotuning
// (tcp.TCB.SetSendBuffer).
func (c *Conn) SetWriteBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opError("set", fmt.Errorf("write buffer of %d bytes: must be positive: %w", bytes, syscall.EINVAL))
	}
	return c.setOption(func(time.Time) { c.tcb.SetSendBuffer(bytes) })
}

// setOption applies a setting through onOpen.
func (c *Conn) setOption(set func(now time.Time)) error {
	return c.onOpen("set", func(now time.Time) error { set(now); return nil })
}

// Unread is how many received bytes wait for Read (FIONREAD).
func (c *Conn) Unread() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.tcb.Unread()
}

// Unacknowledged is how many bytes written the peer has not acknowledged,
// sent or not (Linux's SIOCOUTQ).
func (c *Conn) Unacknowledged() int {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	return c.tcb.Unacknowledged()
}

// KeepAliveConfig reports the connection's keep-alive settings.
func (c *Conn) KeepAliveConfig() net.KeepAliveConfig {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	cfg := c.tcb.Config()
	return net.KeepAliveConfig{Enable: cfg.KeepAlive, Idle: cfg.KeepIdle, Interval: cfg.KeepInterval, Count: cfg.KeepCount}
}

var _ interface {
	SetKeepAlive(bool) error
	SetKeepAlivePeriod(time.Duration) error
	SetKeepAliveConfig(net.KeepAliveConfig) error
	SetLinger(int) error
	SetNoDelay(bool) error
	SetReadBuffer(int) error
	SetWriteBuffer(int) error
	CloseWrite() error
} = (*Conn)(nil)
