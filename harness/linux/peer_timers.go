package linux

import (
	"time"

	"github.com/tcpbed/tcpbed/harness"
)

// kernelTimers mirrors Linux's pending TCP timers onto the Net's virtual
// clock, so that the harness, which only ever advances virtual time, knows
// Linux has something to do later and when.
//
// Linux's timers run on real time. A mirror is armed on the virtual clock
// at the distance the kernel's timer is from now; when virtual time reaches
// it, the peer's next Settle waits in real time until the kernel's timer has
// actually fired. Events the harness runs before the mirror's virtual
// deadline reach Linux (in real time) before its timer fires, and those
// after it, after; so Linux's timers keep their place in the scenario's
// order of events.
type kernelTimers struct {
	clock    *harness.Clock
	quiet    time.Duration
	timeWait bool // mirror TIME-WAIT's timer too
	mirrors  map[harness.FourTuple]*timerMirror
	fired    []*timerMirror
	// anchor is the real time of the last event the harness ran on Linux
	// (a packet delivered, an application call, a mirrored timer seen to
	// fire), and anchorAt the virtual time it ran at: a timer the kernel
	// armed for that event is anchor + its span in real time, and is
	// mirrored at anchorAt + the same span, however late the poll that
	// reads it comes (on a loaded machine, hundreds of milliseconds).
	anchor   time.Time
	anchorAt time.Duration
}

// event notes that the harness ran something on Linux now.
func (k *kernelTimers) event() {
	k.anchor, k.anchorAt = time.Now(), k.clock.Elapsed()
}

// timerMirror is one socket's kernel timer and its virtual twin.
type timerMirror struct {
	id       harness.FourTuple
	kind     uint8         // diagTimer*
	sig      diagSignature // the socket as it was when mirrored
	deadline time.Time     // when the kernel's timer fires, real time
	span     time.Duration // how far away it was when mirrored
	virtual  *harness.Timer
	fired    bool
}

// sameDeadline is how far apart two readings of one kernel timer's expiry may
// be and still be the same timer: sock_diag reports whole milliseconds,
// rounded to the kernel's jiffy (4 ms at HZ=250).
const sameDeadline = 5 * time.Millisecond

func (k *kernelTimers) init(clock *harness.Clock, quiet time.Duration, timeWait bool) {
	k.clock, k.quiet, k.timeWait = clock, quiet, timeWait
	k.mirrors = map[harness.FourTuple]*timerMirror{}
}

// mirrored reports whether a sock_diag timer is one the harness waits for.
// TIME-WAIT's is only if asked (see peer.Settle).
func (k *kernelTimers) mirrored(kind uint8) bool {
	switch kind {
	case diagTimerRetrans, diagTimerKeepalive, diagTimerProbe0:
		return true
	case diagTimerTimeWait:
		return k.timeWait
	}
	return false
}

// observe brings id's mirror in line with what sock_diag reported for it
// at polledAt: a new timer armed, a moved one re-armed, a vanished one
// stopped.
func (k *kernelTimers) observe(id harness.FourTuple, s diagSocket, found bool, polledAt time.Time) {
	m := k.mirrors[id]
	if !found || !k.mirrored(s.Timer) {
		if m != nil {
			m.virtual.Stop()
			delete(k.mirrors, id)
		}
		return
	}
	// The same timer, not re-armed, keeps its virtual deadline: the
	// harness may have moved virtual time far ahead of the kernel's clock
	// since, and the timer was armed by what happened back then. A timer
	// the kernel re-armed is mirrored anew from now: it was re-armed by
	// what just happened. The real deadline alone cannot tell the two
	// apart (a re-arm a few real milliseconds after the first arm moves it
	// by a few milliseconds), so the socket's signature does too.
	deadline := polledAt.Add(s.Expires)
	if m != nil && !m.fired && m.kind == s.Timer && m.sig == s.signature() &&
		absDuration(m.deadline.Sub(deadline)) <= sameDeadline {
		return
	}
	if m == nil {
		m = &timerMirror{id: id}
		k.mirrors[id] = m
	}
	m.kind, m.sig, m.deadline, m.span, m.fired = s.Timer, s.signature(), deadline, s.Expires, false
	// The mirror goes as far ahead of virtual now as the kernel's timer is
	// from the event that armed it: the last event run at this virtual
	// instant (anchor), or, when virtual time has moved on since (the
	// kernel armed the timer on its own), from the poll. A 1 s RTO is then
	// mirrored as 1 s, or one jiffy less (sock_diag counts in jiffies: 4 ms
	// at HZ=250), even when the poll came long after the event: measured
	// from the poll, a loaded machine's lag was taken off the mirror, and
	// a SYN Linux resent 1 s after the last was recorded 624 ms after it.
	span := s.Expires
	if !k.anchor.IsZero() && k.anchorAt == k.clock.Elapsed() {
		span = max(deadline.Sub(k.anchor), s.Expires)
	}
	if m.virtual == nil {
		m.virtual = k.clock.AfterFunc(span, func() { k.onFire(m) })
	} else {
		m.virtual.Reset(span)
	}
}

// onFire runs inside the virtual clock's Advance, on the Net's goroutine.
func (k *kernelTimers) onFire(m *timerMirror) {
	m.fired = true
	k.fired = append(k.fired, m)
}

// waitFired waits, in real time, for the kernel to fire each timer whose
// mirror has fired: until sock_diag shows the timer changed (fired and
// re-armed, or gone), bounded by the quiet period plus an eighth of the
// timer's span past its deadline (the kernel's timer wheel may fire a long
// timer that much late). It waits in poll(2) on the TUN, not in a sleep, so
// that it wakes the moment the timer's packet (a retransmission, a probe)
// is sent: the mirror of the timer the kernel arms next is then read at
// the distance the kernel gave it, not less the time a sleep overslept. It
// reports whether any mirror had fired.
func (k *kernelTimers) waitFired(h *Host) bool {
	if len(k.fired) == 0 {
		return false
	}
	for _, m := range k.fired {
		limit := m.deadline.Add(k.quiet + m.span/8)
		for time.Now().Before(limit) && k.unchanged(h, m) {
			d := max(time.Until(m.deadline), time.Millisecond)
			if _, err := h.tun.wait(min(d, time.Until(limit))); err != nil {
				break
			}
		}
		k.event()
	}
	clear(k.fired)
	k.fired = k.fired[:0]
	return true
}

// unchanged reports whether sock_diag still shows m's timer as it was.
func (k *kernelTimers) unchanged(h *Host, m *timerMirror) bool {
	s, found, err := h.diag.lookup(m.id)
	if err != nil || !found || s.Timer != m.kind || s.signature() != m.sig {
		return false
	}
	// An overdue timer reads as 0 ms to go: the kernel's timer wheel fires
	// a long timer late (by up to an eighth of its span), and until it does
	// nothing has changed.
	return s.Expires == 0 || absDuration(time.Now().Add(s.Expires).Sub(m.deadline)) <= sameDeadline
}

func (k *kernelTimers) stopAll() {
	for id, m := range k.mirrors {
		m.virtual.Stop()
		delete(k.mirrors, id)
	}
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
