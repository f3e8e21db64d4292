package ourstack

import "time"

// Clock is where ourstack gets time. gVisor's tcpip.Clock has the same shape
// (the harness adapts its virtual clock to both); nil means the real clock.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has elapsed. A virtual clock may call f
	// synchronously from inside its Advance.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	Stop() bool
	Reset(d time.Duration)
}

// realClock is the wall clock, for running ourstack against a real peer (a
// TUN device) rather than inside the harness's virtual time.
type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) AfterFunc(d time.Duration, f func()) Timer {
	return realTimer{time.AfterFunc(d, f)}
}

// realTimer adapts *time.Timer, whose Reset returns a bool the Timer
// interface does not carry.
type realTimer struct{ t *time.Timer }

func (r realTimer) Stop() bool            { return r.t.Stop() }
func (r realTimer) Reset(d time.Duration) { r.t.Reset(d) }
