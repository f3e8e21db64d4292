package harness

import (
	"math/rand/v2"
	"time"
)

// Dir is a direction on the wire.
type Dir int

const (
	ClientToServer Dir = iota
	ServerToClient
)

func (d Dir) String() string {
	if d == ClientToServer {
		return "client>server"
	}
	return "server>client"
}

// From is the side that sends in direction d.
func (d Dir) From() Side { return Side(d) }

// To is the side that receives in direction d.
func (d Dir) To() Side { return Side(1 - d) }

// dirFrom is the direction a packet sent by side travels.
func dirFrom(s Side) Dir { return Dir(s) }

// LinkConfig models one direction of the wire, on virtual time. The zero
// value is an ideal wire: no delay, no serialization time, no queue limit.
type LinkConfig struct {
	// Delay is the one-way propagation delay.
	Delay time.Duration
	// Bandwidth in bits per second; a packet of n bytes occupies the line for
	// n*8/Bandwidth. Zero means infinitely fast.
	Bandwidth int64
	// QueueLimit is how many packets may wait for, or be on, the line at once;
	// one more is dropped at the tail (and marked queue-drop in the trace).
	// Zero means unlimited. It matters only with a Bandwidth.
	QueueLimit int
	// Jitter adds to each packet's Delay up to this much more, drawn from
	// the Net's seed, never so much that a packet overtakes the one before
	// it: the varying queue of a radio link, not a reordering.
	Jitter time.Duration
}

// linkDir is one direction's line: when it is next free, and when each
// packet in its queue finishes serialization.
type linkDir struct {
	cfg        LinkConfig
	busyUntil  time.Duration
	queue      []time.Duration // txDone of queued packets, in order
	jitter     *rand.Rand      // draws Jitter; set when the config has one
	lastArrive time.Duration   // when the last packet admitted arrives
}

// admit puts an n-byte packet on the line at now. It returns when the packet
// reaches the far end, or ok=false when the queue is full (tail drop).
func (l *linkDir) admit(now time.Duration, n int) (arrive time.Duration, ok bool) {
	// Forget the packets that have left the line.
	i := 0
	for i < len(l.queue) && l.queue[i] <= now {
		i++
	}
	if i > 0 {
		l.queue = append(l.queue[:0], l.queue[i:]...)
	}
	if l.cfg.QueueLimit > 0 && len(l.queue) >= l.cfg.QueueLimit {
		return 0, false
	}
	start := max(now, l.busyUntil)
	done := start
	if l.cfg.Bandwidth > 0 {
		done += time.Duration(int64(n) * 8 * int64(time.Second) / l.cfg.Bandwidth)
		l.busyUntil = done
		l.queue = append(l.queue, done)
	}
	arrive = done + l.cfg.Delay
	if l.cfg.Jitter > 0 {
		arrive += time.Duration(l.jitter.Int64N(int64(l.cfg.Jitter) + 1))
		arrive = max(arrive, l.lastArrive)
	}
	l.lastArrive = arrive
	return arrive, true
}
